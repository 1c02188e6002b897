"""The sandbox KYC vendor as a child process of `run.py serve` on one machine.

Started exactly when the sandbox payment gateway is (sandbox mode, everything
embedded) and when no CASINO_KYC_VENDOR_URL is set: on 127.0.0.1
(server/storage/service_child.py), dying with the server. It gets a fresh random
API token and webhook secret through its environment, which `run.py serve` hands to
the server's workers as CASINO_KYC_VENDOR_KEY and CASINO_KYC_WEBHOOK_SECRET.
"""

from __future__ import annotations

import os
from pathlib import Path

import rng
from server.storage.service_child import ServiceChild, health_answers


class SandboxKycChild(ServiceChild):
    def __init__(self, data_dir: Path, delay_ms: int = 200, late_ms: int = 1500) -> None:
        super().__init__("the sandbox KYC vendor", data_dir / "sandbox_kyc.log")
        self.delay_ms = delay_ms
        self.late_ms = late_ms
        self.token = rng.token_urlsafe(24)
        self.secret = rng.token_urlsafe(32)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        self.spawn(
            "clients.sandbox_kyc",
            ["--delay-ms", str(self.delay_ms), "--late-ms", str(self.late_ms)],
            health_answers(self.url),
            env={**os.environ, "SANDBOX_KYC_TOKEN": self.token,
                 "SANDBOX_KYC_WEBHOOK_SECRET": self.secret},
        )  # fmt: skip
        return self.url
