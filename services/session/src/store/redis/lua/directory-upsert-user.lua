-- Creates or replaces a user, checking email, username and identity-link uniqueness in the
-- same step as the write: two concurrent upserts can never both claim one email, username or
-- link. A link, once added, stays (as a 'link:<link>' field of the user hash).
-- KEYS[1]  the user hash               ({dir:<tenant>}:user:<id>)
-- KEYS[2]  the tenant's email index    ({dir:<tenant>}:email, lower-cased email -> user id)
-- KEYS[3]  the tenant's username index ({dir:<tenant>}:username, username -> user id)
-- KEYS[4]  the user's registrations    ({dir:<tenant>}:reg:<id>)
-- KEYS[5]  the tenant's link index     ({dir:<tenant>}:link, identity link -> user id)
-- ARGV[1]  user id
-- ARGV[2]  email, lower-cased ('' for none)
-- ARGV[3]  username ('' for none)
-- ARGV[4]  insert instant for a new user ('' to use now), epoch ms
-- ARGV[5]  now, epoch ms (from the caller's clock)
-- ARGV[6]  the other fields, JSON
-- ARGV[7]  an identity link to add ('' for none), encoded by the caller
-- Reply: { 'email' }, { 'username' } or { 'link' } when another user holds it (nothing
-- written), else { 'ok', insertInstant, { field, value, ... }, { field, ... } } with the
-- user's registrations and the fields of the user hash (its links among them).
local user, emails, usernames, registrations, links = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local id, email, username, link = ARGV[1], ARGV[2], ARGV[3], ARGV[7]

if email ~= '' then
  local holder = redis.call('HGET', emails, email)
  if holder and holder ~= id then
    return { 'email' }
  end
end
if username ~= '' then
  local holder = redis.call('HGET', usernames, username)
  if holder and holder ~= id then
    return { 'username' }
  end
end

if link ~= '' then
  local holder = redis.call('HGET', links, link)
  if holder and holder ~= id then
    return { 'link' }
  end
end

-- A changed email or username frees the old one, but only if the index still names this user.
local old = redis.call('HMGET', user, 'email', 'username', 'ins')
if old[1] and old[1] ~= '' and old[1] ~= email
    and redis.call('HGET', emails, old[1]) == id then
  redis.call('HDEL', emails, old[1])
end
if old[2] and old[2] ~= '' and old[2] ~= username
    and redis.call('HGET', usernames, old[2]) == id then
  redis.call('HDEL', usernames, old[2])
end

local inserted = old[3]
if not inserted then
  inserted = ARGV[4] ~= '' and ARGV[4] or ARGV[5]
end
redis.call('HSET', user, 'email', email, 'username', username, 'ins', inserted, 'upd', ARGV[5],
  'doc', ARGV[6])
if email ~= '' then
  redis.call('HSET', emails, email, id)
end
if username ~= '' then
  redis.call('HSET', usernames, username, id)
end
if link ~= '' then
  redis.call('HSET', links, link, id)
  redis.call('HSET', user, 'link:' .. link, '1')
end
return { 'ok', inserted, redis.call('HGETALL', registrations), redis.call('HKEYS', user) }
