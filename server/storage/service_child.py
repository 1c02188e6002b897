"""A sandbox service as a child process of `run.py serve` (the payment gateway, the KYC
vendor, the self-exclusion register, the mail sink): on 127.0.0.1, on a listening socket
this process bound and hands to the child as a descriptor (`--fd N`).

The port is ours from the bind, so no other process can take it between our choosing it and
the child listening on it. A port picked free and bound later by the child could be taken
meanwhile (the kernel hands ports to connections' local ends too): the start then failed, or
its health check was answered by whatever took the port. Connections made before the child
serves wait in the socket's backlog. The child dies with the server, even a killed one.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from server.storage.redis_child import _die_with_parent, stop_process

ROOT = Path(__file__).resolve().parent.parent.parent
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 10.0


class ServiceChild:
    """One service `python -m module ... --fd N`; `name` says what it is in errors."""

    def __init__(self, name: str, log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        self._listener: socket.socket | None = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.process: subprocess.Popen[bytes] | None = None

    def spawn(
        self,
        module: str,
        arguments: list[str],
        answers: Callable[[], bool],
        env: dict[str, str] | None = None,
        timeout_s: float = START_TIMEOUT_S,
    ) -> None:
        """Start the child on our socket and wait until `answers()`; RuntimeError when it
        exits or does not answer within `timeout_s` (its log says why)."""
        if self._listener is None:
            raise RuntimeError(f"{self.name} was started once already")
        fd = self._listener.fileno()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", module, *arguments, "--fd", str(fd)],
                env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                preexec_fn=_die_with_parent, pass_fds=(fd,),
            )  # fmt: skip
        # The child holds the socket now: when it dies, connections are refused at once
        # instead of waiting in a backlog nobody reads.
        self._listener.close()
        self._listener = None
        deadline = time.monotonic() + timeout_s
        while not answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} did not start; its log: {self.log_path}")
            time.sleep(0.05)

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        stop_process(self.process, timeout_s)


def health_answers(url: str) -> Callable[[], bool]:
    """Whether the HTTP service at `url` answers its `/health`."""

    def answers() -> bool:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1):  # noqa: S310
                return True
        except OSError:
            return False

    return answers
