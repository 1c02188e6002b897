"""The crash scenarios: kill -9 of the server, and of redis-server (restarted from its AOF),
while 32 players spin; and the durable store locked for a while under play.

The promises: every round whose reply a player received is in durable storage
exactly once afterwards; every stake without a reply is settled or released by
the recovery pass; the books reconcile. With the database locked, play goes on
(the stream holds the rounds), the flusher retries with growing delays, and once
the lock is gone every acknowledged round lands exactly once.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from websockets.exceptions import ConnectionClosed

from clients.api import CasinoClient
from server.tools.soak.fuzz import Finding
from server.tools.soak.stack import Stack, funded_player, settled_report

GAME, STAKE = "classic-sevens", 100
LOAD_CLIENTS = 32
ACKNOWLEDGED_BEFORE_CRASH = 300
REGISTERING_AT_ONCE = 4  # argon2 hashing: 32 sign-ups at once time out on a small machine

Crash = Callable[[Stack], Awaitable[None]]


async def play_until_cut(
    base_url: str, clients: int, acknowledged: set[str]
) -> list[asyncio.Task[None]]:
    """`clients` players spin until their connection dies; every settled reply is noted.
    Returns once all are playing and enough rounds were acknowledged (bounded wait)."""
    ready: list[int] = []
    signing_up = asyncio.Semaphore(REGISTERING_AT_ONCE)

    async def funded() -> CasinoClient:
        async with signing_up:
            return await funded_player(base_url, deposit=1_000_000)

    async def player(client: CasinoClient) -> None:
        async with client:
            assert client.token is not None
            try:
                async with client.socket() as sock:
                    await sock.hello(client.token)
                    ready.append(1)
                    while True:
                        reply = await sock.spin(GAME, STAKE)
                        if reply["type"] == "spin":
                            acknowledged.add(reply["round_id"])
            except (ConnectionClosed, OSError):
                return

    players = await asyncio.gather(*(funded() for _ in range(clients)))
    tasks = [asyncio.create_task(player(client)) for client in players]
    deadline = time.monotonic() + 30
    while len(ready) < clients or len(acknowledged) < ACKNOWLEDGED_BEFORE_CRASH:
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    return tasks


def durable_rounds(database_path: Path) -> dict[str, int]:
    """Each stored round id and how many times it is stored."""
    with sqlite3.connect(database_path, timeout=10) as db:
        rows = db.execute("SELECT round_id, COUNT(*) FROM rounds GROUP BY round_id").fetchall()
    return {str(round_id): int(count) for round_id, count in rows}


async def kill_server(stack: Stack) -> None:
    await asyncio.to_thread(stack.kill_server)


async def kill_redis(stack: Stack) -> None:
    """AOF with appendfsync always (the default, README "Durability"): Redis writes and fsyncs
    before it replies, so a killed process keeps every write a client was told about."""
    stack.redis.kill()
    await asyncio.sleep(0.5)
    await asyncio.to_thread(stack.redis.start)
    await asyncio.sleep(1.0)  # the players' Redis calls reconnect and go on
    await asyncio.to_thread(stack.stop_server)  # SIGTERM: the players' sockets close


def _check_books(acknowledged: set[str], stored: dict[str, int], what: str) -> None:
    if not acknowledged:
        raise Finding(f"{what}: no round was acknowledged, nothing was tested")
    lost = acknowledged - set(stored)
    if lost:
        raise Finding(f"{what}: {len(lost)} acknowledged rounds not stored, e.g. {min(lost)}")
    doubled = sorted(round_id for round_id, count in stored.items() if count != 1)
    if doubled:
        raise Finding(f"{what}: {len(doubled)} rounds stored more than once, e.g. {doubled[0]}")


async def crash_under_load(workdir: Path, crash: Crash, what: str) -> str:
    """32 players spin, `crash` strikes, a fresh server starts on the same Redis and
    database; raise `Finding` unless every acknowledged round is stored exactly once and
    the money reconciles. Returns what was tried."""
    with Stack(workdir) as stack:
        acknowledged: set[str] = set()
        players = await play_until_cut(stack.base_url, LOAD_CLIENTS, acknowledged)
        at_crash = len(acknowledged)
        await crash(stack)
        await asyncio.gather(*players, return_exceptions=True)
        await asyncio.to_thread(stack.start_server)
        report = await settled_report(stack.redis.url, stack.database_path)
        if not report.ok:
            raise Finding(f"{what}: the books do not reconcile:\n" + "\n".join(report.lines()))
        stored = durable_rounds(stack.database_path)
        _check_books(acknowledged, stored, what)
        return (
            f"{what}: {LOAD_CLIENTS} players, {at_crash} rounds acknowledged at the crash,"
            f" {len(acknowledged)} in all, every one stored once; books reconcile"
        )


async def database_locked_under_play(workdir: Path, spins: int = 20, lock_s: float = 6.0) -> str:
    """Another process holds the database's write lock while a player spins: play goes on,
    the flusher backs off, and after the lock every acknowledged round is stored once.
    SQLite's busy timeout (5 s) passes before the flusher sees an error, hence `lock_s`."""
    with Stack(workdir) as stack:
        client = await funded_player(stack.base_url, deposit=100_000)
        async with client, client.socket() as sock:
            assert client.token is not None
            await sock.hello(client.token)
            await sock.spin(GAME, STAKE)  # seeds and wallet exist: later spins are Redis only
            locker = sqlite3.connect(stack.database_path, timeout=10, isolation_level=None)
            acknowledged: set[str] = set()
            try:
                locker.execute("BEGIN IMMEDIATE")
                started = time.monotonic()
                for _ in range(spins):
                    reply = await sock.spin(GAME, STAKE)
                    if reply["type"] != "spin":
                        raise Finding(f"database locked: a spin was refused: {reply}")
                    acknowledged.add(reply["round_id"])
                early = acknowledged & set(durable_rounds(stack.database_path))
                if early:
                    raise Finding(f"database locked: {len(early)} rounds stored through a lock")
                await asyncio.sleep(max(0.0, lock_s - (time.monotonic() - started)))
            finally:
                locker.execute("ROLLBACK")
                locker.close()
        report = await settled_report(stack.redis.url, stack.database_path)
        if not report.ok:
            raise Finding(
                "database locked: the books do not reconcile:\n" + "\n".join(report.lines())
            )
        _check_books(acknowledged, durable_rounds(stack.database_path), "database locked")
        delays = _retry_delays(stack.log_path.read_text(errors="replace"))
        if not delays or delays != sorted(delays):
            raise Finding(f"database locked: the flusher did not retry with backoff: {delays}")
        return (
            f"database locked {lock_s:.0f}s: {spins} spins acknowledged meanwhile, the flusher"
            f" retried {len(delays)} times ({delays[0]}s to {delays[-1]}s), every round stored once"
        )


def _retry_delays(log: str) -> list[float]:
    marker = "flusher retrying in "
    delays = []
    for line in log.splitlines():
        at = line.find(marker)
        if at >= 0:
            delays.append(float(line[at + len(marker) :].split("s", 1)[0]))
    return delays
