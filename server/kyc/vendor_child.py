"""The sandbox KYC vendor as a child process of `run.py serve` on one machine.

Started exactly when the sandbox payment gateway is (sandbox mode, everything
embedded) and when no CASINO_KYC_VENDOR_URL is set: bound to 127.0.0.1 on a
free port, dying with the server. It gets a fresh random API token and webhook
secret through its environment, which `run.py serve` hands to the server's
workers as CASINO_KYC_VENDOR_KEY and CASINO_KYC_WEBHOOK_SECRET.
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


class SandboxKycChild:
    def __init__(self, data_dir: Path, delay_ms: int = 200, late_ms: int = 1500) -> None:
        self.data_dir = data_dir
        self.delay_ms = delay_ms
        self.late_ms = late_ms
        self.port = free_port()
        self.token = rng.token_urlsafe(24)
        self.secret = rng.token_urlsafe(32)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 15.0) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = (self.data_dir / "sandbox_kyc.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "clients.sandbox_kyc", "--port", str(self.port),
             "--delay-ms", str(self.delay_ms), "--late-ms", str(self.late_ms)],
            env={**os.environ, "SANDBOX_KYC_TOKEN": self.token,
                 "SANDBOX_KYC_WEBHOOK_SECRET": self.secret},
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
                    raise RuntimeError("the sandbox KYC vendor did not start") from None
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
