-- Revokes one family if it matches the selector; afterwards no rotation can succeed.
-- KEYS[1]  the family hash          (rt:{familyId})
-- KEYS[2]  the family's ancestors   (rt:{familyId}:anc)
-- ARGV[1]  tenant id
-- ARGV[2]  now, epoch ms
-- ARGV[3]  user id the family must belong to ('' for any)
-- ARGV[4]  application id the family must belong to ('' for any)
-- ARGV[5]  HMAC of a token the family must have issued ('' for any)
-- Reply: { 'missing' } gone; { 'other' } not covered; { 'revoked' } already revoked;
-- { 'expired' } marked but no longer live; { 'ok', field, value, ... } revoked now.
local f = redis.call('HMGET', KEYS[1], 'tid', 'uid', 'aid', 'rev', 'exp', 'cur', 'par')
if not f[1] then
  return { 'missing' }
end
if f[1] ~= ARGV[1] or (ARGV[3] ~= '' and f[2] ~= ARGV[3]) or (ARGV[4] ~= '' and f[3] ~= ARGV[4]) then
  return { 'other' }
end
local token = ARGV[5]
if token ~= '' and token ~= f[6] and token ~= f[7] and not redis.call('ZSCORE', KEYS[2], token) then
  return { 'other' }
end
if f[4] == '1' then
  return { 'revoked' }
end
redis.call('HSET', KEYS[1], 'rev', '1')
if tonumber(ARGV[2]) >= tonumber(f[5]) then
  return { 'expired' }
end
local out = redis.call('HGETALL', KEYS[1])
table.insert(out, 1, 'ok')
return out
