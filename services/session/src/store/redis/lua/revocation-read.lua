-- Reads entries from a sequence number on, with the latest sequence number in the same step,
-- so the caller can tell "nothing new" from "trimmed away" without a race.
-- KEYS[1]  the sequence counter   ({revocations}:seq)
-- KEYS[2]  the stream             ({revocations}:stream)
-- ARGV[1]  the first stream id wanted (<sequence>-0)
-- ARGV[2]  at most this many entries
-- Reply: { sequence, { { id, { field, value, ... } }, ... } }.
local sequence = redis.call('GET', KEYS[1]) or '0'
return { sequence, redis.call('XRANGE', KEYS[2], ARGV[1], '+', 'COUNT', ARGV[2]) }
