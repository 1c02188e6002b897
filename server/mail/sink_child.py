"""The sandbox mail sink as a child process of `run.py serve`, like the sandbox payment
gateway (server/payments/gateway_child.py): on 127.0.0.1 and a free port, its messages in
the data directory, and it dies with the server even when the server is killed."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

from server.storage.redis_child import _die_with_parent, free_port

ROOT = Path(__file__).resolve().parent.parent.parent


def directory(data_dir: Path) -> Path:
    """Where the sink of a server with this data directory keeps its messages."""
    return data_dir / "mail_sink"


class MailSinkChild:
    def __init__(self, data_dir: Path) -> None:
        self.directory = directory(data_dir)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 15.0) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        log = (self.directory / "sink.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.mail.sink", "--port", str(self.port),
             "--dir", str(self.directory)],
            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, preexec_fn=_die_with_parent,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                    if conn.recv(3) == b"220":
                        return self.url
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the sandbox mail sink did not start")
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
