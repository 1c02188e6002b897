"""A server on another Redis set-up than the private child (a cluster, a Sentinel group),
and the tour of money every such set-up must carry: spins, a withdrawal, a provider bet and
win, and the spinning players of the failover tests (tests/test_redis_sentinel.py,
tests/test_cluster_failover.py). Shared by those and tests/test_cluster_server.py."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

from redis.exceptions import RedisError

from clients.api import CasinoClient
from server.storage.redis_child import RedisChild, free_port
from tests.conftest import ServerProcess, new_player, start_server, stop_server, unique
from tests.support import db as test_db
from tests.support.kyc import verify_identity
from tests.support.payments import SERVER_ENV, Gateway, pay
from tests.support.provider import seat

SLOT = "classic-sevens"  # stakes in steps of 5
SPINNERS = 4  # players spinning through a failover
SPINS_AFTER_FAILOVER = 15  # answered spins each player makes on the promoted replica


@contextlib.contextmanager
def serving_with_gateway(tmp_path: Path, redis: RedisChild) -> Iterator[ServerProcess]:
    """The server on `redis` (anything with a `url`), with a sandbox payment gateway for the
    withdrawal."""
    gateway = Gateway(free_port(), tmp_path / "gateway.db", tmp_path / "gateway.log")
    gateway.start()
    try:
        env = {**SERVER_ENV, "CASINO_PAYMENT_GATEWAY_URL": gateway.url}
        server = start_server(tmp_path, redis, env)
        try:
            yield server
        finally:
            stop_server(server)
    finally:
        gateway.stop()


async def money_tour(server: ServerProcess) -> None:
    """Ten spins and a withdrawal of a verified player, then a provider's bet and win, each
    answered with the exact balance."""
    client, _ = await new_player(server.base_url, deposit=5_000)
    async with client:
        await verify_identity(client)
        assert client.token is not None
        async with client.socket() as sock:
            await sock.hello(client.token)
            rounds = [await sock.spin(SLOT, 100) for _ in range(10)]
        assert [r["type"] for r in rounds] == ["spin"] * 10
        status, body = await pay(client, "withdrawals", 1_000, unique("w-"))
        assert status in (201, 202), body
        wallet = await client.call("GET", "/api/wallet")
    assert wallet["balance"] == 5_000 - 1_000 - sum(r["stake"] - r["payout"] for r in rounds)
    table = await seat(server)
    try:
        bet = table.body(currency="EUR", amount=300)
        await table.send("bet", bet)
        await table.win(bet["transaction_uuid"], 120)
        assert await table.balance() == 10_000 - 300 + 120
    finally:
        await table.provider.aclose()
        await table.player.http.aclose()


def ledger_rounds(server: ServerProcess) -> set[str]:
    """The ids of every round the server's ledger holds (SQLite or PostgreSQL)."""
    return {
        str(row[0]) for row in test_db.query(server.database_path, "SELECT round_id FROM rounds")
    }


def durable(server: ServerProcess, round_ids: set[str]) -> set[str]:
    """Those of `round_ids` the server's ledger holds."""
    return round_ids & ledger_rounds(server)


async def spin_until(client: CasinoClient, answered: set[str], failed_over: asyncio.Event) -> int:
    """Spin without pause; every spin answered goes into `answered`. Stops after
    SPINS_AFTER_FAILOVER answered spins once `failed_over` is set; returns the refusals and
    lost connections met on the way (a spin whose outcome the player never saw)."""
    assert client.token is not None
    unanswered = after = 0
    while after < SPINS_AFTER_FAILOVER:
        try:
            async with client.socket() as sock:
                await sock.hello(client.token)
                while after < SPINS_AFTER_FAILOVER:
                    reply = await sock.spin(SLOT, 5)
                    if reply["type"] != "spin":
                        unanswered += 1
                        await asyncio.sleep(0.05)
                        continue
                    answered.add(str(reply["round_id"]))
                    after += failed_over.is_set()
        except (OSError, RedisError, asyncio.IncompleteReadError) as error:
            unanswered += 1
            del error
            await asyncio.sleep(0.1)
    return unanswered
