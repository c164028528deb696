-- Reads a user and its registrations in one step, so the pair is never torn by a write.
-- KEYS[1]  the user hash            ({dir:<tenant>}:user:<id>)
-- KEYS[2]  the user's registrations ({dir:<tenant>}:reg:<id>)
-- Reply: { { field, value, ... }, { field, value, ... } } (the first empty when no such user).
return { redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]) }
