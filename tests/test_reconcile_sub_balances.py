"""Reconciliation checks each sub-balance on its own: a bonus in Redis that the ledger does not
hold is named, against the real server, Redis and SQLite."""

from __future__ import annotations

from server.money import keys
from server.storage.redis_client import connect as connect_redis
from tests.conftest import ServerProcess, new_player, settled_report


async def test_a_bonus_in_redis_the_ledger_does_not_hold_is_named(casino: ServerProcess) -> None:
    client, player = await new_player(casino.base_url, deposit=1_000)
    async with client:
        pass  # only the player and their deposit are needed
    player_id = int(str(player["player_id"]))
    wallet = keys.wallet(player_id, "EUR")
    redis = connect_redis(casino.redis.url)
    try:
        assert await redis.hget(wallet, "cash") == "1000"
        await redis.hset(wallet, "bonus", 250)
        # Waits for a clean report, which never comes: a short bound is enough (nothing flows).
        report = await settled_report(casino, timeout_s=1.0)
        (check,) = [w for w in report.wallets if w.player_id == player_id]
        assert (check.redis_bonus, check.ledger_bonus, check.mismatched) == (250, 0, ["bonus"])
        assert not report.ok
        (line,) = [line for line in report.lines() if f"player {player_id} " in line]
        assert line.startswith("BAD ") and line.endswith("mismatched: bonus")
    finally:
        # Put it back: the after-test reconciliation of the shared server must pass again.
        await redis.hdel(wallet, "bonus")
        await redis.aclose()
