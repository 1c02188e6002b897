"""/ready against a private server: 200 normally; 503 with a reason when the flusher falls
behind (the database is locked by someone else) or Redis is down; 200 again once they
recover. /health stays a liveness check meanwhile."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from games.classic_slot import INFO as CLASSIC
from server.storage.redis_child import RedisChild
from tests.conftest import ServerProcess, new_player, settled_report, start_server, stop_server

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
        locker = sqlite3.connect(private.database_path, timeout=10, isolation_level=None)
        try:
            locker.execute("BEGIN IMMEDIATE")
            assert (await sock.spin(CLASSIC.id, 100))["type"] == "spin"
            lagging = await _until_status(private.base_url, 503, timeout_s=10)
            assert lagging["status"] == "not ready"
            assert lagging["database"] == "ok"  # it still answers reads
            assert lagging["flusher_lag_seconds"] > LAG_BOUND_S
            assert any("flusher lag" in reason for reason in lagging["reasons"])
            async with httpx.AsyncClient(base_url=private.base_url) as http:
                assert (await http.get("/health")).status_code == 200  # alive all the same
        finally:
            locker.execute("ROLLBACK")
            locker.close()
    caught_up = await _until_status(private.base_url, 200, timeout_s=15)
    assert caught_up["stream_length"] == 0

    private.redis.stop()
    try:
        down = await _until_status(private.base_url, 503, timeout_s=10)
        assert down["redis"].startswith("unreachable")
        assert "redis does not answer" in down["reasons"]
    finally:
        private.redis.start()
    await _until_status(private.base_url, 200, timeout_s=15)
    report = await settled_report(private)
    assert report.ok, "\n".join(report.lines())
