-- A provider win (credit) for a bet it references, once per transaction id: check the id,
-- the currency, that the bet exists in this round and was not rolled back, that the round
-- is open; then credit, mark the bet won (so it can no longer be rolled back), close the
-- round if asked, record and append to the rounds stream, all in one atomic step.
-- KEYS[1] wallet hash, KEYS[2] win record, KEYS[3] bet record, KEYS[4] round hash (all {s:K}),
-- KEYS[5] the shard's journal, KEYS[6] the shard's event stream, KEYS[7] the player's rg hash,
-- KEYS[8] bonus hash
-- KEYS[9] the shard's push stream, KEYS[10] the player's sessions (`push_into`)
-- ARGV: provider, transaction_uuid, player_id, wallet_currency, currency, amount, round,
--       game, reference_uuid, round_closed ('1'/'0'), keep_ms
--#include _clock
--#include _spend
--#include _emit_event
--#include _loss_credit
--#include _bonus
push_into(KEYS[9], KEYS[10])
local tx = redis.call('HMGET', KEYS[2], 'kind', 'amount', 'currency', 'round', 'game',
  'reference', 'balance')
if tx[1] then
  if tx[1] ~= 'win' or tx[2] ~= ARGV[6] or tx[3] ~= ARGV[5] or tx[4] ~= ARGV[7]
      or tx[5] ~= ARGV[8] or tx[6] ~= ARGV[9] then
    return {'DUPLICATE'}
  end
  return {'ALREADY', tonumber(tx[7])}
end
if ARGV[5] ~= ARGV[4] then
  return {'WRONG_CURRENCY'}
end
local bet = redis.call('HMGET', KEYS[3], 'kind', 'state', 'round', 'amount', 'from_bonus',
  'free', 'free_award')
if bet[1] == 'tombstone' or (bet[1] == 'bet' and bet[2] == 'rolled_back') then
  return {'ROLLED_BACK'}
end
if bet[1] ~= 'bet' or bet[3] ~= ARGV[7] then
  return {'DOES_NOT_EXIST'}
end
local cash = sub_balances(KEYS[1])
if not cash then
  return {'NO_WALLET'}
end
if redis.call('HGET', KEYS[4], 'status') == 'closed' then
  return {'ROUND_CLOSED', cash}
end
local now = now_ms()
local amount = tonumber(ARGV[6])
-- The win follows the bet it references: bonus in the proportion the bet's stake was bonus.
local to_cash, to_bonus = split_payout(amount, tonumber(bet[4]), tonumber(bet[5] or '0'))
local after = move_sub_balances(KEYS[1], to_cash, to_bonus)
rg_credit(KEYS[7], amount, now)
if bet[2] == 'open' then
  bonus_open_bets(KEYS[8], tonumber(bet[5] or '0'), -1)
  -- A free round's win is bonus money (its stake was all bonus) under the free rounds' wagering.
  if bet[6] == '1' then
    bonus_free_round_won(KEYS[8], bet[7], amount)
  end
end
redis.call('HSET', KEYS[3], 'state', 'won')
redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[11]))
if redis.call('EXISTS', KEYS[4]) == 0 then
  redis.call('HSET', KEYS[4], 'status', 'open', 'game', ARGV[8], 'currency', ARGV[4],
    'bets', 0, 'wins', 0, 'refunds', 0, 'opened_at', now)
end
redis.call('HINCRBY', KEYS[4], 'wins', amount)
if ARGV[10] == '1' then
  redis.call('HSET', KEYS[4], 'status', 'closed', 'closed_at', now)
end
redis.call('PEXPIRE', KEYS[4], tonumber(ARGV[11]))
local id = redis.call('XADD', KEYS[5], '*',
  'kind', 'provider_win', 'provider', ARGV[1], 'transaction_uuid', ARGV[2],
  'player_id', ARGV[3], 'currency', ARGV[4], 'amount', ARGV[6], 'round_id', ARGV[7],
  'game', ARGV[8], 'reference', ARGV[9], 'round_closed', ARGV[10], 'tombstone', '0',
  'bonus', to_bonus,
  'balance_before', cash, 'balance_after', after, 'created_at', now)
redis.call('HSET', KEYS[2], 'kind', 'win', 'amount', ARGV[6], 'currency', ARGV[5],
  'round', ARGV[7], 'game', ARGV[8], 'reference', ARGV[9], 'state', 'done', 'balance', after,
  'created_at', now, 'stream_id', id)
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[11]))
after = bonus_settle(KEYS[1], KEYS[8], KEYS[5], KEYS[6], tonumber(ARGV[3]), ARGV[4], now) or after
emit_event(KEYS[6], 'provider', 'provider:' .. ARGV[1] .. ':' .. ARGV[2], tonumber(ARGV[3]),
  now, {'provider_id', ARGV[1], 'transaction_id', ARGV[2], 'round_id', ARGV[7],
  'game', ARGV[8], 'action', 'win', 'amount', amount, 'currency', ARGV[4], 'balance', after,
  'free', bet[6] == '1'}, 2)
return {'OK', after, id}
