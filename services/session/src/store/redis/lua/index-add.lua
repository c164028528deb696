-- Adds a family to a user or application index and makes the index live at least as long
-- as the family may (an index TTL only ever grows, so one short family cannot cut it).
-- KEYS[1]  the index set (rt:u:{tenant:user} or rt:a:{tenant:application})
-- ARGV[1]  family id
-- ARGV[2]  milliseconds the index must at least live
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
