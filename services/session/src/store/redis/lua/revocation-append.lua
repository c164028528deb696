-- Appends one revocation to the log: the next sequence number, the stream entry that carries
-- it (stream id <sequence>-0, so readers resume and detect trimming by id) and the live entry
-- snapshots read. Time comes from the caller's clock, never Redis TIME.
-- KEYS[1]  the sequence counter   ({revocations}:seq)
-- KEYS[2]  the stream             ({revocations}:stream)
-- KEYS[3]  the live entries       ({revocations}:live, sorted set scored by expiresAt)
-- ARGV[1]  the revocation, encoded
-- ARGV[2]  its expiresAt, epoch ms
-- ARGV[3]  now, epoch ms
-- ARGV[4]  how many entries the stream keeps at least (trimmed approximately beyond)
-- Reply: the sequence number, as a string.
local sequence = string.format('%d', tonumber(redis.call('GET', KEYS[1]) or '0') + 1)
-- XADD first: it is the only step that can fail (an id not above the stream's last one), and
-- a script that fails after a write keeps that write, so nothing is written before it.
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], sequence .. '-0', 'r', ARGV[1])
redis.call('SET', KEYS[1], sequence)
-- The sequence prefix keeps identical revocations apart as members of the set.
redis.call('ZADD', KEYS[3], ARGV[2], sequence .. ' ' .. ARGV[1])
-- Entries past their expiry cover only tokens that have expired on their own.
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[3])
return sequence
