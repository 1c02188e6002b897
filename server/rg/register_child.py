"""The sandbox self-exclusion register as a child process of `run.py serve` on one machine.

Started exactly when the sandbox payment gateway is (sandbox mode, nothing
configured: the everything-embedded mode): bound to 127.0.0.1 on a free port,
with a fresh random test key (`register_test_...`) through its environment,
which the server then sends; it dies with the server even when the server is
killed. It keeps nothing on disk, only its log in the data directory.
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


class SandboxRegisterChild:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.key = f"register_test_{rng.token_urlsafe(24)}"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 15.0) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = (self.data_dir / "sandbox_register.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "clients.sandbox_register", "--port", str(self.port)],
            env={**os.environ, "SANDBOX_REGISTER_KEY": self.key},
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
                    raise RuntimeError(
                        "the sandbox self-exclusion register did not start"
                    ) from None
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
