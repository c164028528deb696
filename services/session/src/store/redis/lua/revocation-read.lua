-- Reads entries from a sequence number on, with the latest sequence number and the epoch in
-- the same step, so the caller can tell "nothing new" from "trimmed away" or "the log lost
-- its data" without a race.
-- KEYS[1]  the sequence counter   ({revocations}:seq)
-- KEYS[2]  the stream             ({revocations}:stream)
-- KEYS[3]  the log epoch          ({revocations}:epoch)
-- ARGV[1]  the first stream id wanted (<sequence>-0)
-- ARGV[2]  at most this many entries
-- ARGV[3]  a fresh random epoch, stored only when the log has none
-- Reply: { sequence, epoch, { { id, { field, value, ... } }, ... } }.
redis.call('SET', KEYS[3], ARGV[3], 'NX')
local sequence = redis.call('GET', KEYS[1]) or '0'
return { sequence, redis.call('GET', KEYS[3]),
  redis.call('XRANGE', KEYS[2], ARGV[1], '+', 'COUNT', ARGV[2]) }
