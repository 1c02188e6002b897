"""`run.py serve` with no configuration runs the sandbox payment gateway as its own child."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.storage.redis_child import free_port
from tests.conftest import ROOT
from tests.support.payments import pay, player


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[str]:
    """`run.py serve` with nothing configured: its base URL."""
    port = free_port()
    unset = ("CASINO_REDIS_URL", "CASINO_DATABASE_URL", "CASINO_PAYMENT_GATEWAY_URL")
    env = {name: value for name, value in os.environ.items() if name not in unset}
    env.update({"CASINO_NO_BOOTSTRAP": "1", "CASINO_DATA_DIR": str(tmp_path)})
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "run.py"), "serve", "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError(
                f"serve did not stop on SIGTERM:\n{log_path.read_text()}"
            ) from None
        assert code == 0, log_path.read_text()


async def test_serve_without_configuration_starts_the_sandbox_gateway_and_pays(
    embedded: str, tmp_path: Path
) -> None:
    async with await player(embedded) as client:
        status, body = await pay(client, "deposits", 1_500)
    assert (status, body["status"], body["gateway"], body["balance"]) == (
        201, "completed", "sandbox_gateway", 1_500,
    )  # fmt: skip
    assert (tmp_path / "sandbox_gateway" / "sandbox_gateway.db").exists()
