-- Uses a refresh token: the one atomic step behind every refresh. Mirrors the in-memory
-- store and domain/expiration.ts; time comes from the caller's clock, never Redis TIME.
-- KEYS[1]  the family hash          (rt:{familyId})
-- KEYS[2]  the family's ancestors   (rt:{familyId}:anc, sorted set: hash -> generation)
-- KEYS[3]  the family's forks       (rt:{familyId}:forks, set; absent unless it has forks)
-- ARGV[1]  HMAC of the presented token
-- ARGV[2]  HMAC of its successor (the token minted if this call rotates)
-- ARGV[3]  now, epoch ms
-- ARGV[4]  request id ('' for none)
-- ARGV[5]  presenter IP address
-- ARGV[6]  presenter user agent
-- ARGV[7]  tenant id the caller expects ('' for any)
-- ARGV[8]  how many ancestors to remember
-- ARGV[9]  milliseconds keys outlive the expiration (refusals then say 'expired')
-- ARGV[10] idempotency window, ms: how long after a rotation its request id is honoured
-- Reply: { status } or { status, field, value, ... } (the family after the call), status one
-- of rotated | replayed | used | reused | unknown | expired | revoked.
local family, ancestors = KEYS[1], KEYS[2]
local presented, successor = ARGV[1], ARGV[2]
local now = tonumber(ARGV[3])
local requestId, ip, agent, tenant = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local keep = tonumber(ARGV[8])
local margin = tonumber(ARGV[9])
local idempotency = tonumber(ARGV[10])

local f = redis.call('HMGET', family,
  'tid', 'cur', 'par', 'rev', 'exp', 'use', 'rot', 'preq', 'grace', 'rvk', 'slide', 'cap')
local tid, cur, par, exp = f[1], f[2], f[3], tonumber(f[5])
if not tid or (tenant ~= '' and tid ~= tenant) then
  return { 'unknown' }
end

-- Which of the family's tokens was presented. Anything else is unknown, and changes nothing:
-- family ids are not secret, so a made-up token must not be a lever to revoke a family.
local role
if presented == cur then
  role = 'current'
elseif par ~= '' and presented == par then
  role = 'parent'
elseif redis.call('ZSCORE', ancestors, presented) then
  role = 'ancestor'
else
  return { 'unknown' }
end

if f[4] == '1' then
  return { 'revoked' }
end
if now >= exp then
  return { 'expired' }
end

local function fmt(n)
  return string.format('%d', n)
end

local function reply(status)
  local out = redis.call('HGETALL', family)
  table.insert(out, 1, status)
  return out
end

-- A successful use: slide the expiry (never backwards), note who used the token, and let
-- the keys live as long as the family is accepted, plus the margin.
local function use()
  local slide, cap = tonumber(f[11]), tonumber(f[12])
  if slide > 0 then
    local slid = now + slide
    if cap > 0 and slid > cap then
      slid = cap
    end
    if slid > exp then
      exp = slid
    end
  end
  redis.call('HSET', family, 'exp', fmt(exp), 'pip', ip, 'pua', agent, 'laa', ip, 'lai', fmt(now))
  local ttl = fmt(exp - now + margin)
  redis.call('PEXPIRE', family, ttl)
  redis.call('PEXPIRE', ancestors, ttl)
  -- The fork list lives as long as the root, so a late revocation still finds every fork.
  redis.call('PEXPIRE', KEYS[3], ttl)
end

if role == 'current' then
  if f[6] == 'r' then
    use()
    return reply('used')
  end
  if par ~= '' then
    local generation = redis.call('HINCRBY', family, 'gen', 1)
    redis.call('ZADD', ancestors, fmt(generation), par)
    redis.call('ZREMRANGEBYRANK', ancestors, 0, -(keep + 1))
  end
  redis.call('HSET', family, 'par', cur, 'cur', successor, 'rot', fmt(now), 'preq', requestId,
    'ins', fmt(now))
  use()
  return reply('rotated')
end

if role == 'parent' then
  local grace = tonumber(f[9])
  -- A resend of the rotation that consumed this token: only shortly after it (request ids
  -- are not secret), and never after a revocation (checked above).
  local resent = requestId ~= '' and requestId == f[8] and now - tonumber(f[7]) < idempotency
  if resent or (grace > 0 and now - tonumber(f[7]) < grace) then
    use()
    return reply('replayed')
  end
end

-- A consumed token came back outside its grace period: someone holds a copy.
if f[10] == '1' then
  redis.call('HSET', family, 'rev', '1')
end
return reply('reused')
