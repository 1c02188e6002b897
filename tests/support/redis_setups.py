"""A server on another Redis set-up than the private child (a cluster, a Sentinel group),
and the tour of money every such set-up must carry: spins, a withdrawal, a provider bet and
win. Shared by tests/test_cluster_server.py and tests/test_redis_sentinel.py."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from server.storage.redis_child import RedisChild, free_port
from tests.conftest import ServerProcess, new_player, start_server, stop_server, unique
from tests.support.kyc import verify_identity
from tests.support.payments import SERVER_ENV, Gateway, pay
from tests.support.provider import seat

SLOT = "classic-sevens"  # stakes in steps of 5


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
