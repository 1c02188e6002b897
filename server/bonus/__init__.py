"""The bonus engine: promotions staff define, players opt into, and the money rules they carry.

`terms` states a definition's rules and their arithmetic without I/O (how much a deposit match
grants, how much wagering it needs, how a completed bonus converts); `service` keeps
definitions and each player's awards (opted in, queued, active, ended) in SQL and asks money to
grant and end them (`server/money/bonus_wallet.py`). The rules that must hold on every stake
(maximum stake, contribution weights, conversion when wagering completes, expiry) run inside
money's scripts (`server/money/lua/_bonus.lua`), never here: this package never moves money
itself and never reads another domain's tables.
"""
