-- Resolve a pending reservation by posting it: take the stake, pay the win, and append the
-- settled round (with its provably fair proof) to the stream, all at once. Settling twice
-- returns the first result.
-- KEYS[1] wallet hash, KEYS[2] reservation hash, KEYS[3] the shard's journal,
-- KEYS[4] open-rounds hash, KEYS[5] the shard's event stream, KEYS[6] the player's rg hash,
-- KEYS[7] bonus hash
-- KEYS[8] the shard's push stream, KEYS[9] the player's sessions (`push_into`)
-- ARGV: payout, outcome_json, keep_ms, inputs_json ('' keeps the reserved inputs)
--#include _clock
--#include _spend
--#include _emit_event
--#include _loss_credit
--#include _bonus
push_into(KEYS[8], KEYS[9])
local r = redis.call('HMGET', KEYS[2], 'state', 'amount', 'player_id', 'game', 'currency',
  'round_id', 'reserved_at', 'balance_before', 'balance_after', 'stream_id', 'inputs',
  'seed_hash', 'client_seed', 'nonce', 'from_bonus')
local state = r[1]
if not state then
  return {'NO_RESERVATION'}
end
if state == 'settled' then
  return {'ALREADY', tonumber(r[9]), r[10]}
end
if state ~= 'pending' then
  return {'NOT_PENDING', state}
end
local amount = tonumber(r[2])
local payout = tonumber(ARGV[1])
local inputs = r[11]
if ARGV[4] ~= '' then
  inputs = ARGV[4]
end
local now = now_ms()
local stake_bonus = tonumber(r[15] or '0')
local to_cash, to_bonus = split_payout(payout, amount, stake_bonus)
redis.call('HINCRBY', KEYS[1], 'held', -amount)
local cash = move_sub_balances(KEYS[1], to_cash, to_bonus)
rg_credit(KEYS[6], payout, now)
local id = redis.call('XADD', KEYS[3], '*',
  'kind', 'settle', 'round_id', r[6], 'player_id', r[3], 'game', r[4], 'currency', r[5],
  'stake', amount, 'payout', payout, 'balance_before', r[8], 'balance_after', cash,
  'outcome', ARGV[2], 'reserved_at', r[7], 'settled_at', now, 'inputs', inputs,
  'seed_hash', r[12], 'client_seed', r[13], 'nonce', r[14],
  'stake_bonus', stake_bonus, 'payout_bonus', to_bonus)
cash = bonus_settle(KEYS[1], KEYS[7], KEYS[3], KEYS[5], tonumber(r[3]), r[5], now) or cash
redis.call('HSET', KEYS[2], 'state', 'settled', 'payout', payout, 'balance_after', cash,
  'stream_id', id)
-- The secret seed and the live game state are no longer needed once the round is on record.
redis.call('HDEL', KEYS[2], 'server_seed', 'round_state')
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[3]))
emit_event(KEYS[5], 'round_settled', 'round:' .. r[6], tonumber(r[3]), now,
  {'round_id', r[6], 'game', r[4], 'currency', r[5], 'stake', amount, 'win', payout,
   'balance', cash, 'free', false}, 2)
if redis.call('HGET', KEYS[4], r[4]) == r[6] then
  redis.call('HDEL', KEYS[4], r[4])
end
return {'OK', cash, id}
