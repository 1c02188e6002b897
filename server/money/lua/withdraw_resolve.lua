-- Resolve a locked withdrawal exactly once: 'paid' (the gateway paid it out: locked funds
-- leave for the gateway's clearing account) or 'returned' (declined: locked -> cash).
-- The movement is appended to the rounds stream in the same step, for the ledger.
-- KEYS[1] wallet hash, KEYS[2] withdrawal record (both {s:K}), KEYS[3] the shard's journal,
-- KEYS[4] the shard's event stream
-- KEYS[5] the shard's push stream, KEYS[6] the player's sessions (`push_into`)
-- ARGV: payment_id, player_id, currency, amount, gateway, outcome ('paid'/'returned'), keep_ms
--#include _clock
--#include _emit_event
push_into(KEYS[5], KEYS[6])
local state = redis.call('HGET', KEYS[2], 'state')
if not state then
  return {'NOT_LOCKED'}
end
local cash = tonumber(redis.call('HGET', KEYS[1], 'cash') or '0')
if state ~= 'locked' then
  if state == ARGV[6] then
    return {'ALREADY', cash}
  end
  return {'CONFLICT', state}
end
local amount = tonumber(ARGV[4])
local locked = tonumber(redis.call('HGET', KEYS[1], 'locked') or '0')
if locked < amount then
  return {'LOCKED_SHORT', locked}  -- never drive locked funds below zero
end
redis.call('HINCRBY', KEYS[1], 'locked', -amount)
local after = cash
if ARGV[6] == 'returned' then
  after = redis.call('HINCRBY', KEYS[1], 'cash', amount)
end
local now = now_ms()
redis.call('XADD', KEYS[3], '*', 'kind', 'withdrawal_' .. ARGV[6], 'payment_id', ARGV[1],
  'player_id', ARGV[2], 'currency', ARGV[3], 'amount', ARGV[4], 'gateway', ARGV[5],
  'balance_before', cash, 'balance_after', after, 'created_at', now)
redis.call('HSET', KEYS[2], 'state', ARGV[6], 'resolved_at', now)
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[7]))
emit_event(KEYS[4], 'withdrawal_funds', 'withdrawal:' .. ARGV[1] .. ':' .. ARGV[6],
  tonumber(ARGV[2]), now, {'payment_id', tonumber(ARGV[1]), 'action', ARGV[6],
  'amount', amount, 'currency', ARGV[3], 'balance', after})
return {'OK', after}
