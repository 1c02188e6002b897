"""The withdrawal lock's own idempotency, which `run.py mutate` showed no other test held
(server/tools/mutations.py: withdraw-lock-twice): against a real redis-server of this
module's own, for players no database knows."""

from __future__ import annotations

import itertools

import redis.asyncio as aioredis

import rng
from server.money.hot import HotWallet
from server.money.scripts import ScriptStatus
from server.money.withdrawal_locks import WithdrawalLocks

_player_ids = itertools.count(40_000_000 + rng.randbelow(10_000_000))


async def test_locking_one_payment_twice_locks_its_amount_once(
    own_redis_client: aioredis.Redis,
) -> None:
    player = next(_player_ids)
    hot = HotWallet(own_redis_client, reservation_ttl_ms=60_000)
    try:
        await hot.hydrate(player, "EUR", 1000, ledger_mark=0)
        locks = WithdrawalLocks(own_redis_client)
        first = await locks.lock(7, player, "EUR", 300, "sandbox")
        again = await locks.lock(7, player, "EUR", 300, "sandbox")
        assert (first.status, first.integer("cash")) == (ScriptStatus.OK, 700)
        assert (again.status, again.text("state"), again.integer("cash")) == (
            ScriptStatus.ALREADY,
            "locked",
            700,
        )
        assert (await hot.balance(player, "EUR"), await hot.locked(player, "EUR")) == (700, 300)
    finally:
        await hot.aclose()
