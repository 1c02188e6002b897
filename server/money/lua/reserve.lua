-- Hold a stake and assign the round its provably fair nonce, in one atomic step.
-- KEYS[1] wallet hash, KEYS[2] reservation hash, KEYS[3] fair-seed hash, KEYS[4] open-rounds hash
-- (all {s:K}), KEYS[5] the shard's journal, KEYS[6] the shard's event stream,
-- KEYS[7] the player's rg hash, KEYS[8] bonus hash
-- KEYS[9] the shard's push stream, KEYS[10] the player's sessions (`push_into`)
-- ARGV: amount, ttl_ms, player_id, game, currency, round_id, inputs_json, max_backlog,
--       max_lag_ms, weight_class
-- Returns {'OK', cash_after, server_seed_hex, client_seed, nonce}, the same after 'ALREADY'
-- and the reservation's state for a retry, or a refusal.
-- A pending reservation has no TTL on purpose: an expiring key would strand the held money.
--#include _clock
--#include _backpressure
--#include _spend
--#include _emit_event
--#include _loss_limit
--#include _bonus
push_into(KEYS[9], KEYS[10])
local r = redis.call('HMGET', KEYS[2], 'state', 'server_seed', 'client_seed', 'nonce')
if r[1] then
  -- Round ids are unique and unguessable, so this is our own retry (a reply lost in transit).
  local cash = tonumber(redis.call('HGET', KEYS[1], 'cash') or '0')
  return {'ALREADY', r[1], cash, r[2], r[3], tonumber(r[4])}
end
if flusher_behind(KEYS[5], ARGV[8], ARGV[9]) then
  return {'BUSY'}
end
local cash, bonus = sub_balances(KEYS[1])
if not cash then
  return {'NO_WALLET'}
end
local seed = redis.call('HMGET', KEYS[3], 'server_seed', 'seed_hash', 'client_seed', 'nonce')
if not seed[1] then
  return {'NO_SEED'}
end
local open = redis.call('HGET', KEYS[4], ARGV[4])
if open then
  return {'ROUND_IN_PROGRESS', open}
end
local amount = tonumber(ARGV[1])
if cash + bonus < amount then
  return {'INSUFFICIENT_FUNDS', cash}
end
local now = now_ms()
local refused = rg_refusal(KEYS[7], amount, now)
if refused then
  return refused
end
-- What the stake counts is kept with the reservation: a void takes back exactly that.
local over, counted, counted_award = bonus_wager(KEYS[8], ARGV[4], ARGV[10] or '', amount,
  amount, now, {KEYS[6], tonumber(ARGV[3]), ARGV[5], 'wagered:round:' .. ARGV[6] .. ':0'})
if over then
  return {'BONUS_MAX_STAKE', over}
end
rg_count_stake(KEYS[7], amount, now)
local from_cash, from_bonus = split_stake(amount, cash)
local after = move_sub_balances(KEYS[1], -from_cash, -from_bonus)
redis.call('HINCRBY', KEYS[1], 'held', amount)
redis.call('HINCRBY', KEYS[3], 'nonce', 1)
redis.call('HSET', KEYS[2],
  'state', 'pending', 'amount', amount, 'from_bonus', from_bonus, 'player_id', ARGV[3],
  'game', ARGV[4], 'currency', ARGV[5], 'round_id', ARGV[6], 'reserved_at', now,
  'expires_at', now + tonumber(ARGV[2]), 'balance_before', cash, 'inputs', ARGV[7],
  'server_seed', seed[1], 'seed_hash', seed[2], 'client_seed', seed[3], 'nonce', seed[4],
  'version', 0, 'counted', counted, 'counted_award', counted_award)
emit_event(KEYS[6], 'stake', 'stake:' .. ARGV[6] .. ':0', tonumber(ARGV[3]), now,
  {'round_id', ARGV[6], 'game', ARGV[4], 'currency', ARGV[5], 'amount', amount,
   'balance', after})
return {'OK', after, seed[1], seed[3], tonumber(seed[4])}
