-- Reads the epoch, the latest sequence number and the live revocations in one step, so no
-- append falls between them: a reader that resumes after this sequence misses nothing and
-- sees nothing twice.
-- KEYS[1]  the sequence counter   ({revocations}:seq)
-- KEYS[2]  the live entries       ({revocations}:live)
-- KEYS[3]  the log epoch          ({revocations}:epoch)
-- ARGV[1]  now, epoch ms (entries expiring at or before it are left out)
-- ARGV[2]  a fresh random epoch, stored only when the log has none
-- Reply: { sequence, epoch, { member, ... } }, each member '<sequence> <revocation>'.
redis.call('SET', KEYS[3], ARGV[2], 'NX')
local sequence = redis.call('GET', KEYS[1]) or '0'
return { sequence, redis.call('GET', KEYS[3]),
  redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[1], '+inf') }
