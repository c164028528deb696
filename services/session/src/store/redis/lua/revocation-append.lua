-- Appends one revocation to the log: the next sequence number, the stream entry that carries
-- it (stream id <sequence>-0, so readers resume and detect trimming by id) and the live entry
-- snapshots read. Time comes from the caller's clock, never Redis TIME.
-- KEYS[1]  the sequence counter   ({revocations}:seq)
-- KEYS[2]  the stream             ({revocations}:stream)
-- KEYS[3]  the live entries       ({revocations}:live, sorted set scored by expiresAt)
-- KEYS[4]  the log epoch          ({revocations}:epoch)
-- KEYS[5]  the tenant's live entries ({revocations}:live:<tenantId>, scored by expiresAt)
-- ARGV[1]  the revocation, encoded
-- ARGV[2]  its expiresAt, epoch ms
-- ARGV[3]  now, epoch ms
-- ARGV[4]  how many entries the stream keeps at least (trimmed approximately beyond)
-- ARGV[5]  a fresh random epoch, stored only when the log has none (it is new or lost its data)
-- ARGV[6]  the most live entries the tenant may hold ('' for no limit)
-- Reply: { 'ok', sequence, epoch }, or { 'limit' } when the tenant is at its limit (nothing
-- written).
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', ARGV[3])
if ARGV[6] ~= '' and redis.call('ZCARD', KEYS[5]) >= tonumber(ARGV[6]) then
  return { 'limit' }
end
local sequence = string.format('%d', tonumber(redis.call('GET', KEYS[1]) or '0') + 1)
-- XADD first: it is the only step that can fail (an id not above the stream's last one), and
-- a script that fails after a write keeps that write, so nothing is written before it.
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], sequence .. '-0', 'r', ARGV[1])
redis.call('SET', KEYS[4], ARGV[5], 'NX')
redis.call('SET', KEYS[1], sequence)
-- The sequence prefix keeps identical revocations apart as members of the set.
local member = sequence .. ' ' .. ARGV[1]
redis.call('ZADD', KEYS[3], ARGV[2], member)
redis.call('ZADD', KEYS[5], ARGV[2], member)
-- Entries past their expiry cover only tokens that have expired on their own.
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[3])
return { 'ok', sequence, redis.call('GET', KEYS[4]) }
