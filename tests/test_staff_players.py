"""Player management for staff (server/staff/players_routes.py): search by id, username,
email or payment reference; one player's profile with balances, sessions, KYC, alerts and
notes; notes; suspending (a connected player is told within a second and their session ends)
and reinstating; every change on the audit trail; each behind its roles."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from clients.api import CasinoClient
from tests.conftest import STRONG_PASSWORD, ServerProcess, new_player
from tests.support import db as test_db
from tests.support.staff import add_staff, bearer, login


@pytest.fixture(scope="module")
def support(casino: ServerProcess) -> str:
    return login(casino.base_url, add_staff(casino.database_path, "support"))


@pytest.fixture(scope="module")
def compliance(casino: ServerProcess) -> str:
    return login(casino.base_url, add_staff(casino.database_path, "compliance"))


def staff_get(server: ServerProcess, token: str, path: str) -> httpx.Response:
    return httpx.get(f"{server.base_url}{path}", headers=bearer(token))


def staff_post(
    server: ServerProcess, token: str, path: str, body: dict[str, Any]
) -> httpx.Response:
    return httpx.post(f"{server.base_url}{path}", json=body, headers=bearer(token))


async def test_a_player_is_found_by_id_username_email_and_its_start(
    casino: ServerProcess, support: str
) -> None:
    client, player = await new_player(casino.base_url)
    await client.http.aclose()
    player_id, name = int(str(player["player_id"])), str(player["username"])
    for query in (str(player_id), name.upper(), f"{name}@example.com", name[:-3]):
        found = staff_get(casino, support, f"/api/staff/players?q={query}").json()["players"]
        assert player_id in [p["player_id"] for p in found], query


async def test_the_profile_shows_balances_sessions_kyc_and_notes(
    casino: ServerProcess, support: str
) -> None:
    client, player = await new_player(casino.base_url, deposit=4_200, kyc_level=1)
    await client.http.aclose()
    player_id = int(str(player["player_id"]))
    noted = staff_post(casino, support, f"/api/staff/players/{player_id}/notes",
                       {"text": "called about  a late deposit"})  # fmt: skip
    assert noted.status_code == 201
    found = staff_get(casino, support, f"/api/staff/players/{player_id}").json()
    assert found["balances"] == {"cash": 4_200, "bonus": 0, "locked": 0, "currency": "EUR"}
    assert (found["status"], found["kyc_level"], len(found["sessions"])) == ("active", 1, 1)
    assert [(n["text"], n["author"].startswith("support-")) for n in found["notes"]] == [
        ("called about a late deposit", True)
    ]


async def test_a_suspension_reaches_a_connected_player_within_a_second(
    casino: ServerProcess, compliance: str
) -> None:
    client, player = await new_player(casino.base_url, deposit=1_000)
    player_id = int(str(player["player_id"]))
    async with client, client.socket() as sock:
        assert client.token is not None
        await sock.hello(client.token)
        started = time.monotonic()
        done = staff_post(casino, compliance, f"/api/staff/players/{player_id}/suspend",
                          {"reason": "chargeback fraud under review"})  # fmt: skip
        assert done.json() == {"player_id": player_id, "status": "disabled"}
        pushed = await asyncio.wait_for(sock.next_push(), 1.0)
        assert pushed == {"type": "forced_logout", "reason": "staff"}
        assert time.monotonic() - started < 1.0
    # Login stays open (to withdraw what is left); stakes are refused until reinstated.
    async with CasinoClient(casino.base_url) as again:
        await again.login(str(player["username"]), STRONG_PASSWORD)
        async with again.socket() as sock:
            assert again.token is not None
            await sock.hello(again.token)
            assert (await sock.spin("classic-sevens", 100))["code"] == "ACCOUNT_RESTRICTED"
    back = staff_post(casino, compliance, f"/api/staff/players/{player_id}/reinstate",
                      {"reason": "review cleared"})  # fmt: skip
    assert back.json()["status"] == "active"
    async with CasinoClient(casino.base_url) as again:
        await again.login(str(player["username"]), STRONG_PASSWORD)
        async with again.socket() as sock:
            assert again.token is not None
            await sock.hello(again.token)
            assert (await sock.spin("classic-sevens", 100))["type"] == "spin"
    entries = test_db.query(
        casino.database_path,
        "SELECT action, reason FROM audit_trail WHERE subject = ? AND action LIKE 'player_%'"
        " ORDER BY id",
        (f"player:{player_id}",),
    )
    assert entries == [
        ("player_suspended", "chargeback fraud under review"),
        ("player_reinstated", "review cleared"),
    ]


async def test_support_reads_and_notes_but_may_not_suspend(
    casino: ServerProcess, support: str
) -> None:
    client, player = await new_player(casino.base_url)
    await client.http.aclose()
    refused = staff_post(casino, support, f"/api/staff/players/{player['player_id']}/suspend",
                         {"reason": "x"})  # fmt: skip
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "STAFF_ROLE_REFUSED")


@pytest.mark.parametrize(
    ("path", "code"),
    [("/api/staff/players?q=", "VALIDATION_FAILED"), ("/api/staff/players/999999999", "NOT_FOUND"),
     ("/api/staff/players/abc", "VALIDATION_FAILED")],
)  # fmt: skip
def test_bad_queries_are_refused(casino: ServerProcess, support: str, path: str, code: str) -> None:
    assert staff_get(casino, support, path).json()["error"]["code"] == code
