"""Withdrawals through the real sandbox gateway: locked, then paid out or returned, exactly once."""

from __future__ import annotations

import asyncio

from clients.api import CasinoClient
from games.classic_slot import INFO as CLASSIC
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
from tests.support.provider import FRUITS, SANDBOX, Table, launch, sandbox_client

__all__ = ["client", "paying", "world"]


async def funded(client: CasinoClient, amount: int) -> None:
    status, body = await pay(client, "deposits", amount)
    assert (status, body["status"]) == (201, "completed")


async def test_an_approved_withdrawal_pays_out_and_leaves_the_rest(
    world: Paying, client: CasinoClient
) -> None:
    await funded(client, 5_000)
    status, body = await pay(client, "withdrawals", 1_800)
    assert status == 201
    assert (body["kind"], body["status"], body["amount"], body["balance"]) == (
        "withdrawal", "completed", 1_800, 3_200,
    )  # fmt: skip
    assert await balance(client) == 3_200


async def test_a_withdrawal_above_the_spendable_balance_is_refused_and_moves_nothing(
    world: Paying, client: CasinoClient
) -> None:
    await funded(client, 1_000)
    payouts = [p for p in world.gateway.payments() if p["kind"] == "payout"]
    status, body = await pay(client, "withdrawals", 1_001)
    assert (status, body["error"]["code"], body["error"]["balance"]) == (
        409, "INSUFFICIENT_FUNDS", 1_000,
    )  # fmt: skip
    assert await balance(client) == 1_000
    assert [p for p in world.gateway.payments() if p["kind"] == "payout"] == payouts


async def test_locked_funds_cannot_be_staked_by_a_spin_or_a_provider_bet(
    world: Paying, client: CasinoClient
) -> None:
    await funded(client, 1_000)
    world.gateway.fault("dead")  # the withdrawal stays pending with its money locked
    status, body = await pay(client, "withdrawals", 900)
    assert (status, body["status"], body["balance"]) == (202, "pending", 100)
    async with client.socket() as sock:
        assert client.token is not None
        await sock.hello(client.token)
        refused = await sock.spin(CLASSIC.id, 300)
    assert (refused["type"], refused["code"], refused["balance"]) == (
        "error", "INSUFFICIENT_FUNDS", 100,
    )  # fmt: skip
    provider = sandbox_client(world.server)
    session = await provider.open_session(await launch(client, SANDBOX, FRUITS))
    table = Table(provider, client, session)
    try:
        bet = await table.bet(300)
    finally:
        await table.provider.aclose()
    assert (bet["status"], bet["balance"]) == ("RS_ERROR_NOT_ENOUGH_MONEY", 100)
    world.gateway.fault("none")
    assert (await wait_for_status(client, body["payment_id"], "completed"))["status"] == (
        "completed"
    )


async def test_a_declined_withdrawal_returns_the_money(world: Paying, client: CasinoClient) -> None:
    await funded(client, 2_000)
    world.gateway.fault("decline")
    status, body = await pay(client, "withdrawals", 1_500)
    assert (status, body["status"], body["error_code"], body["balance"]) == (
        201, "declined", "PAYMENT_DECLINED", 2_000,
    )  # fmt: skip
    assert await balance(client) == 2_000


async def test_a_dead_gateway_keeps_the_money_locked_until_recovery_pays_it_out_once(
    world: Paying, client: CasinoClient
) -> None:
    await funded(client, 3_000)
    world.gateway.fault("dead")
    status, body = await pay(client, "withdrawals", 1_037)
    assert (status, body["status"], body["error_code"], body["balance"]) == (
        202, "pending", "GATEWAY_UNAVAILABLE", 1_963,
    )  # fmt: skip
    world.gateway.fault("none")
    found = await wait_for_status(client, body["payment_id"], "completed")
    assert (found["status"], found["error_code"]) == ("completed", None)
    assert await balance(client) == 1_963
    payouts = [
        p for p in world.gateway.payments() if p["kind"] == "payout" and p["amount"] == 1_037
    ]
    assert [p["status"] for p in payouts] == ["approved"]
    again = await get(client, f"/api/payments/{body['payment_id']}")
    assert again["status"] == "completed"


async def test_a_lost_payout_reply_is_retried_and_pays_once(
    world: Paying, client: CasinoClient
) -> None:
    await funded(client, 1_000)
    world.gateway.fault("lose_reply", times=1)
    before = len(world.gateway.payments())
    status, body = await pay(client, "withdrawals", 600)
    assert (status, body["status"], body["balance"]) == (201, "completed", 400)
    assert len(world.gateway.payments()) == before + 1


async def test_the_same_withdrawal_key_twice_is_one_payout(
    world: Paying, client: CasinoClient
) -> None:
    await funded(client, 1_000)
    first = await pay(client, "withdrawals", 300, key="wd-1")
    second = await pay(client, "withdrawals", 300, key="wd-1")
    assert (first[0], second[0], second[1]["replayed"]) == (201, 200, True)
    assert second[1]["payment_id"] == first[1]["payment_id"]
    assert await balance(client) == 700


async def test_the_same_withdrawal_key_with_another_amount_is_refused_and_moves_nothing(
    world: Paying, client: CasinoClient
) -> None:
    await funded(client, 1_000)
    first = await pay(client, "withdrawals", 300, key="wd-terms")
    payments_after_first = len(world.gateway.payments())
    status, body = await pay(client, "withdrawals", 500, key="wd-terms")
    assert (first[0], status, body["error"]["code"]) == (201, 409, "IDEMPOTENCY_CONFLICT")
    assert await balance(client) == 700
    assert len(world.gateway.payments()) == payments_after_first
    assert (await get(client, f"/api/payments/{first[1]['payment_id']}"))["amount"] == 300


async def test_one_withdrawal_key_sent_concurrently_moves_money_once(
    world: Paying, client: CasinoClient
) -> None:
    await funded(client, 1_000)
    payments_before = len(world.gateway.payments())
    replies = await asyncio.gather(
        *(pay(client, "withdrawals", 300, key="wd-together") for _ in range(8))
    )
    assert {body["payment_id"] for _, body in replies} == {replies[0][1]["payment_id"]}
    assert {(body["status"], body["amount"]) for _, body in replies} == {("completed", 300)}
    assert sorted(status for status, _ in replies) == [200] * 7 + [201]
    assert await balance(client) == 700
    assert len(world.gateway.payments()) == payments_before + 1


async def test_concurrent_withdrawals_never_take_more_than_the_balance(
    world: Paying, client: CasinoClient
) -> None:
    await funded(client, 1_000)
    replies = await asyncio.gather(*(pay(client, "withdrawals", 300) for _ in range(8)))
    assert sorted(status for status, _ in replies) == [201] * 3 + [409] * 5
    assert await balance(client) == 100
