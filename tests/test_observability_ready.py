"""/ready against a private server: 200 normally; 503 with a reason when the flusher falls
behind (the database is locked by someone else) or Redis is down; 200 again once they
recover. /health stays a liveness check meanwhile (200, naming the backend that is down).
The same outages move the error counters and the backlog gauges of /metrics."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from games.classic_slot import INFO as CLASSIC
from server.storage.redis_child import RedisChild
from tests.conftest import ServerProcess, new_player, settled_report, start_server, stop_server
from tests.support import db as test_db
from tests.support.observability import Samples, delta, scrape, value

LAG_BOUND_S = 1


@pytest.fixture
def private(tmp_path: Path) -> Iterator[ServerProcess]:
    child = RedisChild(tmp_path / "redis")
    child.start()
    server = start_server(tmp_path, child, {"CASINO_READY_MAX_FLUSH_LAG_SECONDS": str(LAG_BOUND_S)})
    yield server
    stop_server(server)
    child.stop()


async def _ready(base_url: str) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        response = await http.get("/ready")
    body: dict[str, Any] = response.json()
    return response.status_code, body


async def _until_status(base_url: str, status: int, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        code, body = await _ready(base_url)
        if code == status:
            return body
        assert time.monotonic() < deadline, (code, body)
        await asyncio.sleep(0.1)


async def test_ready_follows_the_flusher_and_redis(private: ServerProcess) -> None:
    code, body = await _ready(private.base_url)
    assert (code, body["status"], body["redis"], body["database"]) == (200, "ready", "ok", "ok")

    client, _ = await new_player(private.base_url, deposit=1_000)
    async with client, client.socket() as sock:
        assert client.token is not None
        await sock.hello(client.token)
        await sock.spin(CLASSIC.id, 100)  # seeds and wallet exist: the next spin is Redis only
        # Another process holds the database's write lock: settled rounds pile up in Redis.
        locker = test_db.WriteLock(private.database_path)
        try:
            locker.take()
            assert (await sock.spin(CLASSIC.id, 100))["type"] == "spin"
            lagging = await _until_status(private.base_url, 503, timeout_s=10)
            assert lagging["status"] == "not ready"
            assert lagging["database"] == "ok"  # it still answers reads
            assert lagging["flusher_lag_seconds"] > LAG_BOUND_S
            assert any("flusher lag" in reason for reason in lagging["reasons"])
            async with httpx.AsyncClient(base_url=private.base_url) as http:
                assert (await http.get("/health")).status_code == 200  # alive all the same
        finally:
            locker.close()
    caught_up = await _until_status(private.base_url, 200, timeout_s=15)
    assert caught_up["stream_length"] == 0

    private.redis.stop()
    try:
        down = await _until_status(private.base_url, 503, timeout_s=10)
        assert down["redis"].startswith("unreachable")
        assert "redis does not answer" in down["reasons"]
        async with httpx.AsyncClient(base_url=private.base_url, timeout=10) as http:
            alive = await http.get("/health")
        assert (alive.status_code, alive.json()) == (
            200,
            {"status": "degraded", "redis": "down", "database": "ok"},
        )
    finally:
        private.redis.start()
    await _until_status(private.base_url, 200, timeout_s=15)
    report = await settled_report(private)
    assert report.ok, "\n".join(report.lines())


async def _scrape_until(
    base_url: str, done: Callable[[Samples], bool], timeout_s: float
) -> Samples:
    deadline = time.monotonic() + timeout_s
    while True:
        samples = await scrape(base_url)
        if done(samples):
            return samples
        assert time.monotonic() < deadline, "metrics never showed it"
        await asyncio.sleep(0.1)


def _flusher_errors(samples: Samples) -> float:
    return sum(v for (name, _), v in samples.items() if name == "casino_flusher_errors_total")


@pytest.mark.sqlite_only(reason="the flusher's write fails on SQLite's 5 s busy timeout")
async def test_outages_move_the_error_counters_and_the_backlog_gauges(
    private: ServerProcess,
) -> None:
    client, _ = await new_player(private.base_url, deposit=1_000)
    async with client, client.socket() as sock:
        assert client.token is not None
        await sock.hello(client.token)
        await sock.spin(CLASSIC.id, 100)  # seeds and wallet exist: the next spins are Redis only
        idle = await _scrape_until(
            private.base_url, lambda s: value(s, "casino_stream_length") == 0, timeout_s=10
        )
        locker = sqlite3.connect(private.database_path, timeout=10, isolation_level=None)
        try:
            locker.execute("BEGIN IMMEDIATE")
            for _ in range(3):
                assert (await sock.spin(CLASSIC.id, 100))["type"] == "spin"
            # The flusher's write waits out SQLite's busy timeout (5 s), then fails and retries.
            locked = await _scrape_until(
                private.base_url,
                lambda s: _flusher_errors(s) > _flusher_errors(idle),
                timeout_s=30,
            )
        finally:
            locker.execute("ROLLBACK")
            locker.close()
    assert value(locked, "casino_stream_length") == 3
    assert value(locked, "casino_stream_oldest_age_seconds") > 1
    assert delta(idle, locked, "casino_flusher_errors_total", error="OperationalError") >= 1
    assert delta(idle, locked, "casino_database_errors_total", component="flusher") >= 1
    recovered = await _scrape_until(
        private.base_url,
        lambda s: (
            value(s, "casino_stream_length") == 0
            and value(s, "casino_stream_oldest_age_seconds") == 0
        ),
        timeout_s=30,
    )

    private.redis.stop()
    try:
        # The flusher and the sweeper run in the background and meet the outage by themselves.
        outage = await _scrape_until(
            private.base_url,
            lambda s: (
                delta(recovered, s, "casino_redis_errors_total", component="flusher") >= 1
                and delta(recovered, s, "casino_redis_errors_total", component="sweeper") >= 1
            ),
            timeout_s=30,
        )
    finally:
        private.redis.start()
    assert value(outage, "casino_backend_up", backend="redis") == 0
    assert delta(recovered, outage, "casino_flusher_errors_total", error="ConnectionError") >= 1
    back = await _scrape_until(
        private.base_url,
        lambda s: value(s, "casino_backend_up", backend="redis") == 1,
        timeout_s=30,
    )
    assert value(back, "casino_stream_length") == 0
    assert value(back, "casino_stream_oldest_age_seconds") == 0
    report = await settled_report(private)
    assert report.ok, "\n".join(report.lines())
