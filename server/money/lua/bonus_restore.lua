-- Put back a player's bonus hash that Redis lost (a data loss, a failover to a replica that
-- was behind), as the bonus domain rebuilt it from SQL (server/bonus/restore.py): only when
-- the hash is absent, in one step, so a grant or a stake that got there first is never
-- overwritten. Moves no money: the wallet's sub-balances come back from the ledger
-- (hydrate.lua); this brings back the rules that hold on them (max stake, wagering, expiry).
-- KEYS[1] the bonus hash
-- ARGV: field, value, field, value, ... (the fields _bonus.lua lists)
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {'EXISTS'}
end
redis.call('HSET', KEYS[1], unpack(ARGV))
return {'OK'}
