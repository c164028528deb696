-- Reads the latest sequence number and the live revocations in one step, so no append falls
-- between them: a reader that resumes after this sequence misses nothing and sees nothing twice.
-- KEYS[1]  the sequence counter   ({revocations}:seq)
-- KEYS[2]  the live entries       ({revocations}:live)
-- ARGV[1]  now, epoch ms (entries expiring at or before it are left out)
-- Reply: { sequence, { member, ... } }, each member '<sequence> <revocation>'.
local sequence = redis.call('GET', KEYS[1]) or '0'
return { sequence, redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[1], '+inf') }
