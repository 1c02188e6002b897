"""The sandbox payment gateway as a real process takes test keys only: its own key as a
bearer token, a live key refused by name, nothing without one; with a daily deposit limit it
declines the charge that would pass it, per account. The server's gateway client sends its
key, and a refused key is its own error. The server and the gateway publish one default key."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from clients import sandbox_gateway
from server import config
from server.payments.gateway import GatewayClient, GatewayKeyRefused, GatewayPolicy
from server.storage.redis_child import free_port
from tests.conftest import ROOT, unique

KEY = "sk_test_0123456789abcdefghijklmn"
DAILY_LIMIT = 5_000
POLICY = GatewayPolicy(timeout_s=2.0, retries=0, backoff_s=0.0)


@dataclass(frozen=True)
class RunningGateway:
    url: str
    db_path: Path

    def payments_of(self, account: str) -> int:
        with sqlite3.connect(self.db_path) as db:
            (count,) = db.execute(
                "SELECT COUNT(*) FROM payments WHERE account = ?", (account,)
            ).fetchone()
        return int(count)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    """The sandbox gateway process, started with its own key and a daily deposit limit."""
    workdir = tmp_path_factory.mktemp("gateway")
    port = free_port()
    running = RunningGateway(f"http://127.0.0.1:{port}", workdir / "gateway.db")
    with (workdir / "gateway.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "clients.sandbox_gateway", "--port", str(port),
             "--db", str(running.db_path), "--daily-deposit-limit", str(DAILY_LIMIT)],
            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
            env={**os.environ, "SANDBOX_GATEWAY_KEY": KEY},
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(f"{running.url}/health", timeout=1)
                break
            except httpx.HTTPError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
        yield running
    finally:
        process.terminate()
        process.wait(10)


def charge(gateway: RunningGateway, authorization: str | None, **terms: Any) -> httpx.Response:
    body = {"key": unique("k-"), "kind": "deposit", "amount": 100, "currency": "EUR",
            "account": unique("player:"), **terms}  # fmt: skip
    headers = {"Authorization": authorization} if authorization else {}
    return httpx.post(f"{gateway.url}/payments", json=body, headers=headers, timeout=5)


def test_a_charge_with_the_gateways_key_is_approved(gateway: RunningGateway) -> None:
    response = charge(gateway, f"Bearer {KEY}")
    assert (response.status_code, response.json()["status"]) == (200, "approved")


def test_a_charge_without_a_key_is_refused(gateway: RunningGateway) -> None:
    response = charge(gateway, None)
    assert response.status_code == 401
    assert response.json() == {"error": "send Authorization: Bearer <your sk_test_ key>"}


def test_a_charge_with_a_live_key_is_refused_by_name(gateway: RunningGateway) -> None:
    response = charge(gateway, "Bearer sk_live_0123456789abcdefghijklmn")
    assert response.status_code == 401
    assert response.json() == {
        "error": "a live key (sk_live_...) was sent to the sandbox gateway, which takes test keys"
    }


def test_a_charge_with_another_test_key_is_refused(gateway: RunningGateway) -> None:
    account = unique("player:")
    response = charge(gateway, f"Bearer {sandbox_gateway.DEFAULT_KEY}", account=account)
    assert (response.status_code, response.json()) == (401, {"error": "unknown API key"})
    assert gateway.payments_of(account) == 0


def test_a_status_query_needs_the_key_too(gateway: RunningGateway) -> None:
    key = unique("k-")
    assert charge(gateway, f"Bearer {KEY}", key=key).status_code == 200
    anonymous = httpx.get(f"{gateway.url}/payments/{key}", timeout=5)
    keyed = httpx.get(f"{gateway.url}/payments/{key}", headers={"Authorization": f"Bearer {KEY}"})
    assert (anonymous.status_code, keyed.status_code, keyed.json()["key"]) == (401, 200, key)


def test_deposits_past_the_daily_limit_are_declined_per_account(gateway: RunningGateway) -> None:
    account, other = unique("player:"), unique("player:")
    results = [
        charge(gateway, f"Bearer {KEY}", account=account, amount=3_000).json()["status"],
        charge(gateway, f"Bearer {KEY}", account=account, amount=2_001).json()["status"],
        charge(gateway, f"Bearer {KEY}", account=account, amount=2_000).json()["status"],
        charge(gateway, f"Bearer {KEY}", account=other, amount=5_000).json()["status"],
        charge(gateway, f"Bearer {KEY}", account=account, kind="payout", amount=9_000).json()[
            "status"
        ],
    ]
    assert results == ["approved", "declined", "approved", "approved", "approved"]


def test_a_declined_charge_answers_the_same_when_retried(gateway: RunningGateway) -> None:
    account, key = unique("player:"), unique("k-")
    assert charge(gateway, f"Bearer {KEY}", account=account, amount=DAILY_LIMIT).status_code == 200
    first = charge(gateway, f"Bearer {KEY}", account=account, amount=1, key=key).json()
    again = charge(gateway, f"Bearer {KEY}", account=account, amount=1, key=key).json()
    assert (first["status"], again) == ("declined", first)


async def test_the_server_client_sends_its_key(gateway: RunningGateway) -> None:
    client = GatewayClient("sandbox_gateway", gateway.url, POLICY, KEY)
    try:
        result = await client.submit(unique("k-"), "deposit", 100, "EUR", unique("player:"))
    finally:
        await client.close()
    assert result.approved


async def test_a_key_the_gateway_refuses_is_a_configuration_error_of_its_own(
    gateway: RunningGateway,
) -> None:
    client = GatewayClient("sandbox_gateway", gateway.url, POLICY, "sk_test_not-the-right-one")
    try:
        with pytest.raises(GatewayKeyRefused, match="HTTP 401"):
            await client.submit(unique("k-"), "deposit", 100, "EUR", unique("player:"))
    finally:
        await client.close()


def test_the_sandbox_gateway_will_not_start_with_a_live_key(tmp_path: Path) -> None:
    env = {**os.environ, "SANDBOX_GATEWAY_KEY": "sk_live_0123456789abcdefghijklmn"}
    result = subprocess.run(
        [sys.executable, "-m", "clients.sandbox_gateway", "--port", str(free_port()),
         "--db", str(tmp_path / "g.db")],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=30,
    )  # fmt: skip
    assert result.returncode == 2
    assert "SANDBOX_GATEWAY_KEY must be a test key (sk_test_...)" in result.stderr
    assert "sk_live_0123" not in result.stderr


def test_the_server_and_the_sandbox_gateway_publish_one_default_key() -> None:
    assert config.SANDBOX_GATEWAY_KEY == sandbox_gateway.DEFAULT_KEY
    assert config.Settings.from_env({}).payment_gateway_key == sandbox_gateway.DEFAULT_KEY
