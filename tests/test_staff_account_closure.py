"""Closing an account (POST /api/staff/players/{id}/close, server/staff/closure.py): the
player's sessions end (a connected socket is told at once) and no login, stake or deposit
follows; bonus money is forfeited to the operator's bonus cost; the cash is paid out as a
withdrawal to the last deposit method, or, with none, moved to the closed-accounts
liability; a pending withdrawal is left to finish; a retry with the same key moves nothing
twice. Against a real server, the real sandbox gateway (bank transfers stay with the bank
until settled) and real Redis; the ledger reconciles after every test (the `world` fixture).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from clients.api import ApiFailure, CasinoClient
from protocol.errors import ErrorCode
from server.accounts import closed as account_closed
from server.money.deposit_rules import DepositAttempt
from server.storage.database import Database
from tests.conftest import unique
from tests.support import db as test_db
from tests.support.kyc import STAFF_TOKEN
from tests.support.payment_webhooks import (
    Processing,
    deposit,
    gateway_key,
    processing,
    settled,
    verified,
    withdraw,
    world,
)
from tests.support.payments import player
from tests.support.processes import until
from tests.support.provider import seat
from tests.support.staff import add_staff, bearer, login

__all__ = ["processing", "verified", "world"]

PASSWORD = "Correct-Horse-42"  # tests.support.payments.player's


@pytest.fixture(scope="module")
def compliance(processing: Processing) -> str:
    return login(
        processing.server.base_url, add_staff(processing.server.database_path, "compliance")
    )


def close(
    world: Processing, token: str, player_id: int, key: str, reason: str = "asked"
) -> httpx.Response:
    return httpx.post(
        f"{world.server.base_url}/api/staff/players/{player_id}/close",
        json={"reason": reason, "idempotency_key": key}, headers=bearer(token), timeout=30,
    )  # fmt: skip


def query(world: Processing, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    return test_db.query(world.server.database_path, sql, params)


async def player_id_of(client: CasinoClient) -> int:
    return int((await client.call("GET", "/api/me"))["player_id"])


async def banked(world: Processing, client: CasinoClient, amount: int) -> int:
    """A settled bank transfer deposit; the saved bank method's id."""
    _, body = await deposit(client, amount, method="bank_transfer")
    world.gateway.admin(f"/admin/settle/{gateway_key(world, body['payment_id'])}", {})
    assert (await settled(client, body["payment_id"]))["status"] == "completed"
    return int(body["method_id"])


async def no_deposit_bonus(world: Processing, client: CasinoClient, amount: int) -> None:
    async with CasinoClient(world.server.base_url) as staff:
        found = await staff.call(
            "POST", "/api/staff/bonus/definitions",
            {"name": unique("promo "), "currency": "EUR", "kind": "no_deposit", "trigger": "manual",
             "amount": amount,
             "wagering": 30},
            headers=bearer(STAFF_TOKEN),
        )  # fmt: skip
    await client.call("POST", "/api/bonus/claim", {"definition_id": int(found["id"])})


async def settle_at_bank(world: Processing, payment_id: int) -> str:
    world.gateway.admin(f"/admin/settle/{gateway_key(world, payment_id)}", {})
    deadline = time.monotonic() + 20
    while True:
        status = str(query(world, "SELECT status FROM payments WHERE id = ?", (payment_id,))[0][0])
        if status != "pending" or time.monotonic() > deadline:
            return status
        await asyncio.sleep(0.1)


async def test_cash_goes_to_the_last_deposit_method_bonus_is_forfeited_a_pending_withdrawal_stays(
    world: Processing, verified: CasinoClient, compliance: str
) -> None:
    bank = await banked(world, verified, 5_000)
    _, pending = await withdraw(verified, 1_000, method_id=bank)
    assert (pending["status"], pending["balance"]) == ("pending", 4_000)
    await no_deposit_bonus(world, verified, 2_000)
    pid = await player_id_of(verified)
    done = close(world, compliance, pid, unique("close-"), "asked to close for good")
    assert done.status_code == 200, done.text
    reply = done.json()
    payout = reply.pop("payment_id")
    assert reply == {
        "player_id": pid, "status": "closed", "currency": "EUR", "payout": "withdrawal",
        "cash": 4_000, "payment_status": "pending", "bonus_forfeited": 2_000, "locked": 1_000,
        "refused": None,
    }  # fmt: skip
    assert query(world, "SELECT kind, amount, method_id FROM payments WHERE id = ?", (payout,)) == [
        ("withdrawal", 4_000, bank)
    ]
    assert await settle_at_bank(world, payout) == "completed"
    assert await settle_at_bank(world, int(pending["payment_id"])) == "completed"
    # The payment row says completed at once; the ledger follows when the flusher has
    # written the release of the locked funds from the journal.
    emptied = [("player_bonus", 0), ("player_cash", 0), ("withdrawal_locked", 0)]
    until(
        lambda: query(
            world,
            "SELECT kind, balance FROM ledger_accounts WHERE player_id = ?"
            " AND kind IN ('player_cash', 'player_bonus', 'withdrawal_locked') ORDER BY kind",
            (pid,),
        ),
        lambda balances: balances == emptied,
        "the ledger's player and locked accounts emptied",
        timeout_s=20,
    )
    assert query(
        world,
        "SELECT status, outcome FROM bonus_awards WHERE player_id = ?", (pid,),
    ) == [("ended", "forfeited")]  # fmt: skip


async def test_with_no_deposit_method_the_cash_moves_to_the_closed_accounts_liability(
    world: Processing, compliance: str
) -> None:
    async with await player(world.server.base_url) as client:
        await client.deposit(3_250, idempotency_key=unique("dep-"))  # sandbox play money
        pid = await player_id_of(client)
    before = query(
        world, "SELECT COALESCE(SUM(balance), 0) FROM ledger_accounts"
        " WHERE code = 'house:closed_accounts_payable:EUR'",
    )[0][0]  # fmt: skip
    reply = close(world, compliance, pid, unique("close-")).json()
    assert (reply["payout"], reply["cash"], reply["payment_id"], reply["refused"]) == (
        "payable", 3_250, None, "NO_DEPOSIT_METHOD",
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while not query(world, "SELECT 1 FROM closed_account_payables WHERE player_id = ?", (pid,)):
        assert time.monotonic() < deadline, "the journal never wrote the move"
        await asyncio.sleep(0.1)
    assert query(
        world, "SELECT amount FROM closed_account_payables WHERE player_id = ?", (pid,)
    ) == [(3_250,)]
    after = query(
        world,
        "SELECT balance FROM ledger_accounts WHERE code = 'house:closed_accounts_payable:EUR'",
    )[0][0]
    assert after - before == 3_250
    async with httpx.AsyncClient(base_url=world.server.base_url) as http:
        reply = await http.get(
            "/api/staff/reports/liabilities", headers={"Authorization": f"Bearer {STAFF_TOKEN}"}
        )
    liabilities = reply.json()["rows"]
    (eur,) = [row for row in liabilities if row["currency"] == "EUR"]
    assert (eur["closed_accounts"], eur["balanced"]) == (after, True)


async def test_a_retry_with_the_same_key_answers_the_same_and_moves_nothing_twice(
    world: Processing, verified: CasinoClient, compliance: str
) -> None:
    bank = await banked(world, verified, 2_500)
    pid = await player_id_of(verified)
    key = unique("close-")
    first = close(world, compliance, pid, key).json()
    again = close(world, compliance, pid, key).json()
    assert again == first and first["cash"] == 2_500
    assert query(
        world, "SELECT amount, method_id FROM payments WHERE player_id = ? AND kind = 'withdrawal'",
        (pid,),
    ) == [(2_500, bank)]  # fmt: skip
    assert await settle_at_bank(world, int(first["payment_id"])) == "completed"
    entries = query(
        world, "SELECT reason FROM audit_trail WHERE subject = ? AND action = 'player_closed'",
        (f"player:{pid}",),
    )  # fmt: skip
    assert entries == [("asked",)]
    events = query(
        world, "SELECT count(*) FROM event_outbox WHERE player_id = ? AND kind = 'account_closed'",
        (pid,),
    )  # fmt: skip
    assert events == [(1,)]


async def test_a_key_used_for_another_account_is_a_conflict(
    world: Processing, compliance: str
) -> None:
    async with (
        await player(world.server.base_url) as one,
        await player(world.server.base_url) as two,
    ):
        first, second = await player_id_of(one), await player_id_of(two)
    key = unique("close-")
    assert close(world, compliance, first, key).status_code == 200
    refused = close(world, compliance, second, key)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "IDEMPOTENCY_CONFLICT")
    assert query(world, "SELECT status FROM players WHERE id = ?", (second,)) == [("active",)]


async def test_a_connected_player_is_told_at_once_and_cannot_log_in_stake_or_deposit(
    world: Processing, compliance: str
) -> None:
    client = await player(world.server.base_url)
    name = str((await client.call("GET", "/api/me"))["username"])
    pid = await player_id_of(client)
    async with client, client.socket() as sock:
        assert client.token is not None
        await sock.hello(client.token)
        assert close(world, compliance, pid, unique("close-")).status_code == 200
        assert await asyncio.wait_for(sock.next_push(), 1.0) == {
            "type": "forced_logout", "reason": "staff",
        }  # fmt: skip
        with pytest.raises(ApiFailure) as gone:
            await client.call("GET", "/api/wallet")
        assert gone.value.code == "INVALID_TOKEN"
    async with CasinoClient(world.server.base_url) as again:
        with pytest.raises(ApiFailure) as refused:
            await again.login(name, PASSWORD)
    assert refused.value.code == "ACCOUNT_CLOSED"


async def test_closing_ends_the_players_provider_game_session(
    world: Processing, compliance: str
) -> None:
    table = await seat(world.server, deposit=600)
    try:
        assert (await table.bet(100))["status"] == "RS_OK"
        reply = close(world, compliance, int(table.user), unique("close-")).json()
        refused = await table.bet(100)
    finally:
        await table.provider.aclose()
        await table.player.http.aclose()
    assert (reply["payout"], reply["cash"]) == ("payable", 500)
    assert refused["status"] == "RS_ERROR_TOKEN_EXPIRED"


async def test_the_deposit_rule_refuses_a_closed_account(
    world: Processing, compliance: str
) -> None:
    async with await player(world.server.base_url) as client:
        pid = await player_id_of(client)
    close(world, compliance, pid, unique("close-"))
    db = Database(world.server.database_path)
    await db.open()
    try:
        async with db.transaction() as tx:
            attempt = DepositAttempt(pid, "EUR", 1_000, "payment:test", 0)
            refusal = await account_closed.refuse_deposit(tx, attempt)
    finally:
        await db.close()
    assert refusal is not None and refusal.code is ErrorCode.ACCOUNT_CLOSED


async def test_a_closed_account_shows_in_the_profile_and_the_search_and_stays_closed(
    world: Processing, compliance: str
) -> None:
    async with await player(world.server.base_url) as client:
        pid = await player_id_of(client)
        name = str((await client.call("GET", "/api/me"))["username"])
    close(world, compliance, pid, unique("close-"))
    async with httpx.AsyncClient(
        base_url=world.server.base_url, headers=bearer(compliance)
    ) as staff:
        profile = (await staff.get(f"/api/staff/players/{pid}")).json()
        found = (await staff.get("/api/staff/players", params={"q": name})).json()
        reopened = await staff.post(f"/api/staff/players/{pid}/reinstate", json={"reason": "oops"})
    assert (profile["status"], [p["status"] for p in found["players"]]) == ("closed", ["closed"])
    assert (reopened.status_code, reopened.json()["error"]["code"]) == (403, "ACCOUNT_CLOSED")


@pytest.mark.parametrize("role", ["support", "risk", "finance"])
def test_only_compliance_and_admin_may_close(world: Processing, role: str) -> None:
    token = login(world.server.base_url, add_staff(world.server.database_path, role))
    refused = close(world, token, 1, unique("close-"))
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "STAFF_ROLE_REFUSED")


async def test_an_unknown_player_is_not_found(world: Processing, compliance: str) -> None:
    refused = close(world, compliance, 999_999_999, unique("close-"))
    assert (refused.status_code, refused.json()["error"]["code"]) == (404, "NOT_FOUND")


@pytest.mark.parametrize(
    "body", [{"reason": "x"}, {"reason": "", "idempotency_key": "k"},
             {"reason": "x", "idempotency_key": "k" * 101}, {"reason": "x", "idempotency_key": 7}],
)  # fmt: skip
async def test_a_bad_body_is_refused_and_closes_nothing(
    world: Processing, compliance: str, body: dict[str, Any]
) -> None:
    async with await player(world.server.base_url) as client:
        pid = await player_id_of(client)
    async with httpx.AsyncClient(
        base_url=world.server.base_url, headers=bearer(compliance)
    ) as staff:
        reply = await staff.post(f"/api/staff/players/{pid}/close", json=body)
    assert (reply.status_code, reply.json()["error"]["code"]) == (422, "VALIDATION_FAILED")
    assert query(world, "SELECT status FROM players WHERE id = ?", (pid,)) == [("active",)]
