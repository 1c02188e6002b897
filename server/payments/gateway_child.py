"""The sandbox payment gateway as a child process of `run.py serve` on one machine.

Started only in sandbox mode when nothing is configured (no
CASINO_PAYMENT_GATEWAY_URL and no CASINO_REDIS_URL: the everything-embedded
mode), like the private redis-server: on 127.0.0.1 (server/storage/service_child.py), its
SQLite file in the data directory, and it dies with the server even when the
server is killed. It gets a fresh random test key (`sk_test_...`) through its
environment, which the server then sends, a fresh webhook signing secret the
server then checks, the server's own webhook URL (webhooks delivered in `chaos`
mode, some twice and some late, as real processors do), and the server's daily sandbox
deposit limit, so its deposits mint no more play money than sandbox deposits.
"""

from __future__ import annotations

import os
from pathlib import Path

import rng
from server.storage.service_child import ServiceChild, health_answers


class SandboxGatewayChild(ServiceChild):
    def __init__(self, data_dir: Path, daily_deposit_limit: int, webhook_url: str = "") -> None:
        super().__init__("the sandbox payment gateway", data_dir / "sandbox_gateway.log")
        self.data_dir = data_dir
        self.daily_deposit_limit = daily_deposit_limit
        self.webhook_url = webhook_url
        self.key = f"sk_test_{rng.token_urlsafe(24)}"
        self.webhook_secret = f"whsec_{rng.token_urlsafe(24)}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        self.spawn(
            "clients.sandbox_gateway",
            ["--db", str(self.data_dir / "sandbox_gateway.db"),
             "--daily-deposit-limit", str(self.daily_deposit_limit),
             "--webhook-url", self.webhook_url, "--webhook-mode", "chaos"],
            health_answers(self.url),
            env={**os.environ, "SANDBOX_GATEWAY_KEY": self.key,
                 "SANDBOX_WEBHOOK_SECRETS": self.webhook_secret},
        )  # fmt: skip
        return self.url
