"""Which address a request or play socket is counted under: the TCP peer, unless the peer is
one of CASINO_TRUSTED_PROXIES; then the right-most X-Forwarded-For entry that is not itself a
trusted proxy. The login lock-out and the per-address socket cap both follow that rule.

Both servers lock an address after 3 failed logins and hold 2 play sockets per address;
`direct` trusts no proxy (the default), `proxied` trusts 127.0.0.1, where the tests connect
from, as a reverse proxy on the same host would.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterator

import httpx
import msgspec
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from server.accounts.lockout import address_key
from server.storage.redis_client import connect as connect_redis
from tests.conftest import ServerProcess, unique
from tests.support.http_edge import WAIT_S, edge_server

LIMITS = {"CASINO_LOGIN_MAX_FAILURES_PER_ADDRESS": "3", "CASINO_MAX_CONNECTIONS_PER_IP": "2"}
WRONG = "Wrong-Password-7"


@pytest.fixture(scope="module")
def direct(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with edge_server(tmp_path_factory.mktemp("edge-direct"), LIMITS) as server:
        yield server


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {**LIMITS, "CASINO_TRUSTED_PROXIES": "127.0.0.1"}
    with edge_server(tmp_path_factory.mktemp("edge-proxied"), env) as server:
        yield server


async def failed_login(server: ServerProcess, forwarded: str | None) -> tuple[int, str]:
    """A wrong password for a fresh name: only the address's count can lock it."""
    headers = {} if forwarded is None else {"X-Forwarded-For": forwarded}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=WAIT_S) as http:
        reply = await http.post(
            "/api/sessions", json={"login": unique("who_"), "password": WRONG}, headers=headers
        )
    return reply.status_code, reply.json()["error"]["code"]


async def failures_counted(server: ServerProcess, address: str) -> int | None:
    client = connect_redis(server.redis.url)
    try:
        value = await client.get(address_key(address))
    finally:
        await client.aclose()
    return None if value is None else int(value)


@contextlib.asynccontextmanager
async def play_socket(server: ServerProcess, forwarded: str) -> AsyncIterator[str]:
    """A play socket opened as `forwarded`; yields the code of its first reply to a request
    made before hello: NOT_AUTHENTICATED when admitted, TOO_MANY_CONNECTIONS when not."""
    url = f"ws://127.0.0.1:{server.port}/ws"
    async with connect(url, additional_headers={"X-Forwarded-For": forwarded}) as socket_:
        with contextlib.suppress(ConnectionClosed):  # a refused socket may be closing already
            await socket_.send(json.dumps({"type": "balance", "id": 1}))
        message = await socket_.recv()
        decoded = (
            msgspec.msgpack.decode(message) if isinstance(message, bytes) else json.loads(message)
        )
        yield str(decoded["code"])


# -- no proxy trusted (the default) -------------------------------------------------------------
async def test_a_direct_client_cannot_escape_the_lockout_by_claiming_addresses(
    direct: ServerProcess,
) -> None:
    for n in range(3):
        assert await failed_login(direct, f"203.0.113.{n}") == (401, "INVALID_CREDENTIALS")
    assert await failed_login(direct, "203.0.113.99") == (429, "LOGIN_LOCKED")
    assert await failures_counted(direct, "127.0.0.1") == 3
    assert await failures_counted(direct, "203.0.113.0") is None


async def test_a_direct_client_cannot_escape_the_socket_cap_by_claiming_addresses(
    direct: ServerProcess,
) -> None:
    async with (
        play_socket(direct, "198.51.100.1") as first,
        play_socket(direct, "198.51.100.2") as second,
        play_socket(direct, "198.51.100.3") as third,
    ):
        assert [first, second, third] == [
            "NOT_AUTHENTICATED",
            "NOT_AUTHENTICATED",
            "TOO_MANY_CONNECTIONS",
        ]


# -- 127.0.0.1 trusted as a proxy ---------------------------------------------------------------
async def test_behind_a_trusted_proxy_each_client_has_its_own_lockout(
    proxied: ServerProcess,
) -> None:
    for _ in range(3):
        assert await failed_login(proxied, "203.0.113.10") == (401, "INVALID_CREDENTIALS")
    assert await failed_login(proxied, "203.0.113.10") == (429, "LOGIN_LOCKED")
    assert await failed_login(proxied, "203.0.113.11") == (401, "INVALID_CREDENTIALS")
    assert await failures_counted(proxied, "203.0.113.10") == 3
    assert await failures_counted(proxied, "203.0.113.11") == 1


@pytest.mark.parametrize(
    ("forwarded", "client"),
    [
        # The client sent its own X-Forwarded-For; the proxy appended the address it saw.
        ("198.51.100.66, 203.0.113.20", "203.0.113.20"),
        # Through two trusted proxies: the second one's entry is skipped.
        ("203.0.113.21, 127.0.0.1", "203.0.113.21"),
        # The client sent none: the proxy's entry is the only one.
        ("203.0.113.22", "203.0.113.22"),
    ],
)
async def test_the_client_is_the_right_most_forwarded_entry_not_a_trusted_proxy(
    proxied: ServerProcess, forwarded: str, client: str
) -> None:
    assert await failed_login(proxied, forwarded) == (401, "INVALID_CREDENTIALS")
    assert await failures_counted(proxied, client) == 1
    assert await failures_counted(proxied, "198.51.100.66") is None


async def test_without_a_forwarded_header_the_trusted_proxy_is_the_client(
    proxied: ServerProcess,
) -> None:
    assert await failed_login(proxied, None) == (401, "INVALID_CREDENTIALS")
    assert await failures_counted(proxied, "127.0.0.1") == 1


async def test_behind_a_trusted_proxy_each_client_has_its_own_socket_cap(
    proxied: ServerProcess,
) -> None:
    async with (
        play_socket(proxied, "198.51.100.10") as a_first,
        play_socket(proxied, "198.51.100.11") as b_first,
        play_socket(proxied, "198.51.100.12") as c_first,
        play_socket(proxied, "198.51.100.10") as a_second,
        play_socket(proxied, "198.51.100.10") as a_third,
    ):
        assert [a_first, b_first, c_first, a_second] == ["NOT_AUTHENTICATED"] * 4
        assert a_third == "TOO_MANY_CONNECTIONS"


async def test_a_trusted_proxy_terminating_tls_gets_strict_transport_security(
    proxied: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=proxied.base_url, timeout=WAIT_S) as http:
        reply = await http.get("/api/games", headers={"X-Forwarded-Proto": "https"})
    assert reply.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"
