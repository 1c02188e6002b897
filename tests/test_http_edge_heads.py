"""Request heads and connections at the HTTP edge, over real sockets: a head over its size or
line count is refused 431, one that comes too slowly 408, a silent connection is closed, and
a process holds at most CASINO_MAX_HTTP_CONNECTIONS HTTP connections (play sockets aside).

`edge` allows the default 16 KiB and 100 header lines, and 1 s for a head or an idle
keep-alive connection; `capped` holds 3 HTTP connections and waits a minute for a head.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import time
from collections.abc import Iterator

import msgspec
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.conftest import ServerProcess
from tests.support.http_edge import (
    WAIT_S,
    Reply,
    closed_by_server,
    connection,
    edge_server,
    read_reply,
    request,
    send,
)

HEAD_LIMIT = 16 * 1024
HEADER_LINES = 100
CAP = 3


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {"CASINO_HTTP_HEADER_TIMEOUT_SECONDS": "1", "CASINO_HTTP_KEEP_ALIVE_SECONDS": "1"}
    with edge_server(tmp_path_factory.mktemp("edge-heads"), env) as server:
        yield server


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {"CASINO_MAX_HTTP_CONNECTIONS": str(CAP), "CASINO_HTTP_HEADER_TIMEOUT_SECONDS": "60"}
    with edge_server(tmp_path_factory.mktemp("edge-capped"), env) as server:
        yield server


def head_of(size: int) -> bytes:
    """A GET /health head of exactly `size` bytes, padded in one header."""
    bare = request("GET", "/health", {"X-Pad": ""})
    return request("GET", "/health", {"X-Pad": "a" * (size - len(bare))})


def exchange(server: ServerProcess, data: bytes) -> Reply:
    with connection(server) as sock:
        send(sock, data)
        return read_reply(sock)


# -- the size of a head -------------------------------------------------------------------------
def test_a_one_megabyte_header_is_refused_431_after_16_kib(edge: ServerProcess) -> None:
    with connection(edge) as sock:
        send(sock, b"GET /health HTTP/1.1\r\nHost: casino.test\r\nX-Big: ")
        for _ in range(16):  # 1 MiB in 64 KiB pieces, until the server stops reading
            if not send(sock, b"a" * 65536):
                break
        reply = read_reply(sock)
        assert (reply.status, reply.code) == (431, "HEADERS_TOO_LARGE")
        assert reply.message == "request line and headers: at most 16384 bytes"
        assert reply.headers["connection"] == "close"
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert closed_by_server(sock)


def test_a_head_of_16_kib_is_served_and_one_byte_more_is_refused(edge: ServerProcess) -> None:
    assert len(head_of(HEAD_LIMIT)) == HEAD_LIMIT
    assert exchange(edge, head_of(HEAD_LIMIT)).status == 200
    refused = exchange(edge, head_of(HEAD_LIMIT + 1))
    assert (refused.status, refused.code) == (431, "HEADERS_TOO_LARGE")


def test_a_head_is_measured_without_the_body_that_follows_it(edge: ServerProcess) -> None:
    """A head just under the limit and its body arrive in one piece: only the head counts."""
    head = request("POST", "/api/players", {"Content-Type": "application/json", "X-Pad": ""})
    pad = HEAD_LIMIT - len(head) - len(b"Content-Length: 2\r\n")
    head = request(
        "POST",
        "/api/players",
        {"Content-Type": "application/json", "Content-Length": "2", "X-Pad": "a" * pad},
    )
    assert len(head) == HEAD_LIMIT
    reply = exchange(edge, head + b"{}")
    assert (reply.status, reply.code) == (422, "VALIDATION_FAILED")


def test_more_than_100_header_lines_are_refused_431(edge: ServerProcess) -> None:
    def with_lines(count: int) -> bytes:  # Host is one of them
        return request("GET", "/health", {f"X-Line-{n}": "1" for n in range(count - 1)})

    assert exchange(edge, with_lines(HEADER_LINES)).status == 200
    refused = exchange(edge, with_lines(HEADER_LINES + 1))
    assert (refused.status, refused.code, refused.message) == (
        431,
        "HEADERS_TOO_LARGE",
        "at most 100 header lines",
    )


# -- the pace of a head -------------------------------------------------------------------------
def test_a_connection_that_never_speaks_is_closed_without_a_word(edge: ServerProcess) -> None:
    with connection(edge) as sock:
        assert closed_by_server(sock)  # recv gives b"": no reply, just the end


def test_a_head_sent_one_line_at_a_time_is_answered_408(edge: ServerProcess) -> None:
    """Each line comes well within the timeout, the whole head does not: the deadline is for
    the head, not for each piece of it."""
    with connection(edge) as sock:
        send(sock, b"GET /health HTTP/1.1\r\nHost: casino.test\r\n")
        for line in range(200):  # at most a minute of it
            if select.select([sock], [], [], 0.3)[0]:
                break  # the server has answered
            send(sock, f"X-Slow-{line}: 1\r\n".encode())
        reply = read_reply(sock)
        assert (reply.status, reply.code) == (408, "REQUEST_TIMEOUT")
        assert reply.message == "request line and headers must arrive within 1 s"
        assert closed_by_server(sock)


def test_an_idle_keep_alive_connection_is_closed(edge: ServerProcess) -> None:
    with connection(edge) as sock:
        send(sock, request("GET", "/health"))
        assert read_reply(sock).status == 200
        assert closed_by_server(sock)


def test_a_keep_alive_connection_serves_request_after_request(edge: ServerProcess) -> None:
    with connection(edge) as sock:
        statuses = []
        for _ in range(3):
            send(sock, request("GET", "/health"))
            statuses.append(read_reply(sock).status)
    assert statuses == [200, 200, 200]


# -- how many connections -----------------------------------------------------------------------
def wait_until_admitted(server: ServerProcess) -> None:
    """Until the server has noticed the previous test's connections closing."""
    deadline = time.monotonic() + WAIT_S
    while exchange(server, request("GET", "/health", {"Connection": "close"})).status != 200:
        assert time.monotonic() < deadline, "the server never freed its connections"
        time.sleep(0.05)


@contextlib.contextmanager
def silent_connections(server: ServerProcess, count: int) -> Iterator[list[socket.socket]]:
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(connection(server)) for _ in range(count)]


def test_a_connection_past_the_cap_is_answered_503_and_closed(capped: ServerProcess) -> None:
    wait_until_admitted(capped)
    with silent_connections(capped, CAP), connection(capped) as extra:
        send(extra, request("GET", "/health"))
        reply = read_reply(extra)
        assert (reply.status, reply.code) == (503, "SERVER_AT_CAPACITY")
        assert reply.message == "too many connections: retry shortly"
        assert closed_by_server(extra)


def test_a_connection_closing_makes_room_for_another(capped: ServerProcess) -> None:
    wait_until_admitted(capped)
    with silent_connections(capped, CAP) as held:
        held.pop().close()
        deadline = time.monotonic() + WAIT_S
        while exchange(capped, request("GET", "/health")).status != 200:
            assert time.monotonic() < deadline, "the closed connection's place never came free"
            time.sleep(0.05)


async def first_reply(socket_: ClientConnection) -> dict[str, object]:
    message = await socket_.recv()
    if isinstance(message, bytes):
        decoded: dict[str, object] = msgspec.msgpack.decode(message)
        return decoded
    parsed: dict[str, object] = json.loads(message)
    return parsed


async def test_play_sockets_do_not_count_against_the_http_cap(capped: ServerProcess) -> None:
    wait_until_admitted(capped)
    url = f"ws://127.0.0.1:{capped.port}/ws"
    async with contextlib.AsyncExitStack() as stack:
        sockets = [await stack.enter_async_context(connect(url)) for _ in range(CAP + 1)]
        for play in sockets:  # each upgraded socket is served: it answers, it was not refused
            await play.send(json.dumps({"type": "balance", "id": 1}))
            assert (await first_reply(play))["code"] == "NOT_AUTHENTICATED"
        assert exchange(capped, request("GET", "/health")).status == 200
