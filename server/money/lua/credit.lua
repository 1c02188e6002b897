-- Apply a credit that is already durable in the ledger (a deposit) to the hot balance, once.
-- KEYS[1] wallet hash, KEYS[2] applied-marker key, KEYS[3] the shard's event stream
-- KEYS[4] the shard's push stream, KEYS[5] the player's sessions (`push_into`)
-- ARGV: amount, marker_ttl_ms, ledger transfer id, player_id, currency, transfer key
-- A wallet hydrated from the ledger already counts every transfer up to its ledger_mark.
--#include _clock
--#include _emit_event
push_into(KEYS[4], KEYS[5])
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'NO_WALLET'}
end
local mark = tonumber(redis.call('HGET', KEYS[1], 'ledger_mark') or '0')
if redis.call('EXISTS', KEYS[2]) == 1 or tonumber(ARGV[3]) <= mark then
  return {'ALREADY', tonumber(redis.call('HGET', KEYS[1], 'cash'))}
end
local cash = redis.call('HINCRBY', KEYS[1], 'cash', tonumber(ARGV[1]))
redis.call('SET', KEYS[2], '1', 'PX', tonumber(ARGV[2]))
emit_event(KEYS[3], 'deposit_credited', 'credited:' .. ARGV[6], tonumber(ARGV[4]), now_ms(),
  {'transfer', ARGV[6], 'amount', tonumber(ARGV[1]), 'currency', ARGV[5], 'balance', cash})
return {'OK', cash}
