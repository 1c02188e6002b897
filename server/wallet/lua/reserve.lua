-- Hold a stake: check funds and move them from cash to held in one step.
-- KEYS[1] wallet hash, KEYS[2] reservation hash (same {p:ID} slot)
-- ARGV: amount, ttl_ms, player_id, game, currency, round_id
-- A pending reservation has no TTL on purpose: an expiring key would strand the held money.
local amount = tonumber(ARGV[1])
local state = redis.call('HGET', KEYS[2], 'state')
if state then
  -- Round ids are unique and unguessable, so this is our own retry (a reply lost in transit).
  return {'DUPLICATE', state, tonumber(redis.call('HGET', KEYS[1], 'cash') or '0')}
end
local cash = redis.call('HGET', KEYS[1], 'cash')
if not cash then
  return {'NO_WALLET'}
end
cash = tonumber(cash)
if cash < amount then
  return {'INSUFFICIENT_FUNDS', cash}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HINCRBY', KEYS[1], 'cash', -amount)
redis.call('HINCRBY', KEYS[1], 'held', amount)
redis.call('HSET', KEYS[2],
  'state', 'pending', 'amount', amount, 'player_id', ARGV[3], 'game', ARGV[4],
  'currency', ARGV[5], 'round_id', ARGV[6], 'reserved_at', now,
  'expires_at', now + tonumber(ARGV[2]), 'balance_before', cash)
return {'OK', cash - amount}
