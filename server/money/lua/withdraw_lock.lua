-- Lock a withdrawal's amount: spendable cash -> the wallet's `locked` funds, once per payment,
-- and append the movement to the rounds stream in the same step (the flusher posts it to the
-- ledger in stream order, after every round that changed the cash before it).
-- Stakes spend `cash` then `bonus` (lua/_spend.lua), never `locked`, so locked money cannot be
-- staked; only cash is withdrawable, so bonus is never locked.
-- KEYS[1] wallet hash, KEYS[2] withdrawal record (both {s:K}), KEYS[3] the shard's journal,
-- KEYS[4] the shard's event stream
-- KEYS[5] the shard's push stream, KEYS[6] the player's sessions (`push_into`)
-- ARGV: payment_id, player_id, currency, amount, gateway
--#include _clock
--#include _spend
--#include _emit_event
push_into(KEYS[5], KEYS[6])
local state = redis.call('HGET', KEYS[2], 'state')
if state then
  return {'ALREADY', state, tonumber(redis.call('HGET', KEYS[1], 'cash') or '0')}
end
local cash = sub_balances(KEYS[1])
if not cash then
  return {'NO_WALLET'}
end
local amount = tonumber(ARGV[4])
if cash < amount then
  return {'INSUFFICIENT_FUNDS', cash}
end
local after = redis.call('HINCRBY', KEYS[1], 'cash', -amount)
redis.call('HINCRBY', KEYS[1], 'locked', amount)
local now = now_ms()
redis.call('XADD', KEYS[3], '*', 'kind', 'withdrawal_lock', 'payment_id', ARGV[1],
  'player_id', ARGV[2], 'currency', ARGV[3], 'amount', ARGV[4], 'gateway', ARGV[5],
  'balance_before', cash, 'balance_after', after, 'created_at', now)
redis.call('HSET', KEYS[2], 'state', 'locked', 'amount', amount, 'locked_at', now)
emit_event(KEYS[4], 'withdrawal_funds', 'withdrawal:' .. ARGV[1] .. ':locked',
  tonumber(ARGV[2]), now, {'payment_id', tonumber(ARGV[1]), 'action', 'locked',
  'amount', amount, 'currency', ARGV[3], 'balance', after})
return {'OK', after}
