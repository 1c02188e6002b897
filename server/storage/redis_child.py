"""A private redis-server child process for the embedded default and for tests.

Listens on 127.0.0.1 only, with a random password and AOF persistence in its
own data directory. The config file (it holds the password) is written mode
0600 rather than passed on the command line, where `ps` would show it. The
child gets SIGTERM if its parent dies, so a killed server leaves no orphan.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import rng

PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(process: subprocess.Popen[bytes] | None, timeout_s: float) -> None:
    """SIGTERM a child still running and wait for it; SIGKILL after `timeout_s`."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def config_values(config: Path) -> dict[str, str]:
    """The settings of a `redis.conf` this module wrote, lower-cased names to values."""
    values = {}
    for line in config.read_text().splitlines():
        key, _, value = line.strip().partition(" ")
        if key and not key.startswith("#"):
            values[key.lower()] = value.strip().strip('"')
    return values


def embedded_url(data_dir: Path) -> str | None:
    """The URL of the embedded Redis that `run.py serve` runs for the data directory
    `data_dir` (from the config it wrote there), or None when it never ran. It answers only
    while that server runs: the Redis is its child."""
    config = data_dir / "redis" / "redis.conf"
    if not config.exists():
        return None
    values = config_values(config)
    return f"redis://:{values.get('requirepass', '')}@127.0.0.1:{values.get('port', '0')}/0"


class RedisChild:
    def __init__(
        self, data_dir: Path, port: int | None = None, appendfsync: str = "always"
    ) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.appendfsync = appendfsync
        self.password = rng.token_urlsafe(24)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def _write_config(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "redis.conf"
        lines = [
            "bind 127.0.0.1",
            f"port {self.port}",
            "protected-mode yes",
            f"requirepass {self.password}",
            f'dir "{self.data_dir.resolve()}"',
            "appendonly yes",
            f"appendfsync {self.appendfsync}",
            'save ""',
            "daemonize no",
            'logfile "redis.log"',
        ]
        fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write("\n".join(lines) + "\n")
        return config

    def start(self, timeout_s: float = 10.0) -> str:
        config = self._write_config()
        self.process = subprocess.Popen(
            ["redis-server", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches us, and we stop Redis after the app
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log_file = self.data_dir / "redis.log"
                raise RuntimeError(
                    f"redis-server exited ({self.process.returncode}); see {log_file}"
                )
            if self._answers_ping():
                return self.url
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server did not answer within {timeout_s}s")

    def _answers_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(f"AUTH {self.password}\r\nPING\r\n".encode())
                data = b""
                while data.count(b"\r\n") < 2:
                    chunk = sock.recv(64)
                    if not chunk:
                        return False
                    data += chunk
                return b"+PONG" in data
        except OSError:
            return False

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM: Redis finishes writing its AOF and exits."""
        stop_process(self.process, timeout_s)

    def kill(self) -> None:
        """SIGKILL, for crash tests: no shutdown work at all."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
