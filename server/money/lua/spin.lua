-- A whole single-step round in one atomic step: check the provably fair nonce the outcome
-- was drawn with, check funds, take the stake, pay the win, take the nonce, append the
-- settled round to the journal and its event to the event stream. One round trip per bet.
-- KEYS[1] wallet hash, KEYS[2] done-marker of this round, KEYS[3] fair-seed hash,
-- KEYS[4] the shard's event stream, KEYS[5] the shard's journal, KEYS[6] the player's rg hash,
-- KEYS[7] bonus hash
-- KEYS[8] the shard's push stream, KEYS[9] the player's sessions (`push_into`)
-- ARGV: stake, payout, outcome_json, keep_ms, player_id, game, currency, round_id,
--       inputs_json, seed_hash, client_seed, nonce, max_backlog, max_lag_ms, weight_class
-- Returns {'OK', cash, stream_id[, award, wagered, required]} (the last three when the stake
-- counted towards a bonus's wagering: its progress, in hundredths of a minor unit, which the
-- reply carries instead of a push to this session), {'ALREADY', cash, stream_id} for a retry,
-- or a refusal;
-- {'SEED_MOVED', server_seed, client_seed, nonce, seed_hash} means: draw again with these.
--#include _clock
--#include _backpressure
--#include _spend
--#include _emit_event
--#include _loss_limit
--#include _loss_credit
--#include _bonus
push_into(KEYS[8], KEYS[9], true)
local done = redis.call('GET', KEYS[2])
if done then
  local sep = string.find(done, '|', 1, true)
  return {'ALREADY', tonumber(string.sub(done, 1, sep - 1)), string.sub(done, sep + 1)}
end
if flusher_behind(KEYS[5], ARGV[13], ARGV[14]) then
  return {'BUSY'}
end
local cash, bonus = sub_balances(KEYS[1])
if not cash then
  return {'NO_WALLET'}
end
local seed = redis.call('HMGET', KEYS[3], 'seed_hash', 'client_seed', 'nonce', 'server_seed')
if not seed[1] then
  return {'NO_SEED'}
end
if seed[1] ~= ARGV[10] or seed[2] ~= ARGV[11] or seed[3] ~= ARGV[12] then
  return {'SEED_MOVED', seed[4], seed[2], tonumber(seed[3]), seed[1]}
end
local stake = tonumber(ARGV[1])
local payout = tonumber(ARGV[2])
local now = now_ms()
local free = bonus_free_spin_due(KEYS[7], ARGV[6], stake, now)
if cash + bonus < stake and not free then
  return {'INSUFFICIENT_FUNDS', cash}
end
-- A free spin's stake is the promotion's money: it counts towards no loss limit.
local lost = stake
if free then
  lost = 0
end
local refused = rg_refusal(KEYS[6], lost, now)
if refused then
  return refused
end
local over, award, wagered, required = nil, nil, nil, nil
if not free then
  local _
  over, _, award, wagered, required = bonus_wager(KEYS[7], ARGV[6], ARGV[15] or '', stake, stake,
    now, {KEYS[4], tonumber(ARGV[5]), ARGV[7], 'wagered:round:' .. ARGV[8]})
end
if over then
  return {'BONUS_MAX_STAKE', over}
end
rg_count_stake(KEYS[6], lost, now)
rg_credit(KEYS[6], payout, now)
redis.call('HINCRBY', KEYS[3], 'nonce', 1)
local from_cash, from_bonus = split_stake(stake, cash)
if free then
  from_cash, from_bonus = bonus_free_spin(KEYS[1], KEYS[7], KEYS[5], tonumber(ARGV[5]), ARGV[7],
    stake, payout, now)
end
local to_cash, to_bonus = split_payout(payout, stake, from_bonus)
local after = move_sub_balances(KEYS[1], to_cash - from_cash, to_bonus - from_bonus)
local id = redis.call('XADD', KEYS[5], '*',
  'kind', 'settle', 'round_id', ARGV[8], 'player_id', ARGV[5], 'game', ARGV[6],
  'currency', ARGV[7], 'stake', stake, 'payout', payout, 'balance_before', cash,
  'balance_after', after, 'outcome', ARGV[3], 'reserved_at', now, 'settled_at', now,
  'inputs', ARGV[9], 'seed_hash', seed[1], 'client_seed', seed[2], 'nonce', seed[3],
  'stake_bonus', from_bonus, 'payout_bonus', to_bonus, 'free', free and '1' or '0')
after = bonus_settle(KEYS[1], KEYS[7], KEYS[5], KEYS[4], tonumber(ARGV[5]), ARGV[7], now) or after
redis.call('SET', KEYS[2], after .. '|' .. id, 'PX', tonumber(ARGV[4]))
emit_event(KEYS[4], 'round_settled', 'round:' .. ARGV[8], tonumber(ARGV[5]), now,
  {'round_id', ARGV[8], 'game', ARGV[6], 'currency', ARGV[7], 'stake', stake, 'win', payout,
   'balance', after, 'free', free}, 2)
-- No count: award is nil or '' (tonumber gives nil), and the table ends at the stream id.
return {'OK', after, id, tonumber(award), wagered, required}
