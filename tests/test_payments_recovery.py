"""What outlives a process: pending payments are completed by the start-up recovery pass,
and the sandbox gateway keeps its payments across a restart."""

from __future__ import annotations

import httpx

from clients import sandbox_gateway
from clients.api import CasinoClient
from tests.conftest import unique
from tests.test_payments_kit import (
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
    async with CasinoClient(world.server.base_url) as again:
        again.token = client.token
        found = await wait_for_status(again, body["payment_id"], "completed")
        assert (found["status"], found["error_code"]) == ("completed", None)
        assert await balance(again) == 750
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
