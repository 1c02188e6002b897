"""Disputes, chargebacks, refunds and the closed loop through the real sandbox gateway and
the staff's command line, each staff action on the audit trail; the ledger reconciles after
each (the world fixture checks)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from clients.api import CasinoClient
from tests.support import db as test_db
from tests.support.payment_webhooks import (
    CARD_DISPUTED,
    CARD_OK,
    Processing,
    balance,
    deposit,
    processing,
    signed_event,
    until,
    verified,
    withdraw,
    world,
)

__all__ = ["processing", "verified", "world"]


@pytest.fixture
async def client(verified: CasinoClient) -> AsyncIterator[CasinoClient]:
    """Verified to KYC level 1: these players withdraw."""
    yield verified


def _dispute(world: Processing, payment_id: int) -> tuple[int, str, int | None, int | None]:
    row = test_db.one(
        world.server.database_path,
        "SELECT id, status, taken, debt FROM payment_disputes WHERE payment_id = ?",
        (payment_id,),
    )
    return (0, "", None, None) if row is None else (int(row[0]), str(row[1]), row[2], row[3])


def _ledger(world: Processing, code: str) -> int:
    row = test_db.one(
        world.server.database_path, "SELECT balance FROM ledger_accounts WHERE code = ?", (code,)
    )
    return 0 if row is None else int(row[0])


async def _disputed_deposit(world: Processing, client: CasinoClient, amount: int) -> int:
    """A deposit with the dispute card: completed, then disputed (needs_response)."""
    status, body = await deposit(client, amount, card_number=CARD_DISPUTED)
    assert (status, body["status"]) == (201, "completed")
    payment_id = int(body["payment_id"])
    await until(lambda: _dispute(world, payment_id)[1] == "needs_response")
    return payment_id


def _player_id(world: Processing, payment_id: int) -> int:
    row = test_db.one(
        world.server.database_path, "SELECT player_id FROM payments WHERE id = ?", (payment_id,)
    )
    assert row is not None, payment_id
    return int(row[0])


async def test_a_lost_dispute_takes_the_deposit_back_through_the_chargeback_account(
    world: Processing, client: CasinoClient
) -> None:
    payment_id = await _disputed_deposit(world, client, 5_000)
    dispute_id = _dispute(world, payment_id)[0]
    ran = world.admin_cli("evidence", str(dispute_id), "losing_evidence", "--reason", "case 1")
    assert ran.returncode == 0, ran.stderr
    await until(lambda: _dispute(world, payment_id)[1] == "lost")
    await until(lambda: _dispute(world, payment_id)[2] is not None)
    assert _dispute(world, payment_id)[1:] == ("lost", 5_000, 0)
    assert await balance(client) == 0


async def test_a_won_dispute_moves_nothing(world: Processing, client: CasinoClient) -> None:
    payment_id = await _disputed_deposit(world, client, 5_000)
    dispute_id = _dispute(world, payment_id)[0]
    ran = world.admin_cli("evidence", str(dispute_id), "winning_evidence")
    assert ran.returncode == 0, ran.stderr
    await until(lambda: _dispute(world, payment_id)[1] == "won")
    assert _dispute(world, payment_id)[1:] == ("won", None, None)
    assert await balance(client) == 5_000


async def test_a_chargeback_larger_than_the_balance_records_a_debt_and_restricts_withdrawals(
    world: Processing, client: CasinoClient
) -> None:
    payment_id = await _disputed_deposit(world, client, 5_000)
    method_id = (await client.call("GET", "/api/payments/methods"))["methods"][0]["method_id"]
    status, body = await withdraw(client, 3_000, method_id=method_id)
    assert (status, body.get("status")) == (201, "completed"), body
    dispute_id = _dispute(world, payment_id)[0]
    assert world.admin_cli("evidence", str(dispute_id), "losing_evidence").returncode == 0
    await until(lambda: _dispute(world, payment_id)[2] is not None)
    assert _dispute(world, payment_id)[1:] == ("lost", 2_000, 3_000)
    assert await balance(client) == 0  # never negative cash
    player = _player_id(world, payment_id)
    await until(lambda: _ledger(world, f"player:{player}:debt:EUR") == -3_000)
    status, body = await withdraw(client, 1, method_id=method_id)
    assert (status, body["error"]["code"], body["error"]["debt"]) == (
        400, "ACCOUNT_RESTRICTED", 3_000,
    )  # fmt: skip


async def test_a_lost_dispute_delivered_again_charges_back_once(
    world: Processing, client: CasinoClient
) -> None:
    payment_id = await _disputed_deposit(world, client, 5_000)
    dispute_id = _dispute(world, payment_id)[0]
    assert world.admin_cli("evidence", str(dispute_id), "losing_evidence").returncode == 0
    await until(lambda: _dispute(world, payment_id)[2] is not None)
    closed = [
        w["event"] for w in world.gateway.webhooks()
        if w["event"]["type"] == "dispute.closed"
        and w["event"]["data"]["payment_key"] and w["event"]["data"]["status"] == "lost"
    ]  # fmt: skip
    raw, header = signed_event("dispute.closed", closed[-1]["data"])
    assert world.post_webhook(raw, header).status_code == 200
    late, header = signed_event("dispute.updated", {**closed[-1]["data"], "status": "under_review"})
    assert world.post_webhook(late, header).status_code == 200
    assert _dispute(world, payment_id)[1:] == ("lost", 5_000, 0)


async def test_a_staff_refund_returns_part_of_a_deposit_to_its_card(
    world: Processing, client: CasinoClient
) -> None:
    _, body = await deposit(client, 5_000, card_number=CARD_OK)
    ran = world.admin_cli("refund", str(body["payment_id"]), "2000", "refund-1", "--reason", "x")
    assert ran.returncode == 0, ran.stderr
    assert "completed, balance 3000" in ran.stdout
    again = world.admin_cli("refund", str(body["payment_id"]), "2000", "refund-1")
    assert "completed, balance 3000" in again.stdout  # the same key refunds nothing more
    assert await balance(client) == 3_000


async def test_a_refund_past_what_the_deposit_has_left_is_refused_and_moves_nothing(
    world: Processing, client: CasinoClient
) -> None:
    _, body = await deposit(client, 1_000, card_number=CARD_OK)
    assert world.admin_cli("refund", str(body["payment_id"]), "600", "refund-2").returncode == 0
    ran = world.admin_cli("refund", str(body["payment_id"]), "401", "refund-3")
    assert (ran.returncode, ran.stderr.splitlines()[-1]) == (
        1, "error: INVALID_AMOUNT: at most 400 of this deposit may still be refunded",
    )  # fmt: skip
    assert await balance(client) == 400


async def test_a_withdrawal_goes_to_the_depositing_methods_first(
    world: Processing, client: CasinoClient
) -> None:
    _, card = await deposit(client, 3_000, card_number=CARD_OK)
    _, wallet = await deposit(client, 2_000, method="ewallet")
    from tests.support.payment_webhooks import complete_challenge, settled

    complete_challenge(world, wallet["action_url"])
    assert (await settled(client, wallet["payment_id"]))["status"] == "completed"
    status, body = await withdraw(client, 2_500, method_id=wallet["method_id"])
    assert (status, body["error"]["code"]) == (409, "CLOSED_LOOP")
    assert body["error"]["methods"] == [
        {"method_id": card["method_id"], "amount": 3_000},
        {"method_id": wallet["method_id"], "amount": 2_000},
    ]
    assert (await withdraw(client, 3_000, method_id=card["method_id"]))[0] == 201
    assert (await withdraw(client, 2_000, method_id=wallet["method_id"]))[0] == 201
    assert await balance(client) == 0


async def test_a_chargeback_the_server_crashed_before_recording_is_recorded_on_restart(
    world: Processing, client: CasinoClient
) -> None:
    from server.money.chargebacks import Chargebacks
    from server.storage.redis_client import connect

    payment_id = await _disputed_deposit(world, client, 5_000)
    dispute_id, player = _dispute(world, payment_id)[0], _player_id(world, payment_id)
    # What a crash leaves between the chargeback script and its row: the dispute lost in the
    # database, the cash taken in Redis (and journalled), `taken` not yet written.
    world.server.process.kill()
    world.server.process.wait()
    test_db.execute(
        world.server.database_path,
        "UPDATE payment_disputes SET status = 'lost' WHERE id = ?",
        (dispute_id,),
    )
    redis = connect(world.redis.url)
    try:
        reply = await Chargebacks(redis).charge(dispute_id, player, "EUR", 5_000, "sandbox_gateway")
        assert (reply.status, reply.integer("taken")) == ("OK", 5_000)
    finally:
        await redis.aclose()
    world.restart_server()  # its start-up recovery pass records what the script took
    await until(lambda: _dispute(world, payment_id)[2] is not None)
    assert _dispute(world, payment_id)[1:] == ("lost", 5_000, 0)
    # The gateway's own word arriving afterwards changes nothing.
    world.gateway.admin(f"/admin/disputes/{_gateway_dispute(world, dispute_id)}/close", {})
    await until(lambda: all(w["delivered"] for w in world.gateway.webhooks()))
    assert _dispute(world, payment_id)[1:] == ("lost", 5_000, 0)


def _gateway_dispute(world: Processing, dispute_id: int) -> str:
    row = test_db.one(
        world.server.database_path,
        "SELECT gateway_dispute_id FROM payment_disputes WHERE id = ?",
        (dispute_id,),
    )
    assert row is not None, dispute_id
    return str(row[0])


def _repaid_transfers(world: Processing, player: int) -> list[int]:
    rows = test_db.query(
        world.server.database_path,
        "SELECT t.amount FROM ledger_transfers t JOIN ledger_accounts a"
        " ON a.id = t.credit_account_id WHERE t.kind = 'debt_repaid' AND a.code = ?"
        " ORDER BY t.id",
        (f"player:{player}:debt:EUR",),
    )
    return [int(amount) for (amount,) in rows]


async def test_later_deposits_repay_a_chargeback_debt_first_and_then_lift_the_restriction(
    world: Processing, client: CasinoClient
) -> None:
    payment_id = await _disputed_deposit(world, client, 5_000)
    first_card = (await client.call("GET", "/api/payments/methods"))["methods"][0]["method_id"]
    assert (await withdraw(client, 3_000, method_id=first_card))[0] == 201
    dispute_id = _dispute(world, payment_id)[0]
    assert world.admin_cli("evidence", str(dispute_id), "losing_evidence").returncode == 0
    player = _player_id(world, payment_id)
    await until(lambda: _ledger(world, f"player:{player}:debt:EUR") == -3_000)

    # 1,000 all goes to the debt: nothing reaches the cash, 2,000 is still owed.
    status, body = await deposit(client, 1_000, card_number=CARD_OK)
    assert (status, body["status"], body["balance"]) == (201, "completed", 0)
    assert _ledger(world, f"player:{player}:debt:EUR") == -2_000
    status, body = await withdraw(client, 1, method_id=first_card)
    assert (status, body["error"]["code"], body["error"]["debt"]) == (
        400, "ACCOUNT_RESTRICTED", 2_000,
    )  # fmt: skip

    # 5,000 repays the last 2,000; 3,000 reaches the cash and withdrawals are allowed again.
    status, body = await deposit(client, 5_000, card_number=CARD_OK)
    assert (status, body["status"], body["balance"]) == (201, "completed", 3_000)
    assert _ledger(world, f"player:{player}:debt:EUR") == 0
    assert _ledger(world, f"player:{player}:cash:EUR") == 3_000
    assert _repaid_transfers(world, player) == [1_000, 2_000]
    status, body = await withdraw(client, 1_000, method_id=body["method_id"])
    assert (status, body["status"], body["balance"]) == (201, "completed", 2_000)
    ran = world.admin_cli("disputes", str(player))
    assert ran.stdout.splitlines()[-1] == "owed 0 EUR"


async def test_a_deposit_without_a_debt_repays_nothing(
    world: Processing, client: CasinoClient
) -> None:
    status, body = await deposit(client, 2_500, card_number=CARD_OK)
    assert (status, body["balance"]) == (201, 2_500)
    assert _repaid_transfers(world, _player_id(world, body["payment_id"])) == []
