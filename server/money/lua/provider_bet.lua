-- A provider bet (debit), once per transaction id: check the id, the refusal the caller's
-- rules found, the currency, the round and the funds, then debit, record and append to the
-- rounds stream, all in one atomic step. A retry with the same terms gets the original result.
-- KEYS[1] wallet hash, KEYS[2] transaction record, KEYS[3] round hash (all {s:K}),
-- KEYS[4] the shard's journal, KEYS[5] the shard's event stream, KEYS[6] the player's rg hash,
-- KEYS[7] bonus hash
-- KEYS[8] the shard's push stream, KEYS[9] the player's sessions (`push_into`)
-- ARGV: provider, transaction_uuid, player_id, wallet_currency, currency, amount, round,
--       game, round_closed ('1'/'0'), refusal ('' or a status the caller's rules gave), keep_ms,
--       max_backlog, max_lag_ms, weight_class, free ('1': flagged is_free, a free round of
--       the active bonus's provider free rounds; '0'), reward award ('' or the bonus award of
--       the campaign the free bet's reward_uuid names: it must be the one being played),
--       reward_uuid (as the bet named it, '' for none: a term a retry must repeat),
--       campaign awards ('' or comma-separated bonus awards of the player's campaigns on this
--       game: with no reward named, a free bet may not play their rounds)
--#include _clock
--#include _backpressure
--#include _spend
--#include _emit_event
--#include _loss_limit
--#include _bonus
push_into(KEYS[8], KEYS[9])
local tx = redis.call('HMGET', KEYS[2], 'kind', 'amount', 'currency', 'round', 'game',
  'state', 'balance', 'free', 'reward')
-- Whether this bet plays a free round ('1'): flagged free, of a positive amount. A free bet of
-- 0 is a round the provider pays for itself: an ordinary bet of nothing, recorded as one.
local free_flag = '0'
if ARGV[15] == '1' and tonumber(ARGV[6]) > 0 then
  free_flag = '1'
end
if tx[1] then
  if tx[1] == 'tombstone' then
    return {'ROLLED_BACK'}
  end
  -- Other terms make another transaction; a record without `reward` was written before bets
  -- kept it, so its reward is unknown and not compared.
  if tx[1] ~= 'bet' or tx[2] ~= ARGV[6] or tx[3] ~= ARGV[5] or tx[4] ~= ARGV[7]
      or tx[5] ~= ARGV[8] or (tx[8] or '0') ~= free_flag
      or (tx[9] and tx[9] ~= (ARGV[17] or '')) then
    return {'DUPLICATE'}
  end
  if tx[6] == 'rolled_back' then
    return {'ROLLED_BACK'}
  end
  return {'ALREADY', tonumber(tx[7])}
end
if flusher_behind(KEYS[4], ARGV[12], ARGV[13]) then
  return {'BUSY'}
end
if ARGV[10] ~= '' then
  return {'REFUSED', ARGV[10]}
end
if ARGV[5] ~= ARGV[4] then
  return {'WRONG_CURRENCY'}
end
local cash, bonus = sub_balances(KEYS[1])
if not cash then
  return {'NO_WALLET'}
end
if redis.call('HGET', KEYS[3], 'status') == 'closed' then
  return {'ROUND_CLOSED', cash}
end
local amount = tonumber(ARGV[6])
local now = now_ms()
-- A free round is the promotion's: due only while the active bonus holds free rounds of this
-- game at this stake; it takes nothing from cash and counts towards no loss limit or wagering.
local free = free_flag == '1'
if free and (ARGV[16] or '') ~= '' and not bonus_reward_due(KEYS[7], ARGV[16], now) then
  return {'REWARD_USED_UP', cash}
end
if free and (ARGV[16] or '') == '' and (ARGV[18] or '') ~= '' then
  local active = redis.call('HGET', KEYS[7], 'award')
  if active and string.find(',' .. ARGV[18] .. ',', ',' .. active .. ',', 1, true) then
    return {'NO_FREE_ROUND', cash}
  end
end
if free and not bonus_free_spin_due(KEYS[7], ARGV[1] .. ':' .. ARGV[8], amount, now) then
  return {'NO_FREE_ROUND', cash}
end
if not free and cash + bonus < amount then
  return {'INSUFFICIENT_FUNDS', cash}
end
local lost = amount
if free then
  lost = 0
end
local refused = rg_refusal(KEYS[6], lost, now)
if refused then
  return refused
end
-- What the bet counts is kept with its record: a rollback takes back exactly that.
local over, counted, counted_award = nil, 0, ''
if not free then
  over, counted, counted_award = bonus_wager(KEYS[7], ARGV[1] .. ':' .. ARGV[8],
    ARGV[14] or '', amount, amount, now,
    {KEYS[5], tonumber(ARGV[3]), ARGV[4], 'wagered:provider:' .. ARGV[1] .. ':' .. ARGV[2]})
end
if over then
  return {'BONUS_MAX_STAKE', over}
end
rg_count_stake(KEYS[6], lost, now)
local from_cash, from_bonus = split_stake(amount, cash)
local free_award = ''
if free then
  free_award = bonus_free_round(KEYS[1], KEYS[7], KEYS[4], tonumber(ARGV[3]), ARGV[4], amount,
    ARGV[1] .. ':' .. ARGV[2], now)
  from_cash, from_bonus = 0, amount
end
local after = move_sub_balances(KEYS[1], -from_cash, -from_bonus)
bonus_open_bets(KEYS[7], from_bonus, 1)
if redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('HSET', KEYS[3], 'status', 'open', 'game', ARGV[8], 'currency', ARGV[4],
    'bets', 0, 'wins', 0, 'refunds', 0, 'opened_at', now)
end
redis.call('HINCRBY', KEYS[3], 'bets', amount)
if ARGV[9] == '1' then
  redis.call('HSET', KEYS[3], 'status', 'closed', 'closed_at', now)
end
redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[11]))
local id = redis.call('XADD', KEYS[4], '*',
  'kind', 'provider_bet', 'provider', ARGV[1], 'transaction_uuid', ARGV[2],
  'player_id', ARGV[3], 'currency', ARGV[4], 'amount', ARGV[6], 'round_id', ARGV[7],
  'game', ARGV[8], 'reference', '', 'round_closed', ARGV[9], 'tombstone', '0',
  'bonus', from_bonus, 'free', free_flag, 'reward_uuid', ARGV[17] or '',
  'balance_before', cash, 'balance_after', after, 'created_at', now)
redis.call('HSET', KEYS[2], 'kind', 'bet', 'amount', ARGV[6], 'currency', ARGV[5],
  'round', ARGV[7], 'game', ARGV[8], 'reference', '', 'state', 'open', 'balance', after,
  'from_bonus', from_bonus, 'counted', counted, 'counted_award', counted_award,
  'free', free_flag, 'free_award', free_award, 'reward', ARGV[17] or '', 'created_at', now,
  'stream_id', id)
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[11]))
after = bonus_settle(KEYS[1], KEYS[7], KEYS[4], KEYS[5], tonumber(ARGV[3]), ARGV[4], now) or after
emit_event(KEYS[5], 'provider', 'provider:' .. ARGV[1] .. ':' .. ARGV[2], tonumber(ARGV[3]),
  now, {'provider_id', ARGV[1], 'transaction_id', ARGV[2], 'round_id', ARGV[7],
  'game', ARGV[8], 'action', 'bet', 'amount', amount, 'currency', ARGV[4], 'balance', after,
  'free', free}, 2)
return {'OK', after, id}
