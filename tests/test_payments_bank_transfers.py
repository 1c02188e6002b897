"""Bank transfers both ways through the real sandbox gateway: a payout stays with the bank
until it settles, and the player may cancel it until then; and the per-method limits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from clients.api import CasinoClient
from tests.support.payment_webhooks import (
    CARD_OK,
    Processing,
    balance,
    deposit,
    gateway_key,
    payment,
    processing,
    settled,
    verified,
    withdraw,
    world,
)

__all__ = ["processing", "verified", "world"]


@pytest.fixture
async def client(verified: CasinoClient) -> AsyncIterator[CasinoClient]:
    """Verified to KYC level 1: these players withdraw."""
    yield verified


async def _banked(world: Processing, client: CasinoClient, amount: int) -> int:
    """A settled bank transfer deposit; the saved bank method's id."""
    _, body = await deposit(client, amount, method="bank_transfer")
    world.gateway.admin(f"/admin/settle/{gateway_key(world, body['payment_id'])}", {})
    assert (await settled(client, body["payment_id"]))["status"] == "completed"
    return int(body["method_id"])


async def test_a_withdrawal_to_the_bank_stays_pending_until_it_settles(
    world: Processing, client: CasinoClient
) -> None:
    bank = await _banked(world, client, 5_000)
    status, body = await withdraw(client, 2_000, method_id=bank)
    assert (status, body["status"], body["gateway_status"], body["balance"]) == (
        202, "pending", "processing", 3_000,
    )  # fmt: skip
    world.gateway.admin(f"/admin/settle/{gateway_key(world, body['payment_id'])}", {})
    assert (await settled(client, body["payment_id"]))["status"] == "completed"
    assert await balance(client) == 3_000


async def test_the_player_cancels_a_withdrawal_still_with_the_bank_and_gets_it_back(
    world: Processing, client: CasinoClient
) -> None:
    bank = await _banked(world, client, 5_000)
    _, body = await withdraw(client, 2_000, method_id=bank)
    cancelled = await client.call("POST", f"/api/payments/{body['payment_id']}/cancel")
    assert (cancelled["status"], cancelled["decline_code"]) == ("declined", "cancelled")
    assert await balance(client) == 5_000


async def test_a_paid_withdrawal_cannot_be_cancelled(
    world: Processing, client: CasinoClient
) -> None:
    _, card = await deposit(client, 1_000, card_number=CARD_OK)
    _, body = await withdraw(client, 400, method_id=card["method_id"])
    assert body["status"] == "completed"
    response = await client.http.post(
        f"/api/payments/{body['payment_id']}/cancel",
        headers={"Authorization": f"Bearer {client.token}"},
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "CANCEL_NOT_ALLOWED")
    assert (await payment(client, body["payment_id"]))["status"] == "completed"
    assert await balance(client) == 600


async def test_a_deposit_past_its_methods_configured_maximum_is_refused_before_the_gateway(
    world: Processing, client: CasinoClient
) -> None:
    before = len(world.gateway.webhooks())
    status, body = await deposit(client, 5_001, method="ewallet")
    assert (status, body["error"]["code"], body["error"]["minimum"], body["error"]["maximum"]) == (
        422, "INVALID_AMOUNT", 100, 5_000,
    )  # fmt: skip
    assert (await client.call("GET", "/api/payments"))["payments"] == []
    assert len(world.gateway.webhooks()) == before
