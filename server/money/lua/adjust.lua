-- A manual balance adjustment (four eyes: proposed by one staff member, approved by another):
-- a signed amount to or from the wallet's spendable cash, once per adjustment, checked and
-- moved in one step (a debit never takes cash below zero: bonus and locked funds are not
-- the cash it takes), and appended to the rounds stream in the same step so the ledger
-- follows in order (server/money/journal/adjustments.py posts it against the operator's
-- account house:adjustments:CUR).
-- KEYS[1] wallet hash, KEYS[2] the adjustment's record (both {s:K}), KEYS[3] the shard's journal,
-- KEYS[4] the shard's event stream
-- KEYS[5] the shard's push stream, KEYS[6] the player's sessions (`push_into`)
-- ARGV: adjustment_id, player_id, currency, amount (signed, never 0), record_ttl_ms
--#include _clock
--#include _spend
--#include _emit_event
push_into(KEYS[5], KEYS[6])
if redis.call('EXISTS', KEYS[2]) == 1 then
  return {'ALREADY', tonumber(redis.call('HGET', KEYS[1], 'cash') or '0')}
end
local cash = sub_balances(KEYS[1])
if not cash then
  return {'NO_WALLET'}
end
local amount = tonumber(ARGV[4])
if cash + amount < 0 then
  return {'INSUFFICIENT_FUNDS', cash}
end
local after = redis.call('HINCRBY', KEYS[1], 'cash', amount)
local now = now_ms()
redis.call('XADD', KEYS[3], '*', 'kind', 'adjustment', 'adjustment_id', ARGV[1],
  'player_id', ARGV[2], 'currency', ARGV[3], 'amount', ARGV[4],
  'balance_before', cash, 'balance_after', after, 'created_at', now)
emit_event(KEYS[4], 'balance_adjusted', 'adjustment:' .. ARGV[1], tonumber(ARGV[2]), now,
  {'adjustment_id', tonumber(ARGV[1]), 'amount', amount, 'currency', ARGV[3], 'balance', after})
redis.call('SET', KEYS[2], '1', 'PX', tonumber(ARGV[5]))
return {'OK', after}
