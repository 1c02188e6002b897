"""Deposits through the real sandbox gateway process: credited once, whatever the gateway does."""

from __future__ import annotations

from clients.api import CasinoClient
from tests.support.payments import (
    Paying,
    balance,
    client,
    get,
    pay,
    paying,
    wait_for_status,
    world,
)

__all__ = ["client", "paying", "world"]


async def test_an_approved_deposit_is_credited_and_completed(
    world: Paying, client: CasinoClient
) -> None:
    status, body = await pay(client, "deposits", 2_500)
    assert status == 201
    assert (body["status"], body["amount"], body["balance"], body["replayed"]) == (
        "completed", 2_500, 2_500, False,
    )  # fmt: skip
    assert await balance(client) == 2_500
    assert (await get(client, f"/api/payments/{body['payment_id']}"))["status"] == "completed"


async def test_a_gateway_slower_than_the_timeout_is_retried_with_the_same_key_and_credits_once(
    world: Paying, client: CasinoClient
) -> None:
    world.gateway.fault("slow", times=1, delay_ms=1_500)
    before = len(world.gateway.payments())
    status, body = await pay(client, "deposits", 700)
    assert (status, body["status"], body["balance"]) == (201, "completed", 700)
    assert len(world.gateway.payments()) == before + 1  # the late first attempt's charge
    assert await balance(client) == 700


async def test_a_lost_reply_is_retried_and_the_original_result_credits_once(
    world: Paying, client: CasinoClient
) -> None:
    world.gateway.fault("lose_reply", times=1)
    before = len(world.gateway.payments())
    status, body = await pay(client, "deposits", 900)
    assert (status, body["status"], body["balance"]) == (201, "completed", 900)
    assert len(world.gateway.payments()) == before + 1  # one charge, though asked twice
    assert await balance(client) == 900


async def test_a_dead_gateway_credits_nothing_and_the_deposit_is_recovered_when_it_returns(
    world: Paying, client: CasinoClient
) -> None:
    world.gateway.fault("dead")
    status, body = await pay(client, "deposits", 1_200)
    assert (status, body["status"], body["error_code"], body["balance"]) == (
        202, "pending", "GATEWAY_UNAVAILABLE", 0,
    )  # fmt: skip
    assert await balance(client) == 0
    world.gateway.fault("none")
    found = await wait_for_status(client, body["payment_id"], "completed")
    assert (found["status"], found["error_code"]) == ("completed", None)
    assert await balance(client) == 1_200


async def test_a_declined_deposit_credits_nothing(world: Paying, client: CasinoClient) -> None:
    world.gateway.fault("decline")
    status, body = await pay(client, "deposits", 300)
    assert (status, body["status"], body["error_code"]) == (201, "declined", "PAYMENT_DECLINED")
    assert await balance(client) == 0


async def test_the_same_idempotency_key_twice_is_one_payment(
    world: Paying, client: CasinoClient
) -> None:
    first = await pay(client, "deposits", 400, key="same-key")
    second = await pay(client, "deposits", 400, key="same-key")
    assert (first[0], second[0]) == (201, 200)
    assert second[1]["payment_id"] == first[1]["payment_id"]
    assert second[1]["replayed"] is True
    assert await balance(client) == 400
    listed = await get(client, "/api/payments")
    assert [p["payment_id"] for p in listed["payments"]] == [first[1]["payment_id"]]


async def test_the_same_key_with_another_amount_is_a_conflict(
    world: Paying, client: CasinoClient
) -> None:
    await pay(client, "deposits", 400, key="k1")
    status, body = await pay(client, "deposits", 401, key="k1")
    assert (status, body["error"]["code"]) == (409, "IDEMPOTENCY_CONFLICT")
    assert await balance(client) == 400
