"""The compliance officer's HTTP API for AML, on the real server with the sandbox gateway.

A case is opened the way production opens one (EUR 3,000 deposited and straight back out
fires the module's quick cash-out rule, which holds withdrawals); staff then list it, read
it, clear or confirm it over HTTP with a reason (the decider is the caller: a logged-in
compliance officer, or the automation key), and check the audit trail.
The ledger reconciles after each test (the `client` fixture).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from clients.api import CasinoClient
from tests.support import db as test_db
from tests.support.kyc import STAFF_TOKEN
from tests.support.payments import Paying, pay
from tests.support.staff import add_staff, bearer, login
from tests.test_aml_withdrawals import (
    client,
    deposited,
    open_cases,
    player_id,
    screening,
    set_kyc_level,
)

__all__ = ["client", "screening"]

STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}


async def held(world: Paying, client: CasinoClient) -> int:
    """The id of the quick cash-out case that now holds this player's withdrawals."""
    me = await player_id(client)
    set_kyc_level(world, me, 2)
    await deposited(client, 300_000)
    status, body = await pay(client, "withdrawals", 290_000)
    assert (status, body["error"]["code"]) == (409, "AML_REVIEW_REQUIRED")
    [(case_id, _, _)] = open_cases(world, me)
    return case_id


def staff(world: Paying) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=world.server.base_url, headers=STAFF)


def audit_entries(world: Paying, action: str) -> list[tuple[str, str, str]]:
    rows = test_db.query(
        world.server.database_path,
        "SELECT actor, subject, reason FROM audit_trail WHERE action = ? ORDER BY id",
        (action,),
    )
    return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/staff/aml/cases"),
        ("GET", "/api/staff/aml/cases/1"),
        ("POST", "/api/staff/aml/cases/1/clear"),
        ("GET", "/api/staff/audit/verify"),
    ],
)
async def test_every_aml_staff_route_without_the_staff_token_is_staff_only(
    screening: Paying, method: str, path: str
) -> None:
    async with httpx.AsyncClient(base_url=screening.server.base_url) as anyone:
        reply = await anyone.request(method, path, json={"staff": "ana", "reason": "x"})
    assert (reply.status_code, reply.json()["error"]["code"]) == (401, "STAFF_ONLY")


async def test_an_open_case_is_listed_and_read_with_its_details(
    screening: Paying, client: CasinoClient
) -> None:
    case_id = await held(screening, client)
    me = await player_id(client)
    async with staff(screening) as http:
        listed = (await http.get("/api/staff/aml/cases")).json()["cases"]
        one = (await http.get(f"/api/staff/aml/cases/{case_id}")).json()
    assert case_id in [case["case_id"] for case in listed]
    assert all(case["status"] == "open" for case in listed)
    assert (one["player_id"], one["rule"], one["action"], one["status"], one["closed_by"]) == (
        me, "quick_cashout", "hold_withdrawals", "open", None,
    )  # fmt: skip
    assert isinstance(one["details"], dict) and one["details"]


async def test_clearing_a_case_lifts_its_hold_and_names_the_staff_member_in_the_trail(
    screening: Paying, client: CasinoClient
) -> None:
    case_id = await held(screening, client)
    me = await player_id(client)
    ana = add_staff(screening.server.database_path, "compliance")
    token = login(screening.server.base_url, ana)
    async with httpx.AsyncClient(base_url=screening.server.base_url, headers=bearer(token)) as http:
        reply = await http.post(f"/api/staff/aml/cases/{case_id}/clear", json={"reason": "payslip"})
        cleared = (await http.get("/api/staff/aml/cases", params={"status": "cleared"})).json()
    body = reply.json()
    assert (reply.status_code, body["status"], body["closed_by"], body["closed_reason"]) == (
        200, "cleared", ana.name, "payslip",
    )  # fmt: skip
    assert case_id in [case["case_id"] for case in cleared["cases"]]
    assert (f"staff:{ana.name}", f"player:{me}", "payslip") in audit_entries(
        screening, "aml_case_cleared"
    )
    status, paid = await pay(client, "withdrawals", 290_000)
    assert (status, paid["status"], paid["balance"]) == (201, "completed", 10_000)


async def test_confirming_a_case_closes_the_account(
    screening: Paying, client: CasinoClient
) -> None:
    case_id = await held(screening, client)
    me = await player_id(client)
    async with staff(screening) as http:
        reply = await http.post(
            f"/api/staff/aml/cases/{case_id}/confirm",
            json={"reason": "no source of funds"},
        )
    assert (reply.status_code, reply.json()["status"]) == (200, "confirmed")
    [(account,)] = test_db.query(
        screening.server.database_path, "SELECT status FROM players WHERE id = ?", (me,)
    )
    assert account == "disabled"
    assert ("staff:automation", f"player:{me}", "no source of funds") in audit_entries(
        screening, "aml_case_confirmed"
    )


async def test_deciding_a_closed_case_again_is_aml_case_closed_and_changes_nothing(
    screening: Paying, client: CasinoClient
) -> None:
    case_id = await held(screening, client)
    async with staff(screening) as http:
        first = await http.post(f"/api/staff/aml/cases/{case_id}/clear", json={"reason": "payslip"})
        again = await http.post(f"/api/staff/aml/cases/{case_id}/confirm", json={"reason": "late"})
        after = (await http.get(f"/api/staff/aml/cases/{case_id}")).json()
    assert first.status_code == 200
    assert (again.status_code, again.json()["error"]["code"]) == (409, "AML_CASE_CLOSED")
    assert (after["status"], after["closed_by"], after["closed_reason"]) == (
        "cleared", "automation", "payslip",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reason": "a" * 501}, "reason"),
    ],
)
async def test_a_decision_without_a_reason_is_refused_and_the_case_stays_open(
    screening: Paying, client: CasinoClient, body: dict[str, Any], field: str
) -> None:
    case_id = await held(screening, client)
    async with staff(screening) as http:
        reply = await http.post(f"/api/staff/aml/cases/{case_id}/clear", json=body)
        after = (await http.get(f"/api/staff/aml/cases/{case_id}")).json()
    error = reply.json()["error"]
    assert (reply.status_code, error["code"], error["field"]) == (422, "VALIDATION_FAILED", field)
    assert after["status"] == "open"


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/api/staff/aml/cases/999999999", 404, "NOT_FOUND"),
        ("GET", f"/api/staff/aml/cases/{2**64}", 404, "NOT_FOUND"),
        ("POST", "/api/staff/aml/cases/999999999/clear", 404, "NOT_FOUND"),
        ("POST", "/api/staff/aml/cases/1/forgive", 404, "NOT_FOUND"),
        ("GET", "/api/staff/aml/cases?status=pending", 422, "VALIDATION_FAILED"),
        ("GET", "/api/staff/aml/cases?limit=0", 422, "VALIDATION_FAILED"),
    ],
)
async def test_an_unknown_case_decision_or_filter_is_refused(
    screening: Paying, method: str, path: str, status: int, code: str
) -> None:
    async with staff(screening) as http:
        reply = await http.request(method, path, json={"staff": "ana", "reason": "payslip"})
    assert (reply.status_code, reply.json()["error"]["code"]) == (status, code)


async def test_the_audit_trail_verifies_with_its_entry_count_and_head(
    screening: Paying, client: CasinoClient
) -> None:
    await held(screening, client)
    [(count, head)] = test_db.query(
        screening.server.database_path,
        "SELECT COUNT(*), (SELECT hash FROM audit_trail ORDER BY id DESC LIMIT 1) FROM audit_trail",
    )
    async with staff(screening) as http:
        verdict = (await http.get("/api/staff/audit/verify")).json()
    assert verdict == {"ok": True, "entries": count, "head": head, "broken_at": None,
                       "problem": ""}  # fmt: skip
