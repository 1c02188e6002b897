"""What outlives a process or a lost answer: pending payments are completed (or declined) by
the recovery pass, a payout whose every reply was lost is paid once, the sandbox gateway keeps
its payments across a restart and refuses a key reused with other terms."""

from __future__ import annotations

import httpx
import pytest

from clients import sandbox_gateway
from clients.api import CasinoClient
from server.payments.gateway import GatewayClient, GatewayConflict, GatewayPolicy
from tests.conftest import unique
from tests.support.payments import (
    Paying,
    balance,
    client,
    pay,
    paying,
    wait_for_status,
    world,
)

__all__ = ["client", "paying", "world"]

NO_PERIODIC_PASS = {"CASINO_PAYMENT_RECOVERY_SECONDS": "3600"}


async def test_a_pending_withdrawal_is_paid_out_once_by_the_start_up_pass(
    world: Paying, client: CasinoClient
) -> None:
    status, _ = await pay(client, "deposits", 2_000)
    assert status == 201
    world.gateway.fault("dead")
    status, body = await pay(client, "withdrawals", 1_250)
    assert (status, body["status"]) == (202, "pending")
    world.gateway.fault("none")
    world.restart_server(NO_PERIODIC_PASS)
    try:
        async with CasinoClient(world.server.base_url) as again:
            again.token = client.token
            found = await wait_for_status(again, body["payment_id"], "completed")
            assert (found["status"], found["error_code"]) == ("completed", None)
            assert await balance(again) == 750
    finally:
        world.restart_server()  # the later tests rely on the periodic pass
    payouts = [p for p in world.gateway.payments() if p["kind"] == "payout"]
    assert [(p["amount"], p["status"]) for p in payouts] == [(1_250, "approved")]


async def test_the_gateway_keeps_its_payments_across_a_restart(world: Paying) -> None:
    terms = {"key": unique("gw-"), "kind": "payout", "amount": 321, "currency": "EUR"}
    terms["account"] = "player:1"
    key = {"Authorization": f"Bearer {sandbox_gateway.DEFAULT_KEY}"}  # the server's default
    async with httpx.AsyncClient(base_url=world.gateway.url, headers=key) as http:
        first = (await http.post("/payments", json=terms)).json()
        world.gateway.stop()
        world.gateway.start()
        same = await http.post("/payments", json=terms)
        other = await http.post("/payments", json={**terms, "amount": 322})
        status = await http.get(f"/payments/{terms['key']}")
    assert (same.status_code, same.json()) == (200, first)
    assert first["status"] == "approved"
    assert other.status_code == 409
    assert status.json() == first


async def test_a_withdrawal_decline_found_by_the_recovery_pass_returns_the_money(
    world: Paying, client: CasinoClient
) -> None:
    status, _ = await pay(client, "deposits", 2_000)
    assert status == 201
    world.gateway.fault("dead")
    status, body = await pay(client, "withdrawals", 1_200)
    assert (status, body["status"], body["balance"]) == (202, "pending", 800)
    world.gateway.fault("decline")  # the periodic pass asks again, and is declined
    found = await wait_for_status(client, body["payment_id"], "declined")
    assert (found["status"], found["error_code"]) == ("declined", "PAYMENT_DECLINED")
    assert await balance(client) == 2_000
    mine = [p for p in world.gateway.payments() if p["kind"] == "payout" and p["amount"] == 1_200]
    assert [p["status"] for p in mine] == ["declined"]


async def test_a_deposit_decline_found_by_the_recovery_pass_credits_nothing(
    world: Paying, client: CasinoClient
) -> None:
    world.gateway.fault("dead")
    status, body = await pay(client, "deposits", 1_700)
    assert (status, body["status"]) == (202, "pending")
    world.gateway.fault("decline")
    found = await wait_for_status(client, body["payment_id"], "declined")
    assert (found["status"], found["error_code"]) == ("declined", "PAYMENT_DECLINED")
    assert await balance(client) == 0


async def test_a_payout_whose_every_reply_was_lost_is_paid_once_and_a_retry_gets_it(
    world: Paying, client: CasinoClient
) -> None:
    """The gateway paid on the first attempt but no reply came back on any: the server
    cannot know, keeps the money locked, and the recovery pass learns the outcome; the
    player's retries with the same key all get that one withdrawal."""
    status, _ = await pay(client, "deposits", 1_000)
    assert status == 201
    world.gateway.fault("lose_reply")  # every reply of every attempt
    status, body = await pay(client, "withdrawals", 650, key="wd-lost")
    assert (status, body["status"], body["error_code"], body["balance"]) == (
        202, "pending", "GATEWAY_UNAVAILABLE", 350,
    )  # fmt: skip
    retried = await pay(client, "withdrawals", 650, key="wd-lost")
    assert (retried[0], retried[1]["payment_id"]) == (200, body["payment_id"])
    world.gateway.fault("none")
    found = await wait_for_status(client, body["payment_id"], "completed")
    assert found["status"] == "completed"
    again = await pay(client, "withdrawals", 650, key="wd-lost")
    assert (again[0], again[1]["payment_id"], again[1]["status"]) == (
        200, body["payment_id"], "completed",
    )  # fmt: skip
    assert await balance(client) == 350
    mine = [p for p in world.gateway.payments() if p["kind"] == "payout" and p["amount"] == 650]
    assert [p["status"] for p in mine] == ["approved"]


async def test_the_gateway_refuses_a_key_reused_with_other_terms_and_the_client_says_so(
    world: Paying,
) -> None:
    """The gateway's 409 reaches the server's gateway client as GatewayConflict (never taken
    for a result), and the gateway keeps the first terms only."""
    policy = GatewayPolicy(timeout_s=2.0, retries=2, backoff_s=0.05)
    gateway = GatewayClient("sandbox", world.gateway.url, policy, sandbox_gateway.DEFAULT_KEY)
    key = unique("gw409-")
    try:
        first = await gateway.submit(key, "payout", 410, "EUR", "player:1")
        with pytest.raises(GatewayConflict):
            await gateway.submit(key, "payout", 411, "EUR", "player:1")
        with pytest.raises(GatewayConflict):
            await gateway.submit(key, "deposit", 410, "EUR", "player:1")
        assert await gateway.status(key) == first
    finally:
        await gateway.close()
    mine = [p for p in world.gateway.payments() if p["key"] == key]
    assert [(p["kind"], p["amount"]) for p in mine] == [("payout", 410)]
