"""Recovery paths of the wallet on a server of the test's own: Redis emptied while the server
runs, and a crash between a deposit's ledger write and its Redis credit.

Each test owns its redis-server, SQLite file and server process (the shared ones must never
be emptied or killed), and ends with the ledger reconciled against Redis.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.money import keys
from server.storage.database import DatabaseTarget
from server.storage.redis_child import RedisChild
from server.storage.redis_client import connect as connect_redis
from tests.conftest import ServerProcess, new_player, settled_report, start_server, stop_server
from tests.support import db as test_db
from tests.support import round_audit


@pytest.fixture
def own_server(tmp_path: Path, private_redis: RedisChild) -> Iterator[ServerProcess]:
    server = start_server(tmp_path, private_redis)
    try:
        yield server
    finally:
        stop_server(server)


async def reconciled(server: ServerProcess) -> None:
    report = await settled_report(server)
    assert report.ok, "\n".join(report.lines())
    assert round_audit.audit_rounds_after(server.database_path, 0) == []


async def test_a_wallet_redis_lost_is_rebuilt_from_the_ledger_for_a_balance_and_a_spin(
    own_server: ServerProcess,
) -> None:
    client, _ = await new_player(own_server.base_url, deposit=5_000)
    async with client, client.socket() as sock:
        assert client.token is not None
        await sock.hello(client.token)
        for _ in range(5):
            assert (await sock.spin("classic-sevens", 100))["type"] == "spin"
        played = (await sock.balance())["balance"]
        await reconciled(own_server)  # every round is in the ledger before Redis loses it
        redis = connect_redis(own_server.redis.url)
        try:
            await redis.flushall()
        finally:
            await redis.aclose()
        assert (await sock.balance())["balance"] == played
        spun = await sock.spin("classic-sevens", 100)
        assert spun["type"] == "spin", spun
        assert spun["balance"] == played - 100 + spun["payout"]
        assert (await sock.balance())["balance"] == spun["balance"]
    await reconciled(own_server)


def uncredited(database_path: DatabaseTarget) -> list[tuple[int, int]]:
    rows = test_db.query(database_path, "SELECT id, amount FROM deposits WHERE credited_at IS NULL")
    return [(int(i), int(a)) for i, a in rows]


async def test_a_deposit_saved_but_never_credited_is_credited_once_after_a_crash(
    tmp_path: Path, private_redis: RedisChild
) -> None:
    """The server is killed (-9) after the deposit's ledger transaction committed and while
    its Redis credit waits (Redis pauses writes); the restarted server credits it once."""
    server = start_server(tmp_path, private_redis)
    redis = connect_redis(private_redis.url)
    try:
        client, player = await new_player(server.base_url)
        wallet = keys.wallet(int(str(player["player_id"])), "EUR")
        await redis.client_pause(30_000, all=False)  # writes wait, reads go on
        try:
            deposit = asyncio.create_task(client.deposit(2_500, idempotency_key="crash-1"))
            deadline = time.monotonic() + 20
            while not uncredited(server.database_path):
                assert time.monotonic() < deadline, "the deposit never reached the ledger"
                await asyncio.sleep(0.05)
            server.process.send_signal(signal.SIGKILL)
            server.process.wait(10)
        finally:
            await redis.client_unpause()
        with pytest.raises(httpx.HTTPError):  # its reply died with the server
            await deposit
        (saved,) = uncredited(server.database_path)
        assert saved[1] == 2_500 and await redis.hget(wallet, "cash") in (None, "0")

        server = start_server(tmp_path, private_redis)  # its start-up pass credits the deposit
        client.http = httpx.AsyncClient(base_url=server.base_url, timeout=10)
        assert int((await client.call("GET", "/api/wallet"))["balance"]) == 2_500
        assert uncredited(server.database_path) == []
        replayed = await client.deposit(2_500, idempotency_key="crash-1")
        assert (replayed["balance"], replayed["replayed"]) == (2_500, True)
        await client.__aexit__(None, None, None)

        stop_server(server)
        server = start_server(tmp_path, private_redis)  # a second pass finds nothing to credit
        assert await redis.hget(wallet, "cash") == "2500"
        await reconciled(server)
    finally:
        await redis.aclose()
        stop_server(server)
