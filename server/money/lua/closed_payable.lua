-- The cash of a closed account that no payment method can take back moves, all of it, to the
-- operator's liability house:closed_accounts_payable:CUR (server/money/closures.py): checked
-- and moved in one step, once per closure (the marker keeps what moved, so a retry answers
-- the same amount and moves nothing), and appended to the rounds stream in the same step so
-- the ledger follows in order (server/money/journal/closures.py). Bonus and locked funds are
-- not cash: the bonus was forfeited before, a pending withdrawal's funds stay locked.
-- KEYS[1] wallet hash, KEYS[2] the closure's marker (both {s:K}), KEYS[3] the shard's journal
-- ARGV: closure_id, player_id, currency, marker_ttl_ms
--#include _clock
--#include _spend
local done = redis.call('GET', KEYS[2])
if done then
  return {'ALREADY', tonumber(done)}
end
local cash = sub_balances(KEYS[1])
if not cash then
  return {'NO_WALLET'}
end
if cash > 0 then
  redis.call('HINCRBY', KEYS[1], 'cash', -cash)
  redis.call('XADD', KEYS[3], '*', 'kind', 'closed_payable', 'closure_id', ARGV[1],
    'player_id', ARGV[2], 'currency', ARGV[3], 'amount', cash, 'created_at', now_ms())
end
redis.call('SET', KEYS[2], cash, 'PX', tonumber(ARGV[4]))
return {'OK', cash}
