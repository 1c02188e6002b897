-- Take a lost dispute's amount back from the player's cash, once per dispute: as much as the
-- cash holds (never below zero), the rest being the player's debt, recorded by the ledger.
-- The movement is appended to the rounds stream in the same step, for the ledger (the
-- flusher's `chargeback` writer), after every round that changed the cash before it.
-- Locked withdrawal funds and bonus are not touched: only cash came from the deposit.
-- KEYS[1] wallet hash, KEYS[2] the dispute's hot record (both {s:K}), KEYS[3] the shard's
-- journal, KEYS[4] the shard's event stream
-- KEYS[5] the shard's push stream, KEYS[6] the player's sessions (`push_into`)
-- ARGV: dispute_id, player_id, currency, amount, gateway, keep_ms
--#include _clock
--#include _emit_event
push_into(KEYS[5], KEYS[6])
local cash = redis.call('HGET', KEYS[1], 'cash')
local taken = redis.call('HGET', KEYS[2], 'taken')
if taken then
  return {'ALREADY', tonumber(cash or '0'), tonumber(taken)}
end
if not cash then
  return {'NO_WALLET'}
end
cash = tonumber(cash)
local amount = tonumber(ARGV[4])
taken = math.min(cash, amount)
local after = cash
if taken > 0 then
  after = redis.call('HINCRBY', KEYS[1], 'cash', -taken)
end
local now = now_ms()
redis.call('XADD', KEYS[3], '*', 'kind', 'chargeback', 'dispute_id', ARGV[1],
  'player_id', ARGV[2], 'currency', ARGV[3], 'amount', ARGV[4], 'taken', taken,
  'gateway', ARGV[5], 'balance_before', cash, 'balance_after', after, 'created_at', now)
redis.call('HSET', KEYS[2], 'taken', taken, 'at', now)
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[6]))
emit_event(KEYS[4], 'chargeback', 'chargeback:' .. ARGV[1], tonumber(ARGV[2]), now,
  {'dispute_id', tonumber(ARGV[1]), 'amount', amount, 'taken', taken, 'currency', ARGV[3],
   'balance', after})
return {'OK', after, taken}
