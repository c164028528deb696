-- Registers a new fork with its root session, in the root's slot: the root must be live and
-- below its cap. A revocation of the root marks it revoked in this same slot, so a fork is
-- either refused here or listed before the revocation reads the list.
-- KEYS[1]  the root family hash   (rt:{rootId})
-- KEYS[2]  the root's forks       (rt:{rootId}:forks, set of family ids)
-- ARGV[1]  tenant id the root must belong to
-- ARGV[2]  user id the root must belong to
-- ARGV[3]  now, epoch ms
-- ARGV[4]  the fork's family id
-- ARGV[5]  how many forks the root may have
-- ARGV[6]  '1' to confirm a fork already registered (after its family is stored): no cap
--          check, the fork is listed again in case a prune dropped it meanwhile
-- Reply: 'ok' | 'unknown' | 'revoked' | 'expired' | 'full'
local f = redis.call('HMGET', KEYS[1], 'tid', 'uid', 'rev', 'exp')
if not f[1] or f[1] ~= ARGV[1] or f[2] ~= ARGV[2] then
  return 'unknown'
end
if f[3] == '1' then
  return 'revoked'
end
if tonumber(ARGV[3]) >= tonumber(f[4]) then
  return 'expired'
end
if ARGV[6] ~= '1' and redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[5]) then
  return 'full'
end
redis.call('SADD', KEYS[2], ARGV[4])
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 and redis.call('PTTL', KEYS[2]) < ttl then
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return 'ok'
