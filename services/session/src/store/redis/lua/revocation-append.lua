-- Appends one revocation to the log: the next sequence number, the stream entry that carries
-- it (stream id <sequence>-0, so readers resume and detect trimming by id) and the live entry
-- snapshots read. Time comes from the caller's clock, never Redis TIME.
-- KEYS[1]  the sequence counter   ({revocations}:seq)
-- KEYS[2]  the stream             ({revocations}:stream)
-- KEYS[3]  the live entries       ({revocations}:live, sorted set scored by expiresAt)
-- KEYS[4]  the log epoch          ({revocations}:epoch)
-- KEYS[5]  the tenant's live entries ({revocations}:live:<tenantId>, scored by expiresAt)
-- KEYS[6]  the user's counted live entries ({revocations}:user:…, scored by expiresAt)
-- KEYS[7]  the user's latest user-wide entry ({revocations}:wide:…, hash member/notBefore/
--          expiresAt)
-- ARGV[1]  the revocation, encoded
-- ARGV[2]  its expiresAt, epoch ms
-- ARGV[3]  now, epoch ms
-- ARGV[4]  how many entries the stream keeps at least (trimmed approximately beyond)
-- ARGV[5]  a fresh random epoch, stored only when the log has none (it is new or lost its data)
-- ARGV[6]  the most live entries the tenant may hold ('' for no limit)
-- ARGV[7]  the most live entries the user may hold ('' when the entry counts for no user;
--          KEYS[6] and KEYS[7] are then left alone)
-- ARGV[8]  the user-wide revocation written instead once the user is at that bound, encoded
-- ARGV[9]  its expiresAt
-- ARGV[10] its notBefore
-- ARGV[11] '1' when ARGV[1] is itself user-wide, else ''
-- ARGV[12] the notBefore of ARGV[1]
-- Reply: { 'ok', sequence, epoch, '1' when the user-wide revocation was written else '' },
-- or { 'limit' } when the tenant is at its limit (nothing written).
local now = tonumber(ARGV[3])
-- Milliseconds from now to an expiry, at least one (PEXPIRE 0 would delete at once).
local function ttl(at)
  return string.format('%d', math.max(1, math.ceil(at - now)))
end
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', ARGV[3])
local encoded, expiresAt, notBefore, wide, bounded = ARGV[1], ARGV[2], ARGV[12], ARGV[11] == '1', ''
local old = nil
if ARGV[7] ~= '' then
  redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', ARGV[3])
  if redis.call('ZCARD', KEYS[6]) >= tonumber(ARGV[7]) then
    encoded, expiresAt, notBefore, wide, bounded = ARGV[8], ARGV[9], ARGV[10], true, '1'
  end
  -- A user-wide entry replaces the user's previous one when it covers all of it.
  if wide then
    local previous = redis.call('HMGET', KEYS[7], 'member', 'notBefore', 'expiresAt')
    if previous[1] and tonumber(previous[3]) > now
      and tonumber(previous[2]) <= tonumber(notBefore)
      and tonumber(previous[3]) <= tonumber(expiresAt) then
      old = previous[1]
    end
  end
end
if old == nil and ARGV[6] ~= '' and redis.call('ZCARD', KEYS[5]) >= tonumber(ARGV[6]) then
  return { 'limit' }
end
local sequence = string.format('%d', tonumber(redis.call('GET', KEYS[1]) or '0') + 1)
-- XADD first: it is the only step that can fail (an id not above the stream's last one), and
-- a script that fails after a write keeps that write, so nothing is written before it.
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], sequence .. '-0', 'r', encoded)
redis.call('SET', KEYS[4], ARGV[5], 'NX')
redis.call('SET', KEYS[1], sequence)
-- The sequence prefix keeps identical revocations apart as members of the set.
local member = sequence .. ' ' .. encoded
redis.call('ZADD', KEYS[3], expiresAt, member)
redis.call('ZADD', KEYS[5], expiresAt, member)
if old ~= nil then
  redis.call('ZREM', KEYS[3], old)
  redis.call('ZREM', KEYS[5], old)
  redis.call('ZREM', KEYS[6], old)
end
if ARGV[7] ~= '' then
  redis.call('ZADD', KEYS[6], expiresAt, member)
  -- The user's keys go with their last entry, so users who stopped revoking leave nothing.
  -- Relative to the caller's clock (PEXPIRE, not PEXPIREAT): Redis' own clock plays no part.
  local last = redis.call('ZRANGE', KEYS[6], -1, -1, 'WITHSCORES')
  redis.call('PEXPIRE', KEYS[6], ttl(tonumber(last[2])))
  if wide then
    redis.call('HSET', KEYS[7], 'member', member, 'notBefore', notBefore, 'expiresAt', expiresAt)
    redis.call('PEXPIRE', KEYS[7], ttl(tonumber(expiresAt)))
  end
end
-- Entries past their expiry cover only tokens that have expired on their own.
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[3])
return { 'ok', sequence, redis.call('GET', KEYS[4]), bounded }
