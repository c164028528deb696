-- Creates or replaces a user's registration to one application, keeping the id and insert
-- instant of the one it replaces. Three fields per application in the user's registrations
-- hash: 'id:<app>', 'at:<app>' (insert instant) and 'doc:<app>' (the rest, JSON).
-- KEYS[1]  the user hash            ({dir:<tenant>}:user:<id>)
-- KEYS[2]  the user's registrations ({dir:<tenant>}:reg:<id>)
-- ARGV[1]  application id
-- ARGV[2]  id for a new registration
-- ARGV[3]  now, epoch ms (insert instant of a new registration)
-- ARGV[4]  the other fields, JSON
-- Reply: { 'missing' } when the user does not exist (nothing written), else { 'ok', id, at }.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return { 'missing' }
end
local app = ARGV[1]
local prior = redis.call('HMGET', KEYS[2], 'id:' .. app, 'at:' .. app)
local id = prior[1] or ARGV[2]
local at = prior[2] or ARGV[3]
redis.call('HSET', KEYS[2], 'id:' .. app, id, 'at:' .. app, at, 'doc:' .. app, ARGV[4])
return { 'ok', id, at }
