"""Webhooks from the real sandbox gateway: a deposit is credited exactly once whatever
arrives, in whatever order; an unsigned, stale or forged webhook moves nothing."""

from __future__ import annotations

import time
from typing import Any

from clients.api import CasinoClient
from clients.sandbox_webhooks import sign
from tests.support.payment_webhooks import (
    CARD_3DS,
    NEXT_SECRET,
    SECRET,
    Processing,
    balance,
    client,
    complete_challenge,
    deposit,
    gateway_key,
    payment,
    processing,
    settled,
    signed_event,
    until,
    world,
)

__all__ = ["client", "processing", "world"]


async def _waiting_3ds(client: CasinoClient, amount: int) -> dict[str, Any]:
    status, body = await deposit(client, amount, card_number=CARD_3DS)
    assert (status, body["gateway_status"]) == (202, "requires_action")
    return body


def _succeeded(world: Processing, body: dict[str, Any]) -> dict[str, Any]:
    """What the gateway would say once the challenge passed (for a webhook made by hand)."""
    return {
        "key": gateway_key(world, int(str(body["payment_id"]))), "kind": "deposit",
        "amount": body["amount"], "currency": "EUR", "status": "approved",
        "reference": "gw_forged", "decline_code": None,
    }  # fmt: skip


async def test_a_forged_webhook_is_refused_and_moves_nothing(
    world: Processing, client: CasinoClient
) -> None:
    body = await _waiting_3ds(client, 5_000)
    raw, header = signed_event("payment.succeeded", _succeeded(world, body), secret="whsec_guess")
    response = world.post_webhook(raw, header)
    assert (response.status_code, response.json()["error"]["code"]) == (
        400, "WEBHOOK_SIGNATURE_INVALID",
    )  # fmt: skip
    assert (await payment(client, int(body["payment_id"])))["status"] == "pending"
    assert await balance(client) == 0
    assert "webhook refused from" in world.server.log()
    complete_challenge(world, str(body["action_url"]), outcome="fail")  # leave it final


async def test_an_unsigned_webhook_is_refused_and_moves_nothing(
    world: Processing, client: CasinoClient
) -> None:
    body = await _waiting_3ds(client, 5_000)
    raw, _ = signed_event("payment.succeeded", _succeeded(world, body))
    assert world.post_webhook(raw, None).status_code == 400
    assert await balance(client) == 0
    complete_challenge(world, str(body["action_url"]), outcome="fail")


async def test_a_webhook_signed_more_than_300_seconds_ago_is_refused_as_a_replay(
    world: Processing, client: CasinoClient
) -> None:
    body = await _waiting_3ds(client, 5_000)
    raw, header = signed_event(
        "payment.succeeded", _succeeded(world, body), at=int(time.time()) - 301
    )
    assert world.post_webhook(raw, header).status_code == 400
    assert await balance(client) == 0
    complete_challenge(world, str(body["action_url"]), outcome="fail")


async def test_during_a_rotation_the_next_secret_is_accepted_too(
    world: Processing, client: CasinoClient
) -> None:
    world.gateway.admin("/admin/webhooks", {"secrets": [NEXT_SECRET]})
    body = await _waiting_3ds(client, 1_200)
    complete_challenge(world, str(body["action_url"]))
    assert (await settled(client, int(body["payment_id"])))["status"] == "completed"
    assert await balance(client) == 1_200


async def test_a_header_with_the_retired_and_the_current_signature_is_accepted(
    world: Processing,
) -> None:
    raw, _ = signed_event("payment.noop", {})
    header = sign(raw, ["whsec_retired", SECRET])
    assert header.count("v1=") == 2
    assert world.post_webhook(raw, header).status_code == 200


async def test_a_refused_webhook_is_retried_with_backoff_until_acknowledged(
    world: Processing, client: CasinoClient
) -> None:
    world.gateway.admin("/admin/webhooks", {"secrets": ["whsec_retired"]})
    body = await _waiting_3ds(client, 800)
    complete_challenge(world, str(body["action_url"]))
    await until(lambda: any(w["attempts"] >= 3 for w in world.gateway.webhooks()))
    assert await balance(client) == 0  # nothing moved while the signature was refused
    world.gateway.admin("/admin/webhooks", {"secrets": [SECRET]})
    assert (await settled(client, int(body["payment_id"])))["status"] == "completed"
    assert await balance(client) == 800


async def test_every_webhook_delivered_twice_credits_the_deposit_once(
    world: Processing, client: CasinoClient
) -> None:
    world.gateway.admin("/admin/webhooks", {"mode": "duplicate"})
    body = await _waiting_3ds(client, 2_000)
    complete_challenge(world, str(body["action_url"]))
    assert (await settled(client, int(body["payment_id"])))["status"] == "completed"
    await until(lambda: all(w["delivered"] for w in world.gateway.webhooks()))
    assert max(w["deliveries"] for w in world.gateway.webhooks()) == 2
    assert await balance(client) == 2_000


async def test_webhooks_delivered_newest_first_leave_the_deposit_completed_once(
    world: Processing, client: CasinoClient
) -> None:
    world.gateway.admin("/admin/webhooks", {"mode": "hold"})
    body = await _waiting_3ds(client, 3_300)
    complete_challenge(world, str(body["action_url"]))
    key = gateway_key(world, int(body["payment_id"]))
    mine = [w for w in world.gateway.webhooks() if w["event"]["data"].get("key") == key]
    assert [w["event"]["type"] for w in mine] == ["payment.requires_action", "payment.succeeded"]
    world.gateway.admin("/admin/webhooks", {"mode": "reverse"})  # succeeded arrives first
    await until(lambda: all(w["delivered"] for w in world.gateway.webhooks()))
    done = await payment(client, int(body["payment_id"]))
    assert (done["status"], done["gateway_status"]) == ("completed", "requires_action")
    assert await balance(client) == 3_300


async def test_an_old_event_replayed_with_a_fresh_signature_changes_nothing(
    world: Processing, client: CasinoClient
) -> None:
    body = await _waiting_3ds(client, 700)
    complete_challenge(world, str(body["action_url"]))
    assert (await settled(client, int(body["payment_id"])))["status"] == "completed"
    raw, header = signed_event("payment.succeeded", _succeeded(world, body))
    assert world.post_webhook(raw, header).status_code == 200
    assert await balance(client) == 700


async def test_webhooks_sent_while_the_server_was_down_credit_once_after_it_restarts(
    world: Processing, client: CasinoClient
) -> None:
    body = await _waiting_3ds(client, 6_000)
    world.server.process.kill()  # a crash: SIGKILL, whatever it was doing
    world.server.process.wait()
    complete_challenge(world, str(body["action_url"]))  # its webhook finds no server
    key = gateway_key(world, int(body["payment_id"]))
    await until(
        lambda: any(
            w["attempts"] >= 2 and w["event"]["data"].get("key") == key
            for w in world.gateway.webhooks()
        )
    )
    world.restart_server()
    async with CasinoClient(world.server.base_url) as again:
        again.token = client.token
        assert (await settled(again, int(body["payment_id"])))["status"] == "completed"
        assert await balance(again) == 6_000


async def test_under_chaotic_delivery_every_deposit_is_credited_exactly_once(
    world: Processing, client: CasinoClient
) -> None:
    from tests.support.payment_webhooks import CARD_OK

    world.gateway.admin("/admin/webhooks", {"mode": "chaos"})
    waiting = [await _waiting_3ds(client, 100 * n) for n in (1, 2, 3, 4)]
    for body in waiting:
        complete_challenge(world, str(body["action_url"]))
    for n in (5, 6, 7):
        assert (await deposit(client, 100 * n, card_number=CARD_OK))[1]["status"] == "completed"
    for body in waiting:
        assert (await settled(client, int(body["payment_id"])))["status"] == "completed"
    await until(lambda: all(w["delivered"] for w in world.gateway.webhooks()))
    assert await balance(client) == 100 * sum(range(1, 8))
