-- Resolve a pending reservation by voiding it: the held stake goes back to cash and bonus as it
-- came from them, and the void is appended to the stream so the round stays on record. Only
-- a pending reservation moves.
-- KEYS[1] wallet hash, KEYS[2] reservation hash, KEYS[3] the shard's journal,
-- KEYS[4] open-rounds hash, KEYS[5] the shard's event stream, KEYS[6] the player's rg hash,
-- KEYS[7] bonus hash
-- KEYS[8] the shard's push stream, KEYS[9] the player's sessions (`push_into`)
-- ARGV: reason ('voided' or 'expired'), only_if_due ('1' or '0'), keep_ms
--#include _clock
--#include _spend
--#include _emit_event
--#include _loss_credit
--#include _bonus
push_into(KEYS[8], KEYS[9])
local r = redis.call('HMGET', KEYS[2], 'state', 'amount', 'player_id', 'game', 'currency',
  'round_id', 'reserved_at', 'balance_before', 'expires_at', 'inputs', 'seed_hash',
  'client_seed', 'nonce', 'from_bonus', 'counted', 'counted_award')
local state = r[1]
if not state then
  return {'NO_RESERVATION'}
end
if state ~= 'pending' then
  return {'ALREADY', state}
end
local now = now_ms()
if ARGV[2] == '1' and now < tonumber(r[9]) then
  return {'NOT_DUE', tonumber(r[9])}
end
local amount = tonumber(r[2])
-- The stake goes back whole, so each part goes back to the sub-balance it came from.
local stake_bonus = tonumber(r[14] or '0')
redis.call('HINCRBY', KEYS[1], 'held', -amount)
local cash = move_sub_balances(KEYS[1], amount - stake_bonus, stake_bonus)
rg_credit(KEYS[6], amount, now)
-- A stake returned whole counts towards no wagering: take back exactly what it counted.
bonus_unwager(KEYS[7], r[16], tonumber(r[15] or '0'), now,
  {KEYS[5], tonumber(r[3]), r[5], 'unwagered:round:' .. r[6]})
local id = redis.call('XADD', KEYS[3], '*',
  'kind', ARGV[1], 'round_id', r[6], 'player_id', r[3], 'game', r[4], 'currency', r[5],
  'stake', amount, 'payout', 0, 'balance_before', r[8], 'balance_after', cash,
  'outcome', '{}', 'reserved_at', r[7], 'settled_at', now, 'inputs', r[10],
  'seed_hash', r[11], 'client_seed', r[12], 'nonce', r[13],
  'stake_bonus', stake_bonus, 'payout_bonus', 0)
cash = bonus_settle(KEYS[1], KEYS[7], KEYS[3], KEYS[5], tonumber(r[3]), r[5], now) or cash
redis.call('HSET', KEYS[2], 'state', ARGV[1], 'balance_after', cash, 'stream_id', id)
redis.call('HDEL', KEYS[2], 'server_seed', 'round_state')
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[3]))
emit_event(KEYS[5], 'round_settled', 'round:' .. r[6], tonumber(r[3]), now,
  {'round_id', r[6], 'game', r[4], 'currency', r[5], 'stake', amount, 'win', 0,
   'balance', cash, 'voided', true, 'free', false}, 2)
if redis.call('HGET', KEYS[4], r[4]) == r[6] then
  redis.call('HDEL', KEYS[4], r[4])
end
return {'OK', cash, id}
