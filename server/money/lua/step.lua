-- Record one step of a multi-step round (blackjack): hold the extra stake the action needs
-- (double, split, insurance) and save the new game state, only if nobody stepped in between.
-- KEYS[1] wallet hash, KEYS[2] reservation hash, KEYS[3] open-rounds hash,
-- KEYS[4] the shard's event stream, KEYS[5] the player's rg hash, KEYS[6] bonus hash
-- KEYS[7] the shard's push stream, KEYS[8] the player's sessions (`push_into`)
-- ARGV: expected_version, extra_amount, round_state_json, inputs_json, ttl_ms, player_id,
--       currency, weight_class
-- Returns {'OK', cash, held_for_round, new_version} or a refusal.
--#include _clock
--#include _spend
--#include _emit_event
--#include _loss_limit
--#include _bonus
push_into(KEYS[7], KEYS[8])
local r = redis.call('HMGET', KEYS[2], 'state', 'version', 'amount', 'game', 'round_id')
if not r[1] then
  return {'NO_RESERVATION'}
end
if r[1] ~= 'pending' then
  return {'NOT_PENDING', r[1]}
end
if tonumber(r[2]) ~= tonumber(ARGV[1]) then
  return {'CONFLICT', tonumber(r[2])}
end
local extra = tonumber(ARGV[2])
local cash, bonus = sub_balances(KEYS[1])
if extra > 0 then
  if cash + bonus < extra then
    return {'INSUFFICIENT_FUNDS', cash}
  end
  local refused = rg_refusal(KEYS[5], extra, now_ms())
  if refused then
    return refused
  end
  local over, counted, counted_award = bonus_wager(KEYS[6], r[4], ARGV[8] or '', extra,
    tonumber(r[3]) + extra, now_ms(), {KEYS[4], tonumber(ARGV[6]), ARGV[7],
    'wagered:round:' .. r[5] .. ':' .. (tonumber(r[2]) + 1)})
  if over then
    return {'BONUS_MAX_STAKE', over}
  end
  if counted > 0 then
    -- A bonus cannot change while a stake is held (its settle waits), so one award per round.
    redis.call('HINCRBY', KEYS[2], 'counted', counted)
    redis.call('HSET', KEYS[2], 'counted_award', counted_award)
  end
  rg_count_stake(KEYS[5], extra, now_ms())
  local from_cash, from_bonus = split_stake(extra, cash)
  redis.call('HINCRBY', KEYS[1], 'held', extra)
  cash = move_sub_balances(KEYS[1], -from_cash, -from_bonus)
  redis.call('HINCRBY', KEYS[2], 'amount', extra)
  -- A reservation from before bonuses has no from_bonus: HINCRBY counts it as 0.
  redis.call('HINCRBY', KEYS[2], 'from_bonus', from_bonus)
end
local now = now_ms()
local version = tonumber(r[2]) + 1
redis.call('HSET', KEYS[2], 'round_state', ARGV[3], 'inputs', ARGV[4], 'version', version,
  'expires_at', now + tonumber(ARGV[5]))
redis.call('HSET', KEYS[3], r[4], r[5])
if extra > 0 then
  emit_event(KEYS[4], 'stake', 'stake:' .. r[5] .. ':' .. version, tonumber(ARGV[6]), now,
    {'round_id', r[5], 'game', r[4], 'currency', ARGV[7], 'amount', extra, 'balance', cash})
end
return {'OK', cash, tonumber(r[3]) + extra, version}
