"""The provider simulator as its own process, for the campaign tests (this module holds no tests).

`CampaignSim` registers a fresh HMAC provider in the running casino, with one slot game and its
`campaign_url` pointing at a simulator process (clients/provider_sim_server.py) started for it
on a free port, with the provider's secret in its environment: the casino awards campaigns
there, and the simulator plays their free rounds back through the wallet API. A test signs a
call as the casino would with `casino_call`.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from clients.provider_sim import new_uuid
from server.provider import catalogue, registry
from server.provider.signatures import Scheme, hmac_sign
from server.storage.database import Database
from server.storage.redis_child import free_port
from tests.conftest import ROOT, ServerProcess

GAME = "campaign-slot"  # stakes 10..10_000, weight class slots
GAME_LISTING = ("Campaign Slot", ("slots",), 96_000, 10, 10_000)


@dataclass
class CampaignSim:
    provider_id: str
    secret: str
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, casino_url: str) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "clients.provider_sim_server", "--port", str(self.port),
                 "--url", casino_url, "--provider", self.provider_id],
                env={**os.environ, "CASINO_PROVIDER_SECRET": self.secret},
                stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
            )  # fmt: skip
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(self.log_path.read_text(errors="replace")) from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
        """An unsigned call to the simulator (its /admin routes, /play, a campaign's state)."""
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as http:
            response = await http.request(method, path, json=body)
        return response.status_code, response.json()

    async def casino_call(
        self, body: dict[str, Any], secret: str | None = None, stamp: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        """POST /campaigns signed as the casino signs its calls (`secret`, `stamp`: forge)."""
        raw = msgspec.json.encode(body)
        stamp = stamp or str(int(time.time()))
        signature = hmac_sign(secret or self.secret, stamp, raw, call=True)
        headers = {"Content-Type": "application/json", "X-Timestamp": stamp,
                   "X-Signature": signature, "X-Provider-Id": self.provider_id}  # fmt: skip
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as http:
            response = await http.post("/campaigns", content=raw, headers=headers)
        return response.status_code, response.json()


async def _register(server: ServerProcess, provider_id: str, url: str) -> str:
    db = Database(server.database_path)
    await db.open()
    try:
        secret = await registry.add(
            db, provider_id, provider_id, Scheme.HMAC_SHA256, f"{url}/launch",
            campaign_url=f"{url}/campaigns",
        )  # fmt: skip
        name, categories, rtp, low, high = GAME_LISTING
        await catalogue.add_game(
            db, catalogue.ProviderGame(provider_id, GAME, name, categories, rtp, low, high, True)
        )
    finally:
        await db.close()
    assert secret is not None
    return secret


@pytest.fixture(scope="module")
def campaign_sim(
    casino: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CampaignSim]:
    """A provider of its own, whose campaigns a simulator process takes, for this module."""
    port = free_port()
    provider_id = f"c{new_uuid()[:8]}"
    secret = asyncio.run(_register(casino, provider_id, f"http://127.0.0.1:{port}"))
    log_path = tmp_path_factory.mktemp("provider_sim") / "provider_sim.log"
    sim = CampaignSim(provider_id, secret, port, log_path)
    sim.start(casino.base_url)
    yield sim
    sim.stop()


def campaign_terms(user: str, rounds: int = 3, stake: int = 100, **extra: Any) -> dict[str, Any]:
    return {"campaign_uuid": new_uuid(), "user": user, "game_code": GAME, "currency": "EUR",
            "rounds": rounds, "stake": stake, **extra}  # fmt: skip
