"""Crashes under load: kill -9 of the server, kill -9 of redis-server. Every round a client
was told about is durable exactly once afterwards, and the money reconciles."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from websockets.exceptions import ConnectionClosed

from server.storage.redis_child import RedisChild
from tests.conftest import ServerProcess, new_player, settled_report, start_server, stop_server

UNLIMITED = {"CASINO_RATE_PER_SECOND": "100000", "CASINO_RATE_BURST": "100000"}


async def play_until_cut(
    server: ServerProcess, clients: int, acknowledged: set[str]
) -> list[asyncio.Task[None]]:
    """`clients` players spin until their connection dies; every settled reply is noted."""
    ready: list[int] = []

    async def player() -> None:
        client, _ = await new_player(server.base_url, deposit=1_000_000)
        async with client:
            assert client.token is not None
            try:
                async with client.socket() as sock:
                    await sock.hello(client.token)
                    ready.append(1)
                    while True:
                        reply = await sock.spin("classic-sevens", 100)
                        if reply["type"] == "spin":
                            acknowledged.add(reply["round_id"])
            except (ConnectionClosed, OSError):
                return

    tasks = [asyncio.create_task(player()) for _ in range(clients)]
    deadline = time.monotonic() + 30
    while (len(ready) < clients or len(acknowledged) < 300) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return tasks


def durable_rounds(server: ServerProcess) -> dict[str, int]:
    with sqlite3.connect(server.database_path) as db:
        return {
            str(round_id): int(count)
            for round_id, count in db.execute(
                "SELECT round_id, COUNT(*) FROM rounds GROUP BY round_id"
            )
        }


async def crash_under_load(
    tmp_path: Path, crash: Callable[[ServerProcess], Awaitable[None]]
) -> None:
    """32 players spin, `crash` strikes, a fresh server starts on the same Redis and
    database: every acknowledged round is stored exactly once and the money reconciles."""
    child = RedisChild(tmp_path / "redis")
    child.start()
    server = start_server(tmp_path, child, UNLIMITED)
    acknowledged: set[str] = set()
    try:
        players = await play_until_cut(server, 32, acknowledged)
        await crash(server)
        await asyncio.gather(*players, return_exceptions=True)
        restarted = start_server(tmp_path, child, UNLIMITED)
        try:
            report = await settled_report(restarted)
            assert report.ok, "\n".join(report.lines())
            stored = durable_rounds(restarted)
            assert acknowledged and acknowledged <= set(stored)
            assert set(stored.values()) == {1}
        finally:
            stop_server(restarted)
    finally:
        stop_server(server)
        child.stop()


async def test_kill_9_of_the_server_under_load_loses_no_acknowledged_round(tmp_path: Path) -> None:
    async def kill_server(server: ServerProcess) -> None:
        server.process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(server.process.wait, 10)

    await crash_under_load(tmp_path, kill_server)


async def test_kill_9_of_redis_under_load_loses_no_acknowledged_round(tmp_path: Path) -> None:
    """AOF with appendfsync everysec: Redis writes the AOF before it replies, so a killed
    process (not a lost machine) keeps every write a client was told about."""

    async def kill_redis(server: ServerProcess) -> None:
        server.redis.kill()
        await asyncio.sleep(0.5)
        server.redis.start()
        await asyncio.sleep(1.0)  # the players' Redis calls reconnect and go on
        await asyncio.to_thread(stop_server, server)  # SIGTERM: the players' sockets close

    await crash_under_load(tmp_path, kill_redis)
