"""The HTTP edge's settings, and the raw-socket kit its tests speak HTTP/1.1 with.

The edge tests need what an HTTP client library hides: a head that never ends, a body that
never ends, a connection that says nothing. So they write bytes to a socket and read the
reply themselves. Every read is bounded by the socket's timeout: code that never answers
fails the test instead of hanging it.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from server.storage.redis_child import RedisChild
from tests.conftest import ServerProcess, start_server, stop_server

HEAD_END = b"\r\n\r\n"
# Long enough for a loaded machine; reached only when the server fails to answer at all.
WAIT_S = 20.0


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def code(self) -> str:
        return str(json.loads(self.body)["error"]["code"])

    @property
    def message(self) -> str:
        return str(json.loads(self.body)["error"]["message"])


@contextlib.contextmanager
def connection(server: ServerProcess) -> Iterator[socket.socket]:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=WAIT_S)
    try:
        yield sock
    finally:
        sock.close()


def send(sock: socket.socket, data: bytes) -> bool:
    """False when the server has stopped reading: it may have answered already."""
    try:
        sock.sendall(data)
    except OSError:
        return False
    return True


def receive(sock: socket.socket) -> bytes:
    """What the server sent next; b"" once it has closed (a reset after its reply counts as
    closed: the reply was read before it)."""
    try:
        return sock.recv(65536)
    except ConnectionResetError:
        return b""


def read_reply(sock: socket.socket) -> Reply:
    data = b""
    while HEAD_END not in data:
        piece = receive(sock)
        assert piece, f"closed without a reply after {data!r}"
        data += piece
    head, _, body = data.partition(HEAD_END)
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    while len(body) < int(headers.get("content-length", "0")):
        piece = receive(sock)
        assert piece, f"closed in the middle of a reply body: {body!r}"
        body += piece
    return Reply(int(status_line.split(" ")[1]), headers, body)


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closes the connection without sending anything more (raises the
    socket's timeout if it keeps it open)."""
    return receive(sock) == b""


def request(method: str, path: str, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: casino.test"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@contextlib.contextmanager
def edge_server(workdir: Path, env: dict[str, str]) -> Iterator[ServerProcess]:
    """A server with its own redis-server: lock-out counts of 127.0.0.1 stay its own."""
    redis = RedisChild(workdir / "redis")
    redis.start()
    try:
        server = start_server(workdir, redis, env)
        try:
            yield server
        finally:
            stop_server(server)
    finally:
        redis.stop()
