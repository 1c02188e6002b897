"""Shared pieces of the payments tests (this module holds no tests).

`Paying` is one private world: its own redis-server, the real sandbox gateway
process (its own SQLite file) and the real server pointed at it with short
timeouts, shared by the tests of one module; after every test the ledger must
reconcile, locked funds included. Players are made through the public API.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from clients.api import CasinoClient
from server.storage.redis_child import RedisChild, free_port
from tests.conftest import ROOT, ServerProcess, settled_report, start_server, stop_server, unique
from tests.support.kyc import STAFF_TOKEN, verify_identity

# Short on purpose: a slow gateway is one that answers after 500 ms.
TIMEOUT_MS = 500
RETRIES = 2
SERVER_ENV = {
    "CASINO_PAYMENT_TIMEOUT_MS": str(TIMEOUT_MS),
    "CASINO_PAYMENT_RETRIES": str(RETRIES),
    "CASINO_PAYMENT_BACKOFF_MS": "50",
    "CASINO_PAYMENT_RECOVERY_SECONDS": "1",
    "CASINO_STAFF_TOKEN": STAFF_TOKEN,
}


@dataclass
class Gateway:
    port: int
    db_path: Path
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "clients.sandbox_gateway", "--port", str(self.port),
                 "--db", str(self.db_path)],
                stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
            )  # fmt: skip
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(self.log_path.read_text()) from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def fault(self, mode: str, times: int = -1, delay_ms: int = 0) -> None:
        body = f'{{"mode": "{mode}", "times": {times}, "delay_ms": {delay_ms}}}'.encode()
        request = urllib.request.Request(f"{self.url}/admin/faults", body, method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200

    def payments(self) -> list[dict[str, Any]]:
        import sqlite3

        with sqlite3.connect(self.db_path) as conn:
            rows = conn.execute("SELECT key, kind, amount, status FROM payments").fetchall()
        return [dict(zip(("key", "kind", "amount", "status"), r, strict=True)) for r in rows]


@dataclass
class Paying:
    server: ServerProcess
    gateway: Gateway
    workdir: Path
    redis: RedisChild

    def restart_server(self, extra_env: dict[str, str] | None = None) -> None:
        """Stop the server and start it again on the same database, Redis and gateway."""
        stop_server(self.server)
        env = {**SERVER_ENV, "CASINO_PAYMENT_GATEWAY_URL": self.gateway.url, **(extra_env or {})}
        self.server = start_server(self.workdir, self.redis, env)


@pytest.fixture(scope="module")
def paying(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Paying]:
    workdir = tmp_path_factory.mktemp("paying")
    redis = RedisChild(workdir / "redis")
    redis.start()
    gateway = Gateway(free_port(), workdir / "gateway.db", workdir / "gateway.log")
    try:
        gateway.start()
        env = {**SERVER_ENV, "CASINO_PAYMENT_GATEWAY_URL": gateway.url}
        world = Paying(start_server(workdir, redis, env), gateway, workdir, redis)
    except BaseException:
        gateway.stop()
        redis.stop()
        raise
    try:
        yield world
    finally:
        stop_server(world.server)
        gateway.stop()
        redis.stop()


@pytest.fixture
async def world(paying: Paying) -> AsyncIterator[Paying]:
    """The module's world, healthy at the start of a test and reconciled at its end."""
    if paying.gateway.process is None:
        paying.gateway.start()
    paying.gateway.fault("none")
    yield paying
    if paying.gateway.process is None:
        paying.gateway.start()
    paying.gateway.fault("none")
    report = await settled_report(paying.server)
    assert report.ok, "\n".join(report.lines())


@pytest.fixture
async def client(world: Paying) -> AsyncIterator[CasinoClient]:
    """A new player of the world, logged in and verified to withdraw, with nothing in the
    wallet."""
    async with await player(world.server.base_url, verified=True) as logged_in:
        yield logged_in


async def player(base_url: str, verified: bool = False) -> CasinoClient:
    client = CasinoClient(base_url)
    name = unique("pay_")
    await client.register(
        email=f"{name}@example.com", username=name, password="Correct-Horse-42",
        date_of_birth="1985-06-15", country="DE", currency="EUR",
    )  # fmt: skip
    await client.login(name, "Correct-Horse-42")
    if verified:
        await verify_identity(client)
    return client


async def pay(
    client: CasinoClient, kind: str, amount: int, key: str | None = None
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) of a deposit or withdrawal request."""
    response = await client.http.post(
        f"/api/payments/{kind}",
        json={"amount": amount},
        headers={
            "Authorization": f"Bearer {client.token}",
            "Idempotency-Key": key or unique("k-"),
        },
    )
    return response.status_code, response.json()


async def get(client: CasinoClient, path: str) -> Any:
    return await client.call("GET", path)


async def balance(client: CasinoClient) -> int:
    return int((await client.call("GET", "/api/wallet"))["balance"])


async def wait_for_status(
    client: CasinoClient, payment_id: int, status: str, timeout_s: float = 20
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        found: dict[str, Any] = await get(client, f"/api/payments/{payment_id}")
        if found["status"] == status or time.monotonic() > deadline:
            return found
        await asyncio_sleep(0.1)


async def asyncio_sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


__all__ = [
    "Paying",
    "balance",
    "client",
    "get",
    "httpx",
    "pay",
    "paying",
    "player",
    "wait_for_status",
    "world",
]
