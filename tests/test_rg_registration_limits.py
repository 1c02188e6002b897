"""Deposit limits offered at registration (`limits` in POST /api/players): applied at once,
in force before the first deposit, and a bad one registers nothing."""

from __future__ import annotations

from typing import Any

import pytest

from clients.api import ApiFailure, CasinoClient
from tests.conftest import STRONG_PASSWORD, ServerProcess, unique


def form(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "email": f"{name}@example.com", "username": name, "password": STRONG_PASSWORD,
        "date_of_birth": "1985-06-15", "country": "DE", "currency": "EUR", **extra,
    }  # fmt: skip


async def registered(client: CasinoClient, **extra: Any) -> dict[str, Any]:
    name = unique("rl_")
    reply: dict[str, Any] = await client.call("POST", "/api/players", form(name, **extra))
    await client.login(name, STRONG_PASSWORD)
    return reply


async def test_limits_asked_for_at_registration_are_in_force_at_once(
    casino: ServerProcess,
) -> None:
    async with CasinoClient(casino.base_url) as client:
        reply = await registered(client, limits={"deposit_24h": 5_000, "deposit_30d": 20_000})
        state = await client.call("GET", "/api/rg")
    assert reply["limits"] == {"deposit_24h": 5_000, "deposit_30d": 20_000}
    assert state["limits"] == {
        "deposit_24h": {"kind": "deposit_24h", "value": 5_000, "pending": None},
        "deposit_30d": {"kind": "deposit_30d", "value": 20_000, "pending": None},
    }


async def test_the_first_deposit_past_a_registration_limit_is_refused(
    casino: ServerProcess,
) -> None:
    async with CasinoClient(casino.base_url) as client:
        await registered(client, limits={"deposit_24h": 5_000})
        with pytest.raises(ApiFailure) as failure:
            await client.deposit(5_001, unique("d"))
        assert (failure.value.status, failure.value.code) == (403, "DEPOSIT_LIMIT_REACHED")
        assert (await client.deposit(5_000, unique("d")))["balance"] == 5_000


async def test_registering_without_limits_sets_none(casino: ServerProcess) -> None:
    async with CasinoClient(casino.base_url) as client:
        reply = await registered(client)
        state = await client.call("GET", "/api/rg")
    assert (reply["limits"], state["limits"]) == ({}, {})


@pytest.mark.parametrize(
    "limits",
    [{"loss_24h": 100}, {"deposit_24h": 0}, {"deposit_7d": "50.00"}, [5_000], "5000"],
)
async def test_a_bad_limit_is_refused_and_registers_nothing(
    casino: ServerProcess, limits: object
) -> None:
    name = unique("rl_")
    async with CasinoClient(casino.base_url) as client:
        with pytest.raises(ApiFailure) as failure:
            await client.call("POST", "/api/players", form(name, limits=limits))
        assert (failure.value.status, failure.value.code) == (422, "VALIDATION_FAILED")
        with pytest.raises(ApiFailure) as no_account:
            await client.login(name, STRONG_PASSWORD)
        assert no_account.value.code == "INVALID_CREDENTIALS"
