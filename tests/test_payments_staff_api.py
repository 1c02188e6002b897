"""The staff HTTP API for payments (`/api/staff/payments/...`, bearer CASINO_STAFF_TOKEN),
against the real server and the real sandbox gateway: a player's disputes and what they owe,
a dispute's evidence, a refund of a deposit; each refused without the token, moving nothing.
The ledger reconciles after each test (the world fixture checks)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from clients.api import CasinoClient
from tests.conftest import unique
from tests.support import db as test_db
from tests.support.kyc import STAFF_TOKEN
from tests.support.payment_webhooks import (
    CARD_DISPUTED,
    CARD_OK,
    Processing,
    balance,
    deposit,
    processing,
    until,
    verified,
    world,
)

__all__ = ["processing", "verified", "world"]

STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}


@pytest.fixture
async def staff(world: Processing) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=world.server.base_url, timeout=30) as http:
        yield http


def _player_id(world: Processing, payment_id: int) -> int:
    row = test_db.one(
        world.server.database_path, "SELECT player_id FROM payments WHERE id = ?", (payment_id,)
    )
    assert row is not None, payment_id
    return int(row[0])


def _audit(world: Processing, action: str) -> list[tuple[str, str, str]]:
    rows = test_db.query(
        world.server.database_path,
        "SELECT actor, subject, reason FROM audit_trail WHERE action = ? ORDER BY id",
        (action,),
    )
    return [(str(a), str(s), str(r)) for a, s, r in rows]


async def _disputes(staff: httpx.AsyncClient, player: int) -> dict[str, Any]:
    reply = await staff.get(
        "/api/staff/payments/disputes", params={"player_id": player}, headers=STAFF
    )
    assert reply.status_code == 200, reply.text
    found: dict[str, Any] = reply.json()
    return found


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/staff/payments/disputes"),
        ("POST", "/api/staff/payments/disputes/1/evidence"),
        ("POST", "/api/staff/payments/1/refund"),
    ],
)
@pytest.mark.parametrize("token", [None, "not-the-staff-token"])
async def test_every_staff_payments_route_needs_the_staff_token(
    world: Processing, staff: httpx.AsyncClient, method: str, path: str, token: str | None
) -> None:
    headers = {"Idempotency-Key": "k-1"} | (
        {} if token is None else {"Authorization": f"Bearer {token}"}
    )
    body = {"text": "x", "amount": 1} if method == "POST" else None
    reply = await staff.request(method, path, json=body, headers=headers)
    assert (reply.status_code, reply.json()["error"]["code"]) == (401, "STAFF_ONLY")


def _dispute_status(world: Processing, payment_id: int) -> str:
    row = test_db.one(
        world.server.database_path,
        "SELECT status FROM payment_disputes WHERE payment_id = ?",
        (payment_id,),
    )
    return "" if row is None else str(row[0])


async def _disputed(world: Processing, client: CasinoClient, amount: int) -> tuple[int, int]:
    """(payment id, player id) of a deposit by the dispute card, once its dispute is open."""
    status, body = await deposit(client, amount, card_number=CARD_DISPUTED)
    assert (status, body["status"]) == (201, "completed")
    await until(lambda: _dispute_status(world, body["payment_id"]) == "needs_response")
    return int(body["payment_id"]), _player_id(world, body["payment_id"])


async def test_staff_list_a_player_s_disputes_and_those_awaiting_a_response(
    world: Processing, verified: CasinoClient, staff: httpx.AsyncClient
) -> None:
    payment_id, player = await _disputed(world, verified, 4_000)
    found = await _disputes(staff, player)
    (dispute,) = found["disputes"]
    assert {k: v for k, v in dispute.items() if k not in ("dispute_id", "gateway_dispute_id")} == {
        "payment_id": payment_id, "amount": 4_000, "currency": "EUR",
        "status": "needs_response", "taken": None, "debt": None,
    }  # fmt: skip
    assert found["owed"] == {"EUR": 0}
    awaiting = (await staff.get("/api/staff/payments/disputes", headers=STAFF)).json()
    assert dispute["dispute_id"] in [d["dispute_id"] for d in awaiting["disputes"]]


async def test_losing_evidence_from_staff_charges_back_and_is_in_the_audit_trail(
    world: Processing, verified: CasinoClient, staff: httpx.AsyncClient
) -> None:
    payment_id, player = await _disputed(world, verified, 4_000)
    (dispute,) = (await _disputes(staff, player))["disputes"]
    path = f"/api/staff/payments/disputes/{dispute['dispute_id']}/evidence"
    reply = await staff.post(
        path, json={"text": "losing_evidence", "reason": "case 7"}, headers=STAFF
    )
    assert (reply.status_code, reply.json()["dispute_id"]) == (200, dispute["dispute_id"])
    await until(lambda: _dispute_status(world, payment_id) == "lost")
    await until(lambda: _disputes_taken(world, payment_id))
    after = (await _disputes(staff, player))["disputes"][0]
    assert (after["status"], after["taken"], after["debt"]) == ("lost", 4_000, 0)
    assert await balance(verified) == 0
    assert ("staff:automation", f"player:{player}", "case 7") in _audit(world, "dispute_evidence")
    again = await staff.post(path, json={"text": "more"}, headers=STAFF)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "EVIDENCE_REFUSED")


def _disputes_taken(world: Processing, payment_id: int) -> bool:
    row = test_db.one(
        world.server.database_path,
        "SELECT taken FROM payment_disputes WHERE payment_id = ?",
        (payment_id,),
    )
    return row is not None and row[0] is not None


async def test_evidence_for_a_dispute_that_does_not_exist_is_not_found(
    world: Processing, staff: httpx.AsyncClient
) -> None:
    reply = await staff.post(
        "/api/staff/payments/disputes/999999/evidence", json={"text": "x"}, headers=STAFF
    )
    assert (reply.status_code, reply.json()["error"]["code"]) == (404, "NOT_FOUND")


async def _refund(
    staff: httpx.AsyncClient, payment_id: int, amount: int, key: str
) -> httpx.Response:
    return await staff.post(
        f"/api/staff/payments/{payment_id}/refund",
        json={"amount": amount, "reason": "goodwill"},
        headers={**STAFF, "Idempotency-Key": key},
    )


async def test_a_staff_refund_over_http_returns_part_of_a_deposit_once_per_key(
    world: Processing, verified: CasinoClient, staff: httpx.AsyncClient
) -> None:
    _, body = await deposit(verified, 5_000, card_number=CARD_OK)
    key = unique("refund-")
    reply = await _refund(staff, body["payment_id"], 2_000, key)
    assert reply.status_code == 201, reply.text
    refund = reply.json()
    assert (refund["kind"], refund["status"], refund["amount"], refund["balance"]) == (
        "refund", "completed", 2_000, 3_000,
    )  # fmt: skip
    again = await _refund(staff, body["payment_id"], 2_000, key)
    assert (again.status_code, again.json()["replayed"], again.json()["balance"]) == (
        200, True, 3_000,
    )  # fmt: skip
    assert await balance(verified) == 3_000
    player = _player_id(world, body["payment_id"])
    assert _audit(world, "refund").count(("staff:automation", f"player:{player}", "goodwill")) == 1


async def test_a_staff_refund_past_what_the_deposit_has_left_is_refused_and_moves_nothing(
    world: Processing, verified: CasinoClient, staff: httpx.AsyncClient
) -> None:
    _, body = await deposit(verified, 1_000, card_number=CARD_OK)
    reply = await _refund(staff, body["payment_id"], 1_001, unique("refund-"))
    assert (reply.status_code, reply.json()["error"]["code"]) == (422, "INVALID_AMOUNT")
    assert await balance(verified) == 1_000
