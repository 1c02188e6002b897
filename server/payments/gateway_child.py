"""The sandbox payment gateway as a child process of `run.py serve` on one machine.

Started only in sandbox mode when nothing is configured (no
CASINO_PAYMENT_GATEWAY_URL and no CASINO_REDIS_URL: the everything-embedded
mode), like the private redis-server: bound to 127.0.0.1 on a free port, its
SQLite file in the data directory, and it dies with the server even when the
server is killed. It gets a fresh random test key (`sk_test_...`) through its
environment, which the server then sends, a fresh webhook signing secret the
server then checks, the server's own webhook URL (webhooks delivered in `chaos`
mode, some twice and some late, as real processors do), and the server's daily sandbox
deposit limit, so its deposits mint no more play money than sandbox deposits.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import rng
from server.storage.redis_child import _die_with_parent, free_port

ROOT = Path(__file__).resolve().parent.parent.parent


class SandboxGatewayChild:
    def __init__(self, data_dir: Path, daily_deposit_limit: int, webhook_url: str = "") -> None:
        self.data_dir = data_dir
        self.daily_deposit_limit = daily_deposit_limit
        self.webhook_url = webhook_url
        self.port = free_port()
        self.key = f"sk_test_{rng.token_urlsafe(24)}"
        self.webhook_secret = f"whsec_{rng.token_urlsafe(24)}"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 15.0) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = (self.data_dir / "sandbox_gateway.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "clients.sandbox_gateway", "--port", str(self.port),
             "--db", str(self.data_dir / "sandbox_gateway.db"),
             "--daily-deposit-limit", str(self.daily_deposit_limit),
             "--webhook-url", self.webhook_url, "--webhook-mode", "chaos"],
            env={**os.environ, "SANDBOX_GATEWAY_KEY": self.key,
                 "SANDBOX_WEBHOOK_SECRETS": self.webhook_secret},
            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, preexec_fn=_die_with_parent,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1):  # noqa: S310
                    return self.url
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("the sandbox payment gateway did not start") from None
                time.sleep(0.05)

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
