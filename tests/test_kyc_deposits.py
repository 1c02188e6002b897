"""KYC's deposit rule, met by the sandbox deposit and by a gateway deposit alike.

A deposit in Great Britain needs a verified identity (level 1); a deposit above the
large-deposit threshold (EUR 2,000, 200,000 cents) needs the address and source of funds
(level 2) everywhere. A refusal is KYC_REQUIRED with the level needed and the player's own,
and moves nothing: no balance, no payment at the gateway, and the world's ledger reconciles
after every test (the `world` fixture).
"""

from __future__ import annotations

from typing import Any

from clients.api import CasinoClient
from tests.conftest import unique
from tests.support.kyc import verify_address, verify_identity
from tests.support.payments import Paying, balance, get, pay, paying, player, world

__all__ = ["paying", "world"]

THRESHOLD = 200_000  # EUR 2,000 in cents: server/kyc/levels.py Jurisdiction.large_deposit


async def british(base_url: str) -> CasinoClient:
    client = CasinoClient(base_url)
    name = unique("gb_")
    await client.register(
        email=f"{name}@example.com", username=name, password="Correct-Horse-42",
        date_of_birth="1985-06-15", country="GB", currency="GBP",
    )  # fmt: skip
    await client.login(name, "Correct-Horse-42")
    return client


async def sandbox_deposit(client: CasinoClient, amount: int) -> tuple[int, dict[str, Any]]:
    """(HTTP status, error) of a refused sandbox deposit."""
    response = await client.http.post(
        "/api/sandbox/deposits",
        json={"amount": amount},
        headers={"Authorization": f"Bearer {client.token}", "Idempotency-Key": unique("d-")},
    )
    return response.status_code, response.json()["error"]


async def gateway_deposit(client: CasinoClient, amount: int) -> tuple[int, dict[str, Any]]:
    """(HTTP status, error) of a refused gateway deposit."""
    status, body = await pay(client, "deposits", amount)
    return status, body["error"]


async def test_an_unverified_british_players_sandbox_deposit_is_refused_and_nothing_moves(
    world: Paying,
) -> None:
    async with await british(world.server.base_url) as client:
        status, body = await sandbox_deposit(client, 1_000)
        assert (status, body["code"], body["required"], body["level"]) == (
            403, "KYC_REQUIRED", 1, 0,
        )  # fmt: skip
        assert await balance(client) == 0


async def test_an_unverified_british_players_gateway_deposit_is_refused_before_any_charge(
    world: Paying,
) -> None:
    async with await british(world.server.base_url) as client:
        charges = len(world.gateway.payments())
        status, body = await gateway_deposit(client, 1_000)
        assert (status, body["code"], body["required"], body["level"]) == (
            403, "KYC_REQUIRED", 1, 0,
        )  # fmt: skip
        assert len(world.gateway.payments()) == charges
        assert (await get(client, "/api/payments"))["payments"] == []
        assert await balance(client) == 0


async def test_a_british_player_with_a_verified_identity_deposits(world: Paying) -> None:
    async with await british(world.server.base_url) as client:
        await verify_identity(client)
        await client.deposit(1_000, idempotency_key=unique("d-"))
        status, body = await pay(client, "deposits", 2_000)
        assert (status, body["status"], body["balance"]) == (201, "completed", 3_000)


async def test_a_sandbox_deposit_above_the_threshold_needs_level_two(world: Paying) -> None:
    async with await player(world.server.base_url, verified=True) as client:
        status, body = await sandbox_deposit(client, THRESHOLD + 1)
        assert (status, body["code"], body["required"], body["level"]) == (
            403, "KYC_REQUIRED", 2, 1,
        )  # fmt: skip
        assert await balance(client) == 0


async def test_a_gateway_deposit_above_the_threshold_needs_level_two(world: Paying) -> None:
    async with await player(world.server.base_url, verified=True) as client:
        charges = len(world.gateway.payments())
        status, body = await gateway_deposit(client, THRESHOLD + 1)
        assert (status, body["code"], body["required"], body["level"]) == (
            403, "KYC_REQUIRED", 2, 1,
        )  # fmt: skip
        assert len(world.gateway.payments()) == charges
        assert await balance(client) == 0


async def test_a_deposit_of_exactly_the_threshold_needs_no_more_than_the_country_asks(
    world: Paying,
) -> None:
    async with await player(world.server.base_url) as client:
        await client.deposit(THRESHOLD, idempotency_key=unique("d-"))
        assert await balance(client) == THRESHOLD


async def test_a_player_verified_to_level_two_deposits_above_the_threshold(
    world: Paying,
) -> None:
    async with await player(world.server.base_url) as client:
        await verify_address(client)
        await client.deposit(THRESHOLD + 1, idempotency_key=unique("d-"))
        status, body = await pay(client, "deposits", THRESHOLD + 1)
        assert (status, body["status"], body["balance"]) == (201, "completed", 2 * THRESHOLD + 2)
