"""Shared pieces of the webhook, card, dispute and refund tests (this module holds no tests).

`Processing` is one private world: its own redis-server, the real sandbox gateway
process delivering signed webhooks to the real server, which checks two secrets
(the current one and the next, as during a rotation). The server's recovery pass
runs only at start-up here, so what completes a payment in these tests is the
webhook. After every test every webhook has been acknowledged, the ledger
reconciles, and the server's payments agree with the gateway's own records.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from clients.api import CasinoClient
from clients.sandbox_webhooks import sign
from server.storage.redis_child import RedisChild, free_port
from tests.conftest import ROOT, ServerProcess, settled_report, start_server, stop_server, unique
from tests.support import db as test_db
from tests.support.kyc import STAFF_TOKEN
from tests.support.payments import Gateway, player

SECRET = "whsec_test_current"
NEXT_SECRET = "whsec_test_next"
SERVER_ENV = {
    "CASINO_PAYMENT_TIMEOUT_MS": "2000",
    "CASINO_PAYMENT_RETRIES": "2",
    "CASINO_PAYMENT_BACKOFF_MS": "50",
    "CASINO_PAYMENT_RECOVERY_SECONDS": "3600",  # webhooks, not the recovery pass, complete
    "CASINO_PAYMENT_WEBHOOK_SECRETS": f"{SECRET},{NEXT_SECRET}",
    "CASINO_PAYMENT_METHOD_LIMITS": "ewallet:EUR:100:5000",
    "CASINO_STAFF_TOKEN": STAFF_TOKEN,  # the staff API: KYC approval, disputes, refunds
}
CARD_OK = "4242424242424242"
CARD_3DS = "4000000000003220"
CARD_DISPUTED = "4000000000000259"


class WebhookGateway(Gateway):
    """The sandbox gateway signing with SECRET; bank transfers settle only when told."""

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "clients.sandbox_gateway", "--port", str(self.port),
                 "--db", str(self.db_path), "--transfer-settle-s", "3600"],
                stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                env={**os.environ, "SANDBOX_WEBHOOK_SECRETS": SECRET},
            )  # fmt: skip
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(f"{self.url}/health", timeout=1)
                return
            except httpx.HTTPError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(self.log_path.read_text()) from None
                time.sleep(0.05)

    def admin(self, path: str, body: dict[str, Any] | None = None) -> Any:
        if body is None:
            return httpx.get(f"{self.url}{path}", timeout=5).json()
        response = httpx.post(f"{self.url}{path}", json=body, timeout=5)
        return response.json()

    def webhooks(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.admin("/admin/webhooks")["webhooks"]
        return found

    def record(self, key: str) -> dict[str, Any]:
        with sqlite3.connect(self.db_path) as conn:
            row = conn.execute(
                "SELECT status, amount, decline_code FROM payments WHERE key = ?", (key,)
            ).fetchone()
        return {"status": row[0], "amount": row[1], "decline_code": row[2]}


@dataclass
class Processing:
    server: ServerProcess
    gateway: WebhookGateway
    redis: RedisChild
    workdir: Any

    @property
    def webhook_url(self) -> str:
        return f"{self.server.base_url}/api/payments/webhooks"

    def restart_server(self) -> None:
        """Start the server again (stopped first, unless it was killed) on the same database,
        Redis and gateway, and point the gateway's webhooks at its new port."""
        stop_server(self.server)
        self.server = start_server(self.workdir, self.redis, self.env())
        self.gateway.admin("/admin/webhooks", {"url": self.webhook_url})

    def env(self) -> dict[str, str]:
        return {**SERVER_ENV, "CASINO_PAYMENT_GATEWAY_URL": self.gateway.url}

    def admin_cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The staff's command line, on this world's database, Redis and gateway."""
        env = {
            **os.environ, **self.env(), "CASINO_NO_BOOTSTRAP": "1",
            "CASINO_DATA_DIR": str(self.workdir), "CASINO_REDIS_URL": self.redis.url,
            "CASINO_DATABASE_URL": test_db.url_of(self.server.database_path),
        }  # fmt: skip
        return subprocess.run(
            [sys.executable, "-m", "server.payments.admin", *args],
            capture_output=True, text=True, cwd=ROOT, env=env, timeout=60, check=False,
        )  # fmt: skip

    def post_webhook(self, body: bytes, header: str | None) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if header is not None:
            headers["Gateway-Signature"] = header
        return httpx.post(self.webhook_url, content=body, headers=headers, timeout=10)

    def server_payments(self) -> list[tuple[str, str, int, str]]:
        rows = test_db.query(
            self.server.database_path,
            "SELECT gateway_key, kind, amount, status FROM payments WHERE status <> 'refused'",
        )
        return [(str(k), str(kind), int(a), str(s)) for k, kind, a, s in rows]


@pytest.fixture(scope="module")
def processing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Processing]:
    workdir = tmp_path_factory.mktemp("processing")
    redis = RedisChild(workdir / "redis")
    redis.start()
    gateway = WebhookGateway(free_port(), workdir / "gateway.db", workdir / "gateway.log")
    try:
        gateway.start()
        env = {**SERVER_ENV, "CASINO_PAYMENT_GATEWAY_URL": gateway.url}
        world = Processing(start_server(workdir, redis, env), gateway, redis, workdir)
        gateway.admin("/admin/webhooks", {"url": world.webhook_url})
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
async def world(processing: Processing) -> AsyncIterator[Processing]:
    """The module's world, delivering normally at the start of a test; at its end every
    webhook acknowledged, the ledger reconciled, and the gateway agreeing."""
    processing.gateway.fault("none")
    processing.gateway.admin(
        "/admin/webhooks", {"mode": "normal", "secrets": [SECRET], "url": processing.webhook_url}
    )
    yield processing
    processing.gateway.admin(
        "/admin/webhooks", {"mode": "normal", "secrets": [SECRET], "url": processing.webhook_url}
    )
    await until(lambda: all(w["delivered"] for w in processing.gateway.webhooks()))
    report = await settled_report(processing.server)
    assert report.ok, "\n".join(report.lines())
    assert_gateway_agrees(processing)


def assert_gateway_agrees(world: Processing) -> None:
    """Every payment the server holds is the gateway's payment with the same amount, and a
    final state on one side is the same final state on the other."""
    final = {"completed": "approved", "declined": "declined"}
    for key, _kind, amount, status in world.server_payments():
        theirs = world.gateway.record(key)
        assert theirs["amount"] == amount, key
        if status in final:
            assert theirs["status"] == final[status], (key, status, theirs)
        else:
            assert theirs["status"] in ("requires_action", "processing"), (key, theirs)


async def until(predicate: Any, timeout_s: float = 20.0) -> None:
    """Wait for `predicate()` (bounded: a correctness wait, never a speed assertion)."""
    import asyncio

    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


@pytest.fixture
async def client(world: Processing) -> AsyncIterator[CasinoClient]:
    """A new player of the world, verified to withdraw (KYC level 1), with nothing in the
    wallet."""
    async with await player(world.server.base_url, verified=True) as logged_in:
        yield logged_in


@pytest.fixture
async def verified(world: Processing) -> AsyncIterator[CasinoClient]:
    """A new player verified to KYC level 1 (staff approval), so withdrawals meet no KYC
    refusal."""
    async with await player(world.server.base_url, verified=True) as logged_in:
        yield logged_in


async def deposit(client: CasinoClient, amount: int, **body: Any) -> tuple[int, dict[str, Any]]:
    return await _pay(client, "deposits", amount, body)


async def withdraw(client: CasinoClient, amount: int, **body: Any) -> tuple[int, dict[str, Any]]:
    return await _pay(client, "withdrawals", amount, body)


async def _pay(
    client: CasinoClient, kind: str, amount: int, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    response = await client.http.post(
        f"/api/payments/{kind}",
        json={"amount": amount, **body},
        headers={"Authorization": f"Bearer {client.token}", "Idempotency-Key": unique("k-")},
    )
    return response.status_code, response.json()


async def payment(client: CasinoClient, payment_id: int) -> dict[str, Any]:
    found: dict[str, Any] = await client.call("GET", f"/api/payments/{payment_id}")
    return found


async def settled(client: CasinoClient, payment_id: int) -> dict[str, Any]:
    """The payment once it left pending (bounded wait)."""
    import asyncio

    deadline = time.monotonic() + 20
    while True:
        found = await payment(client, payment_id)
        if found["status"] != "pending" or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


async def balance(client: CasinoClient) -> int:
    return int((await client.call("GET", "/api/wallet"))["balance"])


def complete_challenge(world: Processing, action_url: str, outcome: str = "complete") -> None:
    """What the player's browser does on the 3-D Secure (or e-wallet) page."""
    assert action_url.startswith(world.gateway.url)
    page = httpx.get(action_url, timeout=5)
    assert page.status_code == 200
    httpx.post(action_url, data={"outcome": outcome}, timeout=5)


def signed_event(
    kind: str, data: dict[str, Any], secret: str = SECRET, at: int | None = None
) -> tuple[bytes, str]:
    body = json.dumps(
        {"id": unique("evt_test_"), "type": kind, "created": int(time.time()), "data": data}
    ).encode()
    return body, sign(body, [secret], at)


def gateway_key(world: Processing, payment_id: int) -> str:
    row = test_db.one(
        world.server.database_path, "SELECT gateway_key FROM payments WHERE id = ?", (payment_id,)
    )
    assert row is not None, payment_id
    return str(row[0])


__all__ = [
    "CARD_3DS", "CARD_DISPUTED", "CARD_OK", "NEXT_SECRET", "SECRET", "Processing", "balance",
    "client", "complete_challenge", "deposit", "gateway_key", "payment", "processing",
    "settled", "signed_event", "until", "withdraw", "world",
]  # fmt: skip
