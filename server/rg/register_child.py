"""The sandbox self-exclusion register as a child process of `run.py serve` on one machine.

Started exactly when the sandbox payment gateway is (sandbox mode, nothing
configured: the everything-embedded mode): on 127.0.0.1 (server/storage/service_child.py),
with a fresh random test key (`register_test_...`) through its environment,
which the server then sends; it dies with the server even when the server is
killed. It keeps nothing on disk, only its log in the data directory.
"""

from __future__ import annotations

import os
from pathlib import Path

import rng
from server.storage.service_child import ServiceChild, health_answers


class SandboxRegisterChild(ServiceChild):
    def __init__(self, data_dir: Path) -> None:
        super().__init__("the sandbox self-exclusion register", data_dir / "sandbox_register.log")
        self.key = f"register_test_{rng.token_urlsafe(24)}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        self.spawn(
            "clients.sandbox_register", [], health_answers(self.url),
            env={**os.environ, "SANDBOX_REGISTER_KEY": self.key},
        )  # fmt: skip
        return self.url
