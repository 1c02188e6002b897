"""Card, e-wallet and bank transfer deposits through the real sandbox gateway, as processors'
test modes behave: the test card number chooses the outcome; webhooks complete them."""

from __future__ import annotations

import pytest

from clients.api import CasinoClient
from tests.support.payment_webhooks import (
    CARD_3DS,
    CARD_OK,
    Processing,
    balance,
    client,
    complete_challenge,
    deposit,
    payment,
    processing,
    settled,
    world,
)

__all__ = ["client", "processing", "world"]


async def test_the_success_card_is_credited_once_and_completed(
    world: Processing, client: CasinoClient
) -> None:
    status, body = await deposit(client, 2_500, card_number=CARD_OK)
    assert (status, body["status"], body["balance"], body["decline_code"]) == (
        201, "completed", 2_500, None,
    )  # fmt: skip
    assert await balance(client) == 2_500


@pytest.mark.parametrize(
    ("number", "decline_code"),
    [
        ("4000000000000002", "generic_decline"),
        ("4000000000009995", "insufficient_funds"),
        ("4000000000000069", "expired_card"),
    ],
)
async def test_a_declining_card_is_declined_with_its_reason_and_credits_nothing(
    world: Processing, client: CasinoClient, number: str, decline_code: str
) -> None:
    status, body = await deposit(client, 1_000, card_number=number)
    assert (status, body["status"], body["error_code"], body["decline_code"]) == (
        201, "declined", "PAYMENT_DECLINED", decline_code,
    )  # fmt: skip
    assert await balance(client) == 0


async def test_a_3ds_card_waits_for_the_challenge_then_the_webhook_credits_it(
    world: Processing, client: CasinoClient
) -> None:
    status, body = await deposit(client, 4_000, card_number=CARD_3DS)
    assert (status, body["status"], body["gateway_status"]) == (202, "pending", "requires_action")
    assert await balance(client) == 0
    complete_challenge(world, body["action_url"])
    done = await settled(client, body["payment_id"])
    assert (done["status"], done["action_url"]) == ("completed", None)
    assert await balance(client) == 4_000


async def test_a_failed_3ds_challenge_declines_the_deposit(
    world: Processing, client: CasinoClient
) -> None:
    _, body = await deposit(client, 4_000, card_number=CARD_3DS)
    complete_challenge(world, body["action_url"], outcome="fail")
    done = await settled(client, body["payment_id"])
    assert (done["status"], done["decline_code"]) == ("declined", "authentication_failed")
    assert await balance(client) == 0


async def test_a_number_that_is_no_test_card_is_refused_and_nothing_is_created(
    world: Processing, client: CasinoClient
) -> None:
    status, body = await deposit(client, 1_000, card_number="4111111111111111")
    assert (status, body["error"]["code"]) == (422, "INVALID_PAYMENT_METHOD")
    assert (await client.call("GET", "/api/payments"))["payments"] == []


async def test_a_saved_card_is_shown_by_its_last_digits_and_pays_again_by_its_id(
    world: Processing, client: CasinoClient
) -> None:
    await deposit(client, 1_000, card_number=CARD_OK)
    methods = (await client.call("GET", "/api/payments/methods"))["methods"]
    assert [(m["type"], m["label"]) for m in methods] == [("card", "Card ending 4242")]
    status, body = await deposit(client, 500, method_id=methods[0]["method_id"])
    assert (status, body["status"], body["method_id"]) == (
        201,
        "completed",
        methods[0]["method_id"],
    )
    assert await balance(client) == 1_500


async def test_an_ewallet_deposit_completes_once_the_player_approves_it(
    world: Processing, client: CasinoClient
) -> None:
    status, body = await deposit(client, 3_000, method="ewallet")
    assert (status, body["gateway_status"]) == (202, "requires_action")
    complete_challenge(world, body["action_url"])
    assert (await settled(client, body["payment_id"]))["status"] == "completed"
    assert await balance(client) == 3_000


async def test_a_bank_transfer_stays_processing_until_it_settles(
    world: Processing, client: CasinoClient
) -> None:
    from tests.support.payment_webhooks import gateway_key

    status, body = await deposit(client, 9_000, method="bank_transfer")
    assert (status, body["status"], body["gateway_status"]) == (202, "pending", "processing")
    assert (await payment(client, body["payment_id"]))["status"] == "pending"
    world.gateway.admin(f"/admin/settle/{gateway_key(world, body['payment_id'])}", {})
    assert (await settled(client, body["payment_id"]))["status"] == "completed"
    assert await balance(client) == 9_000


async def test_a_card_charge_whose_reply_is_lost_is_retried_with_its_key_and_credited_once(
    world: Processing, client: CasinoClient
) -> None:
    world.gateway.fault("lose_reply", times=1)
    status, body = await deposit(client, 1_700, card_number=CARD_OK)
    assert (status, body["status"]) == (201, "completed")
    assert await balance(client) == 1_700


async def test_a_card_deposit_the_dead_gateway_never_saw_is_charged_by_recovery_after_a_restart(
    world: Processing, client: CasinoClient
) -> None:
    from tests.support.payment_webhooks import gateway_key

    await deposit(client, 100, card_number=CARD_OK)  # the card is saved while the gateway lives
    method_id = (await client.call("GET", "/api/payments/methods"))["methods"][0]["method_id"]
    world.gateway.fault("dead")
    status, body = await deposit(client, 2_200, method_id=method_id)
    assert (status, body["status"], body["error_code"]) == (202, "pending", "GATEWAY_UNAVAILABLE")
    world.gateway.fault("none")
    world.restart_server()  # its start-up recovery pass charges the saved card by the same key
    async with CasinoClient(world.server.base_url) as again:
        again.token = client.token
        assert (await settled(again, body["payment_id"]))["status"] == "completed"
        assert await balance(again) == 2_300
    assert world.gateway.record(gateway_key(world, body["payment_id"]))["status"] == "approved"


async def test_a_card_deposit_sent_again_with_its_key_is_replayed_not_charged_again(
    world: Processing, client: CasinoClient
) -> None:
    body = {"amount": 1_300, "card_number": CARD_OK}
    headers = {"Authorization": f"Bearer {client.token}", "Idempotency-Key": "same-card-key"}
    first = await client.http.post("/api/payments/deposits", json=body, headers=headers)
    again = await client.http.post("/api/payments/deposits", json=body, headers=headers)
    assert (first.status_code, again.status_code, again.json()["replayed"]) == (201, 200, True)
    assert again.json()["payment_id"] == first.json()["payment_id"]
    assert len((await client.call("GET", "/api/payments/methods"))["methods"]) == 1
    assert await balance(client) == 1_300
