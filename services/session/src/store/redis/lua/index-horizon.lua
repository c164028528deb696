-- Records how long the family's indexes are known to live, once they have been extended;
-- only ever moves forward, and never recreates a family that has expired meanwhile.
-- KEYS[1]  the family hash (rt:{familyId})
-- ARGV[1]  the new horizon, epoch ms
local current = redis.call('HGET', KEYS[1], 'ixp')
if not current then
  return 0
end
if tonumber(ARGV[1]) > tonumber(current) then
  redis.call('HSET', KEYS[1], 'ixp', ARGV[1])
end
return 1
