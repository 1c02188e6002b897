"""Registrations per client address are limited (issue 26, finding 7: "registration has no
rate limit"), against a server that allows 3 per hour; each test starts with the address's
budget whole."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from server.accounts.lockout import registrations_key
from server.storage.redis_child import RedisChild
from server.storage.redis_client import connect as connect_redis
from tests.conftest import STRONG_PASSWORD, ServerProcess, start_server, stop_server, unique
from tests.support.provider import db_query

PER_ADDRESS = 3
WINDOW_S = 3600


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("registration-limit")
    child = RedisChild(workdir / "redis")
    child.start()
    server = start_server(
        workdir,
        child,
        {
            "CASINO_REGISTRATIONS_PER_ADDRESS": str(PER_ADDRESS),
            "CASINO_REGISTRATION_WINDOW_SECONDS": str(WINDOW_S),
        },
    )
    yield server
    stop_server(server)
    child.stop()


@pytest.fixture
async def fresh_budget(limited: ServerProcess) -> AsyncIterator[ServerProcess]:
    client = connect_redis(limited.redis.url)
    try:
        await client.delete(registrations_key("127.0.0.1"))
    finally:
        await client.aclose()
    yield limited


def registration(name: str, **overrides: str) -> dict[str, Any]:
    return {
        "email": f"{name}@example.com",
        "username": name,
        "password": STRONG_PASSWORD,
        "date_of_birth": "1985-06-15",
        "country": "DE",
        "currency": "EUR",
        **overrides,
    }


async def register(http: httpx.AsyncClient, name: str, **overrides: str) -> httpx.Response:
    return await http.post("/api/players", json=registration(name, **overrides))


def players_named(server: ServerProcess, name: str) -> int:
    return len(db_query(server, "SELECT 1 FROM players WHERE username = ?", (name,)))


async def test_a_registration_past_the_limit_is_refused_with_retry_after_and_creates_nothing(
    fresh_budget: ServerProcess,
) -> None:
    names = [unique("r_") for _ in range(PER_ADDRESS + 1)]
    async with httpx.AsyncClient(base_url=fresh_budget.base_url) as http:
        replies = [await register(http, name) for name in names]
    assert [reply.status_code for reply in replies[:PER_ADDRESS]] == [201] * PER_ADDRESS
    refused = replies[PER_ADDRESS]
    error = refused.json()["error"]
    assert (refused.status_code, error["code"]) == (429, "REGISTRATION_LIMITED")
    assert WINDOW_S - 60 <= error["retry_after"] <= WINDOW_S
    assert refused.headers["Retry-After"] == str(error["retry_after"])
    assert players_named(fresh_budget, names[-1]) == 0


async def test_registrations_sent_at_once_create_at_most_the_limit(
    fresh_budget: ServerProcess,
) -> None:
    names = [unique("b_") for _ in range(10)]
    async with httpx.AsyncClient(base_url=fresh_budget.base_url, timeout=30) as http:
        replies = await asyncio.gather(*(register(http, name) for name in names))
    statuses = sorted(reply.status_code for reply in replies)
    assert statuses == [201] * PER_ADDRESS + [429] * (10 - PER_ADDRESS)
    assert sum(players_named(fresh_budget, name) for name in names) == PER_ADDRESS


async def test_a_registration_refused_as_malformed_is_not_counted(
    fresh_budget: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=fresh_budget.base_url) as http:
        malformed = [await register(http, unique("m_"), country="XX") for _ in range(5)]
        valid = [await register(http, unique("v_")) for _ in range(PER_ADDRESS)]
    assert [reply.status_code for reply in malformed] == [422] * 5
    assert [reply.status_code for reply in valid] == [201] * PER_ADDRESS


async def test_a_registration_refused_as_a_duplicate_is_counted(
    fresh_budget: ServerProcess,
) -> None:
    taken = unique("d_")
    async with httpx.AsyncClient(base_url=fresh_budget.base_url) as http:
        first = await register(http, taken)
        duplicates = [await register(http, taken) for _ in range(PER_ADDRESS - 1)]
        after = await register(http, unique("d_"))
    assert first.status_code == 201
    assert [reply.json()["error"]["code"] for reply in duplicates] == ["EMAIL_TAKEN"] * (
        PER_ADDRESS - 1
    )
    assert after.json()["error"]["code"] == "REGISTRATION_LIMITED"


async def test_logins_are_not_limited_by_registrations(fresh_budget: ServerProcess) -> None:
    names = [unique("l_") for _ in range(PER_ADDRESS)]
    async with httpx.AsyncClient(base_url=fresh_budget.base_url) as http:
        for name in names:
            await register(http, name)
        assert (await register(http, unique("l_"))).status_code == 429
        login = await http.post(
            "/api/sessions", json={"login": names[0], "password": STRONG_PASSWORD}
        )
    assert login.status_code == 201
