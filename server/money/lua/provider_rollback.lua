-- A provider rollback of a bet it references, once per transaction id. An open bet gets its
-- stake back; a bet already rolled back gets nothing more; a bet with a win is refused; an
-- unknown bet id moves nothing and is recorded as a tombstone, so that the bet, if it
-- arrives later, is refused. Rollbacks are accepted on closed rounds: they are how a
-- provider repairs a bet it never saw answered.
-- KEYS[1] wallet hash, KEYS[2] rollback record, KEYS[3] bet record, KEYS[4] round hash
-- (all {s:K}), KEYS[5] the shard's journal, KEYS[6] the shard's event stream,
-- KEYS[7] the player's rg hash, KEYS[8] bonus hash
-- KEYS[9] the shard's push stream, KEYS[10] the player's sessions (`push_into`)
-- ARGV: provider, transaction_uuid, player_id, wallet_currency, round, game, reference_uuid,
--       round_closed ('1'/'0'), keep_ms
--#include _clock
--#include _spend
--#include _emit_event
--#include _loss_credit
--#include _bonus
push_into(KEYS[9], KEYS[10])
local tx = redis.call('HMGET', KEYS[2], 'kind', 'round', 'game', 'reference', 'balance')
if tx[1] then
  if tx[1] ~= 'rollback' or tx[2] ~= ARGV[5] or tx[3] ~= ARGV[6] or tx[4] ~= ARGV[7] then
    return {'DUPLICATE'}
  end
  return {'ALREADY', tonumber(tx[5])}
end
local bet = redis.call('HMGET', KEYS[3], 'kind', 'state', 'amount', 'round', 'from_bonus',
  'counted', 'counted_award', 'free', 'free_award')
if bet[1] and ((bet[1] ~= 'bet' and bet[1] ~= 'tombstone') or bet[4] ~= ARGV[5]) then
  return {'DOES_NOT_EXIST'}
end
if bet[1] == 'bet' and bet[2] == 'won' then
  return {'BET_SETTLED'}
end
local cash = sub_balances(KEYS[1])
if not cash then
  return {'NO_WALLET'}
end
local now = now_ms()
local keep = tonumber(ARGV[9])
local refund = '0'
local refund_bonus = 0
local tombstone = '0'
local after = cash
if not bet[1] then
  tombstone = '1'
  redis.call('HSET', KEYS[3], 'kind', 'tombstone', 'amount', '0', 'currency', ARGV[4],
    'round', ARGV[5], 'game', ARGV[6], 'reference', ARGV[2], 'state', 'rolled_back',
    'balance', cash, 'created_at', now, 'stream_id', '')
  redis.call('PEXPIRE', KEYS[3], keep)
elseif bet[1] == 'bet' and bet[2] == 'open' then
  refund = bet[3]
  -- The stake goes back whole, so each part goes back to the sub-balance it came from.
  refund_bonus = tonumber(bet[5] or '0')
  after = move_sub_balances(KEYS[1], tonumber(refund) - refund_bonus, refund_bonus)
  bonus_open_bets(KEYS[8], refund_bonus, -1)
  if bet[8] ~= '1' then
    rg_credit(KEYS[7], tonumber(refund), now)  -- a free round's stake counted towards no limit
  end
  -- The stake came back whole, so it counts towards no wagering: take back what it counted.
  bonus_unwager(KEYS[8], bet[7], tonumber(bet[6] or '0'), now,
    {KEYS[6], tonumber(ARGV[3]), ARGV[4], 'unwagered:provider:' .. ARGV[1] .. ':' .. ARGV[2]})
  redis.call('HSET', KEYS[3], 'state', 'rolled_back')
  redis.call('PEXPIRE', KEYS[3], keep)
end
if redis.call('EXISTS', KEYS[4]) == 1 or ARGV[8] == '1' then
  if redis.call('EXISTS', KEYS[4]) == 0 then
    redis.call('HSET', KEYS[4], 'status', 'open', 'game', ARGV[6], 'currency', ARGV[4],
      'bets', 0, 'wins', 0, 'refunds', 0, 'opened_at', now)
  end
  redis.call('HINCRBY', KEYS[4], 'refunds', refund)
  if ARGV[8] == '1' and redis.call('HGET', KEYS[4], 'status') ~= 'closed' then
    redis.call('HSET', KEYS[4], 'status', 'closed', 'closed_at', now)
  end
  redis.call('PEXPIRE', KEYS[4], keep)
end
local id = redis.call('XADD', KEYS[5], '*',
  'kind', 'provider_rollback', 'provider', ARGV[1], 'transaction_uuid', ARGV[2],
  'player_id', ARGV[3], 'currency', ARGV[4], 'amount', refund, 'round_id', ARGV[5],
  'game', ARGV[6], 'reference', ARGV[7], 'round_closed', ARGV[8], 'tombstone', tombstone,
  'bonus', refund_bonus,
  'balance_before', cash, 'balance_after', after, 'created_at', now)
if bet[1] == 'bet' and bet[2] == 'open' and bet[8] == '1' then
  -- A free round's stake was the promotion's: it goes back to it (after the rollback on the
  -- journal, so the ledger's bonus account never dips), and so does the round.
  bonus_free_round_back(KEYS[1], KEYS[8], KEYS[5], tonumber(ARGV[3]), ARGV[4], bet[9],
    refund_bonus, ARGV[1] .. ':' .. ARGV[7], now)
end
redis.call('HSET', KEYS[2], 'kind', 'rollback', 'amount', refund, 'currency', ARGV[4],
  'round', ARGV[5], 'game', ARGV[6], 'reference', ARGV[7], 'state', 'done', 'balance', after,
  'created_at', now, 'stream_id', id)
redis.call('PEXPIRE', KEYS[2], keep)
after = bonus_settle(KEYS[1], KEYS[8], KEYS[5], KEYS[6], tonumber(ARGV[3]), ARGV[4], now) or after
emit_event(KEYS[6], 'provider', 'provider:' .. ARGV[1] .. ':' .. ARGV[2], tonumber(ARGV[3]),
  now, {'provider_id', ARGV[1], 'transaction_id', ARGV[2], 'round_id', ARGV[5],
  'game', ARGV[6], 'action', 'rollback', 'amount', tonumber(refund), 'currency', ARGV[4],
  'balance', after, 'free', bet[8] == '1'}, 2)
return {'OK', after, id}
