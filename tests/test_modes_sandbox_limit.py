"""The daily sandbox deposit limit: a player's sandbox deposits over any 24 hours stop at
CASINO_SANDBOX_DAILY_DEPOSIT_LIMIT, a refusal (403 SANDBOX_LIMIT_REACHED, with the limit and
what remains) credits nothing, concurrent deposits cannot pass it together (through two
server processes on one database), a replay is still answered, each player counts apart, and
deposits older than 24 hours no longer count. Against real servers with a limit of 100.00;
the ledger reconciles after every test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from clients.api import ApiFailure, CasinoClient
from server.money.wallet import DAY_MS
from server.storage.redis_child import RedisChild
from tests.conftest import (
    ServerProcess,
    new_player,
    settled_report,
    start_server,
    stop_server,
    unique,
)
from tests.support import db as test_db

LIMIT = 10_000


@pytest.fixture(scope="module")
def limited_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ServerProcess]]:
    """Two server processes on one database and one Redis, as two hosts of one casino."""
    workdir = tmp_path_factory.mktemp("limited")
    redis = RedisChild(workdir / "redis")
    redis.start()
    env = {"CASINO_SANDBOX_DAILY_DEPOSIT_LIMIT": str(LIMIT)}
    servers: list[ServerProcess] = []
    try:
        servers += [start_server(workdir, redis, env), start_server(workdir, redis, env)]
        yield servers
    finally:
        for server in servers:
            stop_server(server)
        redis.stop()


@pytest.fixture(scope="module")
def limited(limited_pair: list[ServerProcess]) -> ServerProcess:
    return limited_pair[0]


@pytest.fixture
async def player(limited: ServerProcess) -> AsyncIterator[CasinoClient]:
    client, _ = await new_player(limited.base_url)
    async with client:
        yield client
    report = await settled_report(limited)
    assert report.ok, "\n".join(report.lines())


async def deposit(
    client: CasinoClient, amount: int, key: str | None = None, via: str | None = None
) -> tuple[int, Any]:
    """(HTTP status, body) of a sandbox deposit, sent to the client's server or to `via`."""
    assert client.token is not None
    response = await client.http.post(
        f"{via or client.base_url}/api/sandbox/deposits",
        json={"amount": amount},
        headers={
            "Authorization": f"Bearer {client.token}",
            "Idempotency-Key": key or unique("lim-"),
        },
    )
    return response.status_code, response.json()


async def balance(client: CasinoClient) -> int:
    return int((await client.call("GET", "/api/wallet"))["balance"])


def deposit_rows(server: ServerProcess, player_id: int) -> list[int]:
    rows = test_db.query(
        server.database_path,
        "SELECT amount FROM deposits WHERE player_id = ? ORDER BY id",
        (player_id,),
    )
    return [int(amount) for (amount,) in rows]


async def player_id(client: CasinoClient) -> int:
    return int((await client.call("GET", "/api/me"))["player_id"])


async def test_deposits_up_to_the_daily_limit_are_credited(player: CasinoClient) -> None:
    first, second = await deposit(player, 6_000), await deposit(player, 4_000)
    assert (first[0], second[0], second[1]["balance"]) == (201, 201, 10_000)
    assert await balance(player) == 10_000


async def test_a_deposit_past_the_daily_limit_is_refused_and_credits_nothing(
    limited: ServerProcess, player: CasinoClient
) -> None:
    assert (await deposit(player, 6_000))[0] == 201
    status, body = await deposit(player, 4_001)
    assert (status, body) == (
        403,
        {
            "error": {
                "code": "SANDBOX_LIMIT_REACHED",
                "message": "deposits are limited to 10000 in any 24 hours; 4000 may still be"
                " deposited",
                "limit": 10_000,
                "remaining": 4_000,
                "params": {"limit": 10_000, "remaining": 4_000, "currency": "EUR"},
            }
        },
    )
    assert await balance(player) == 6_000
    assert deposit_rows(limited, await player_id(player)) == [6_000]


async def test_a_refused_key_may_be_used_again_once_the_amount_fits(
    player: CasinoClient,
) -> None:
    assert (await deposit(player, 9_000))[0] == 201
    assert (await deposit(player, 2_000, key="retry-me"))[0] == 403
    status, body = await deposit(player, 1_000, key="retry-me")  # nothing was kept of the first
    assert (status, body["balance"]) == (201, 10_000)


async def test_a_deposit_replayed_after_the_limit_is_reached_is_still_answered(
    player: CasinoClient,
) -> None:
    assert (await deposit(player, LIMIT, key="whole-day"))[0] == 201
    status, body = await deposit(player, LIMIT, key="whole-day")
    assert (status, body["replayed"], body["balance"]) == (200, True, LIMIT)


async def test_a_single_deposit_larger_than_the_limit_is_refused(player: CasinoClient) -> None:
    status, body = await deposit(player, LIMIT + 1)
    assert (status, body["error"]["code"], body["error"]["remaining"]) == (
        403, "SANDBOX_LIMIT_REACHED", LIMIT,
    )  # fmt: skip
    assert await balance(player) == 0


async def test_concurrent_deposits_through_two_servers_cannot_pass_the_limit_together(
    limited_pair: list[ServerProcess], limited: ServerProcess, player: CasinoClient
) -> None:
    urls = [server.base_url for server in limited_pair]
    results = await asyncio.gather(*(deposit(player, 1_000, via=urls[n % 2]) for n in range(25)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] * 10 + [403] * 15
    assert await balance(player) == LIMIT
    assert deposit_rows(limited, await player_id(player)) == [1_000] * 10


async def test_each_player_has_a_limit_of_their_own(
    limited: ServerProcess, player: CasinoClient
) -> None:
    assert (await deposit(player, LIMIT))[0] == 201
    other, _ = await new_player(limited.base_url)
    async with other:
        assert (await deposit(other, LIMIT))[0] == 201
        assert await balance(other) == LIMIT


async def test_deposits_older_than_24_hours_no_longer_count(
    limited: ServerProcess, player: CasinoClient
) -> None:
    assert (await deposit(player, LIMIT))[0] == 201
    assert (await deposit(player, 1))[0] == 403
    with test_db.connect(limited.database_path) as db:  # as if the deposit were a day old
        db.execute(
            "UPDATE deposits SET created_at = created_at - ? WHERE player_id = ?",
            (DAY_MS, await player_id(player)),
        )
    status, body = await deposit(player, LIMIT)
    assert (status, body["balance"]) == (201, 2 * LIMIT)


async def test_the_default_limit_lets_a_demo_player_deposit_10_000_00_a_day(
    casino: ServerProcess,
) -> None:
    client, _ = await new_player(casino.base_url, kyc_level=2)  # deposits above EUR 2,000
    async with client:
        assert (await deposit(client, 600_000))[0] == 201
        assert (await deposit(client, 400_000))[0] == 201
        status, body = await deposit(client, 1)
        assert (status, body["error"]["limit"], body["error"]["remaining"]) == (403, 1_000_000, 0)
        assert await balance(client) == 1_000_000


async def test_a_refusal_is_counted_as_a_refused_sandbox_payment(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url, kyc_level=2)  # KYC lets it reach the limit
    async with client:
        before = await refused_sandbox_deposits(client)
        with pytest.raises(ApiFailure) as caught:
            await client.deposit(1_000_001, idempotency_key=unique("big-"))
        assert (caught.value.status, caught.value.code) == (403, "SANDBOX_LIMIT_REACHED")
        assert await refused_sandbox_deposits(client) == before + 1


async def refused_sandbox_deposits(client: CasinoClient) -> float:
    labels = ('gateway="sandbox"', 'state="refused"', 'currency="EUR"', 'kind="deposit"')
    for line in (await client.http.get("/metrics")).text.splitlines():
        if line.startswith("casino_payments_total{") and all(label in line for label in labels):
            return float(line.rsplit(" ", 1)[1])
    return 0.0
