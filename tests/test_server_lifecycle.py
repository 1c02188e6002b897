"""The server across restarts: of Redis (balances survive in the AOF) and of itself (the
stream is flushed before it serves), each with its own private Redis and server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from games.classic_slot import INFO as CLASSIC
from rng import fair
from server.money.hot import HotWallet, Reserved
from server.storage.redis_child import RedisChild
from server.storage.redis_client import connect as connect_redis
from tests.conftest import ServerProcess, new_player, settled_report, start_server, stop_server
from tests.support import db as test_db


@pytest.fixture
def private(tmp_path: Path) -> Iterator[ServerProcess]:
    child = RedisChild(tmp_path / "redis")
    child.start()
    server = start_server(tmp_path, child)
    yield server
    stop_server(server)
    child.stop()


async def test_balances_survive_a_redis_restart_between_two_spins(private: ServerProcess) -> None:
    client, _ = await new_player(private.base_url, deposit=5000)
    async with client:
        assert client.token is not None
        async with client.socket() as sock:
            await sock.hello(client.token)
            first = await sock.spin(CLASSIC.id, 100)
        private.redis.stop()
        private.redis.start()
        async with client.socket() as sock:
            welcome = await sock.hello(client.token)
            assert welcome["balance"] == first["balance"], (
                welcome,
                print(private.log()),
                print((private.redis.data_dir / "redis.log").read_text()),
            )
            second = await sock.spin(CLASSIC.id, 100)
            assert second["type"] == "spin", second
            assert second["balance"] == first["balance"] - 100 + second["payout"]
            history = await sock.history()
        assert [r["round_id"] for r in history["rounds"]] == [second["round_id"], first["round_id"]]
    report = await settled_report(private)
    assert report.ok, "\n".join(report.lines())


async def test_start_up_flushes_rounds_left_in_the_stream_before_serving(
    private: ServerProcess,
) -> None:
    client, player = await new_player(private.base_url, deposit=1000)
    await client.__aexit__(None, None, None)
    stop_server(private)
    # With the server down, a round settles in Redis only: what a crash after the
    # settle and before the flush leaves behind.
    player_id = int(str(player["player_id"]))
    redis_client = connect_redis(private.redis.url)
    try:
        hot = HotWallet(redis_client, reservation_ttl_ms=60_000)
        await hot.install_seed(player_id, False, bytes(32), fair.seed_hash(bytes(32)), "t", 0)
        held = await hot.reserve(player_id, "EUR", "left-behind", CLASSIC.id, 200)
        assert isinstance(held, Reserved) and held.cash == 800
        await hot.settle(player_id, "EUR", "left-behind", 500, '{"note":"settled while down"}')
        await hot.aclose()
    finally:
        await redis_client.aclose()
    restarted = start_server(private.workdir, private.redis)
    private.process = restarted.process
    row = test_db.one(
        private.database_path,
        "SELECT status, stake, payout, balance_after FROM rounds WHERE round_id = 'left-behind'",
    )
    assert row == ("settled", 200, 500, 1300)
    report = await settled_report(private)
    assert report.ok, "\n".join(report.lines())
