"""The sandbox mail sink as a child process of `run.py serve`, like the sandbox payment
gateway: on 127.0.0.1 (server/storage/service_child.py), its messages in the data
directory, and it dies with the server even when the server is killed."""

from __future__ import annotations

import socket
from pathlib import Path

from server.storage.service_child import ServiceChild


def directory(data_dir: Path) -> Path:
    """Where the sink of a server with this data directory keeps its messages."""
    return data_dir / "mail_sink"


class MailSinkChild(ServiceChild):
    def __init__(self, data_dir: Path) -> None:
        self.directory = directory(data_dir)
        super().__init__("the sandbox mail sink", self.directory / "sink.log")

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> str:
        self.spawn("server.mail.sink", ["--dir", str(self.directory)], self._greets)
        return self.url

    def _greets(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                return conn.recv(3) == b"220"
        except OSError:
            return False
