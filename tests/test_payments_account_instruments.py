"""An e-wallet account id and a bank account's IBAN are instruments with an identity, as a
card is: the sandbox gateway tokenises each with a stable fingerprint, saved with the
payment method, so the fraud monitor links players paying from one. Against a real server,
the real sandbox gateway, redis-server and SQLite."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from clients.api import CasinoClient
from tests.conftest import unique
from tests.support.kyc import STAFF_TOKEN
from tests.support.payments import Paying, client, paying, player, world

__all__ = ["client", "paying", "world"]

IBAN = "DE89 3704 0044 0532 0130 00"  # the standard examples: valid check digits
OWN_IBAN = "GB82 WEST 1234 5698 7654 32"  # no other test pays from it
STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}


async def deposit(client: CasinoClient, method: str, account: str) -> httpx.Response:
    return await client.http.post(
        "/api/payments/deposits",
        json={"amount": 2_000, "method": method, "account": account},
        headers={"Authorization": f"Bearer {client.token}", "Idempotency-Key": unique("k-")},
    )


async def instrument_alerts(world: Paying, player_id: int, settle_s: float = 0.0) -> list[Any]:
    """The player's open `shared_instrument` alerts, once the monitor raised one (or after
    `settle_s` when none is expected)."""
    deadline = time.monotonic() + (settle_s or 20.0)
    async with httpx.AsyncClient(base_url=world.server.base_url, headers=STAFF) as http:
        while True:
            reply = await http.get(
                "/api/staff/risk/alerts",
                params={"rule": "shared_instrument", "player_id": player_id},
            )
            found = list(reply.json()["alerts"])
            if found or time.monotonic() > deadline:
                return found
            await asyncio.sleep(0.1)


async def player_id(client: CasinoClient) -> int:
    return int((await client.call("GET", "/api/me"))["player_id"])


async def test_two_players_paying_from_one_iban_are_linked(world: Paying) -> None:
    async with (
        await player(world.server.base_url, verified=True) as first,
        await player(world.server.base_url, verified=True) as second,
    ):
        assert (await deposit(first, "bank_transfer", IBAN)).status_code == 202
        # The same account typed another way: one fingerprint.
        reply = await deposit(second, "bank_transfer", IBAN.replace(" ", "").lower())
        assert reply.status_code == 202, reply.text
        ids = [await player_id(first), await player_id(second)]
        (alert,) = await instrument_alerts(world, ids[1])
    assert (alert["evidence"]["type"], alert["evidence"]["label"]) == (
        "bank_transfer", "Bank account ending 3000",
    )  # fmt: skip
    assert alert["evidence"]["accounts"] == sorted(ids)


async def test_two_players_paying_from_one_e_wallet_account_are_linked(world: Paying) -> None:
    async with (
        await player(world.server.base_url, verified=True) as first,
        await player(world.server.base_url, verified=True) as second,
    ):
        assert (await deposit(first, "ewallet", "Sam@Wallet.example")).status_code == 202
        assert (await deposit(second, "ewallet", "sam@wallet.example")).status_code == 202
        ids = sorted([await player_id(first), await player_id(second)])
        (alert,) = await instrument_alerts(world, await player_id(second))
    assert alert["evidence"]["accounts"] == ids
    assert alert["evidence"]["label"] == "E-wallet ending mple"


async def test_a_player_paying_twice_from_their_own_iban_links_nobody(
    world: Paying, client: CasinoClient
) -> None:
    assert (await deposit(client, "bank_transfer", OWN_IBAN)).status_code == 202
    assert (await deposit(client, "bank_transfer", OWN_IBAN)).status_code == 202
    assert await instrument_alerts(world, await player_id(client), settle_s=1.5) == []


async def test_an_iban_with_a_mistyped_digit_is_refused_and_saves_nothing(
    world: Paying, client: CasinoClient
) -> None:
    reply = await deposit(client, "bank_transfer", IBAN.replace("0130 00", "0130 01"))
    assert reply.status_code == 422, reply.text
    assert reply.json()["error"]["code"] == "INVALID_PAYMENT_METHOD"
    assert "check digits" in reply.json()["error"]["message"]
    assert (await client.call("GET", "/api/payments/methods"))["methods"] == []
