"""Every movement of money, and nothing else.

Where does a bet's money move? Here. This package holds the Redis Lua scripts and the
modules that call them (`hot`: stakes, settles, credits; `provider_wallet`: provider bets,
wins and rollbacks; `withdrawal_locks`: funds of pending withdrawals; `bonus_wallet`: bonus
grants and ends, whose stake-time rules live in `lua/_bonus.lua`), the Redis keys
(`keys`), the stake-rules seam that every refusal of a stake plugs into (`stake_rules`), the
double-entry ledger (`ledger`), deposits written durable-first (`wallet`), the journal that
makes every movement durable in SQL (`journal/`: one table of writers, the flusher process,
dead letters) and the proof that it all adds up (`reconcile`, which hears a domain's own
records through its `History` seam, registered in `server/wiring.py`). The domains (`rounds`,
`provider`, `payments`, `bonus`) decide *whether* money moves and call this package to move it;
none of them writes the ledger or a wallet key itself.
"""
