"""The per-address lockout, on a server of its own (the shared one allows tests many failures)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.storage.redis_child import RedisChild
from tests.conftest import (
    STRONG_PASSWORD,
    ServerProcess,
    new_player,
    start_server,
    stop_server,
    unique,
)


@pytest.fixture
def strict_casino(tmp_path: Path, private_redis: RedisChild) -> Iterator[ServerProcess]:
    server = start_server(tmp_path, private_redis, {"CASINO_LOGIN_MAX_FAILURES_PER_ADDRESS": "3"})
    yield server
    stop_server(server)


async def test_failures_from_one_address_lock_every_account_from_it(
    strict_casino: ServerProcess,
) -> None:
    client, player = await new_player(strict_casino.base_url)
    await client.http.aclose()
    async with httpx.AsyncClient(base_url=strict_casino.base_url) as http:
        for _ in range(3):  # three different names: no account reaches its own limit
            body = {"login": unique("guess_"), "password": "Wrong-Password-7"}
            assert (await http.post("/api/sessions", json=body)).status_code == 401
        right = {"login": player["username"], "password": STRONG_PASSWORD}
        locked = await http.post("/api/sessions", json=right)
    assert (locked.status_code, locked.json()["error"]["code"]) == (429, "LOGIN_LOCKED")
