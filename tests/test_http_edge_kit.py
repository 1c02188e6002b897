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

import pytest
from starlette.routing import Route

from server.app import routes
from server.config import ConfigError, Settings
from server.http_limits import PROVIDER_PREFIX, UPLOAD_PATH
from server.provider import routes as provider_routes
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


# -- the settings -------------------------------------------------------------------------------
def test_no_proxy_is_trusted_by_default() -> None:
    assert Settings.from_env({}).trusted_proxies == ()


def test_trusted_proxies_are_addresses_or_networks() -> None:
    settings = Settings.from_env({"CASINO_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8,::1"})
    assert settings.trusted_proxies == ("127.0.0.1/32", "10.0.0.0/8", "::1/128")


@pytest.mark.parametrize("value", ["*", "proxy.internal", "10.0.0.1/8", "127.0.0.1:8080"])
def test_a_trusted_proxy_that_is_no_address_or_network_is_refused(value: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"CASINO_TRUSTED_PROXIES": value})
    assert str(refused.value) == (
        f"CASINO_TRUSTED_PROXIES must list IP addresses or networks like 10.0.0.0/8, got {value!r}"
    )


@pytest.mark.parametrize("value", ["0.0.0.0/0", "::/0"])
def test_a_trusted_proxy_network_holding_every_address_is_refused(value: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"CASINO_TRUSTED_PROXIES": f"10.0.0.0/8,{value}"})
    assert (
        str(refused.value) == f"CASINO_TRUSTED_PROXIES must not trust every address, got {value!r}"
    )


def test_the_http_limits_have_their_documented_defaults() -> None:
    settings = Settings.from_env({})
    assert (
        settings.max_http_connections,
        settings.http_max_header_bytes,
        settings.http_max_headers,
        settings.http_header_timeout_s,
        settings.http_body_timeout_s,
        settings.http_keep_alive_s,
    ) == (1000, 16384, 100, 10, 10, 5)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CASINO_HTTP_MAX_HEADER_BYTES", "512", "must be at least 1024, got 512"),
        ("CASINO_HTTP_MAX_HEADERS", "4", "must be at least 8, got 4"),
        ("CASINO_MAX_HTTP_CONNECTIONS", "0", "must be at least 1, got 0"),
        ("CASINO_HTTP_BODY_TIMEOUT_SECONDS", "soon", "must be an integer, got 'soon'"),
    ],
)
def test_an_http_limit_out_of_range_is_refused(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({name: value})
    assert str(refused.value) == f"{name} {message}"


# -- the body classes ---------------------------------------------------------------------------
def test_the_body_classes_name_the_routes_they_mean() -> None:
    """server/http_limits.py classes a request by its path: the paths must stay the routes'."""
    served = {
        (r.path, method) for r in routes() if isinstance(r, Route) for method in r.methods or ()
    }
    assert (UPLOAD_PATH, "POST") in served
    provider_class = {(path, method) for path, method in served if path.startswith(PROVIDER_PREFIX)}
    provider_api = {
        (r.path, m) for r in provider_routes.routes if isinstance(r, Route) for m in r.methods or ()
    }
    assert ("/provider/transaction/bet", "POST") in provider_class
    assert provider_class <= provider_api  # nothing else is given the provider's rules
