"""Against a real server: what a player does reaches the event stream as exactly the events
it should, written with the change and relayed by the server's own relay."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis.asyncio as aioredis

from clients.api import ApiFailure, CasinoClient
from server.events import stream
from server.events.catalogue import (
    DepositCredited,
    Deposited,
    Event,
    LoggedInV2,
    Registered,
    RiskAlerted,
)
from server.storage.redis_client import connect as connect_redis
from server.storage.slots import shard
from tests.conftest import STRONG_PASSWORD, ServerProcess, unique


async def events_of(client: aioredis.Redis, player_id: int, expected: int) -> list[Event]:
    """The player's events in stream order, once `expected` have arrived (bounded wait)."""
    deadline = time.monotonic() + 15
    while True:
        found = [
            entry.event
            for entry in await stream.replay(client, shard(player_id), count=100_000)
            # The risk monitor's alerts depend on what else the shared server saw (a failed
            # login here counts towards password spraying from 127.0.0.1); its tests own them.
            if entry.event.player_id == player_id and not isinstance(entry.event, RiskAlerted)
        ]
        if len(found) >= expected or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


async def test_registering_logging_in_and_depositing_emit_exactly_their_events(
    casino: ServerProcess,
) -> None:
    name = unique("ev_")
    async with CasinoClient(casino.base_url) as client:
        client.http.headers["User-Agent"] = "events-test/1.0"
        player = await client.register(
            email=f"{name}@example.com", username=name, password=STRONG_PASSWORD,
            date_of_birth="1985-06-15", country="DE", currency="EUR",
        )  # fmt: skip
        with pytest.raises(ApiFailure) as refused:
            await client.login(name, "wrong-password-1")
        assert refused.value.code == "INVALID_CREDENTIALS"
        await client.login(name, STRONG_PASSWORD)
        await client.deposit(2_500, idempotency_key=unique("dep-"))
        deposit_key = unique("dep-")
        await client.deposit(1_000, idempotency_key=deposit_key)
        await client.deposit(1_000, idempotency_key=deposit_key)  # a replay: no second event
    player_id = int(player["player_id"])
    redis = connect_redis(casino.redis.url)
    try:
        every = await events_of(redis, player_id, 7)
        await asyncio.sleep(0.5)  # anything more the relay had would have arrived by now
        every = await events_of(redis, player_id, 7)
    finally:
        await redis.aclose()
    # The credit script appends its event at once; the outbox's rows follow via the relay.
    credited = [event for event in every if isinstance(event, DepositCredited)]
    assert [(event.amount, event.balance) for event in credited] == [(2_500, 2_500), (1_000, 3_500)]
    found = [event for event in every if not isinstance(event, DepositCredited)]
    assert [type(event) for event in found] == [
        Registered, LoggedInV2, LoggedInV2, Deposited, Deposited,
    ]  # fmt: skip
    registered, failed, ok, first, second = found
    assert isinstance(registered, Registered)
    assert (registered.id, registered.country, registered.currency, registered.address) == (
        f"registered:{player_id}", "DE", "EUR", "127.0.0.1",
    )  # fmt: skip
    assert isinstance(failed, LoggedInV2) and isinstance(ok, LoggedInV2)
    assert (failed.outcome, failed.address, failed.user_agent) == (
        "failed", "127.0.0.1", "events-test/1.0",
    )  # fmt: skip
    assert (ok.outcome, ok.address, ok.user_agent) == ("ok", "127.0.0.1", "events-test/1.0")
    assert failed.id != ok.id
    assert isinstance(first, Deposited) and isinstance(second, Deposited)
    assert (first.amount, first.currency, first.gateway) == (2_500, "EUR", "sandbox")
    assert (second.amount, second.id) == (1_000, f"deposit:{second.deposit_id}")
    assert first.deposit_id < second.deposit_id
    assert first.at_ms <= second.at_ms
