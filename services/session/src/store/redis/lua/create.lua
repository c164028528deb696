-- Stores a new refresh-token family with its TTL in one step, so no family key ever lives
-- without an expiry.
-- KEYS[1]  the family hash (rt:{familyId})
-- ARGV[1]  milliseconds until the family expires (by the caller's clock)
-- ARGV[2..] field, value, field, value, ...
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
