"""Four eyes on manual balance adjustments (server/staff/four_eyes.py): one staff member
proposes, another approves, the proposer never approves their own; an approved adjustment
moves the player's cash once, through money's Lua script and the ledger (the operator's
house:adjustments:CUR), and the ledger reconciles after each test."""

from __future__ import annotations

import httpx
import pytest

from clients.api import CasinoClient
from server.events import stream
from server.events.catalogue import BalanceAdjusted
from server.storage.redis_client import connect as connect_redis
from server.storage.slots import shard
from tests.conftest import ServerProcess, new_player, settled_report, unique
from tests.support import db as test_db
from tests.support.kyc import STAFF_TOKEN
from tests.support.staff import add_staff, bearer, login


@pytest.fixture(scope="module")
def finance(casino: ServerProcess) -> tuple[str, str]:
    """Two finance staff members' sessions: (proposer, approver)."""
    first, second = (add_staff(casino.database_path, "finance") for _ in range(2))
    return login(casino.base_url, first), login(casino.base_url, second)


def _propose(
    server: ServerProcess, token: str, player_id: int, amount: int, key: str | None = None
) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/api/staff/adjustments",
        json={"player_id": player_id, "amount": amount, "reason": "goodwill for outage"},
        headers={**bearer(token), "Idempotency-Key": key or unique("adj-")},
    )


def _decide(server: ServerProcess, token: str, proposal_id: int, decision: str) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/api/staff/proposals/{proposal_id}/{decision}",
        json={"reason": "checked the ticket"},
        headers=bearer(token),
    )


def _get(server: ServerProcess, token: str, proposal_id: int) -> httpx.Response:
    return httpx.get(f"{server.base_url}/api/staff/proposals/{proposal_id}", headers=bearer(token))


async def _player(server: ServerProcess, deposit: int) -> tuple[CasinoClient, int]:
    client, player = await new_player(server.base_url, deposit=deposit)
    return client, int(str(player["player_id"]))


async def _balance(client: CasinoClient) -> int:
    return int((await client.call("GET", "/api/wallet"))["balance"])


async def test_a_proposal_moves_nothing_until_another_staff_member_approves_it(
    casino: ServerProcess, finance: tuple[str, str]
) -> None:
    client, player_id = await _player(casino, 10_000)
    async with client:
        proposed = _propose(casino, finance[0], player_id, 2_500)
        assert (proposed.status_code, proposed.json()["status"]) == (201, "pending")
        assert await _balance(client) == 10_000
        approved = _decide(casino, finance[1], proposed.json()["proposal_id"], "approve")
        assert approved.json()["status"] == "approved"
        assert approved.json()["applied_at"] is not None
        assert await _balance(client) == 12_500


async def test_an_approved_adjustment_is_an_event_and_a_push_to_the_players_sessions(
    casino: ServerProcess, finance: tuple[str, str]
) -> None:
    client, player_id = await _player(casino, 10_000)
    async with client, client.socket() as sock:
        assert client.token is not None
        await sock.hello(client.token)
        proposal_id = _propose(casino, finance[0], player_id, 1_500).json()["proposal_id"]
        _decide(casino, finance[1], proposal_id, "approve")
        pushed = await sock.next_push()
    assert pushed == {
        "type": "balance_changed", "balance": 11_500, "currency": "EUR", "reason": "adjustment",
    }  # fmt: skip
    redis = connect_redis(casino.redis.url)
    try:
        entries = await stream.replay(redis, shard(player_id), count=100_000)
    finally:
        await redis.aclose()
    adjusted = [e.event for e in entries if isinstance(e.event, BalanceAdjusted)]
    assert [(e.player_id, e.adjustment_id, e.amount, e.balance) for e in adjusted] == [
        (player_id, proposal_id, 1_500, 11_500)
    ]


async def test_the_proposer_cannot_approve_their_own_proposal(
    casino: ServerProcess, finance: tuple[str, str]
) -> None:
    client, player_id = await _player(casino, 10_000)
    async with client:
        proposal_id = _propose(casino, finance[0], player_id, 2_500).json()["proposal_id"]
        own = _decide(casino, finance[0], proposal_id, "approve")
        assert (own.status_code, own.json()["error"]["code"]) == (409, "FOUR_EYES_REQUIRED")
        assert await _balance(client) == 10_000


async def test_the_automation_key_cannot_approve_its_own_proposal_either(
    casino: ServerProcess,
) -> None:
    client, player_id = await _player(casino, 0)
    async with client:
        pass
    proposal_id = _propose(casino, STAFF_TOKEN, player_id, 100).json()["proposal_id"]
    own = _decide(casino, STAFF_TOKEN, proposal_id, "approve")
    assert (own.status_code, own.json()["error"]["code"]) == (409, "FOUR_EYES_REQUIRED")


async def test_a_debit_takes_cash_back_and_is_on_the_ledger_against_the_house_account(
    casino: ServerProcess, finance: tuple[str, str]
) -> None:
    client, player_id = await _player(casino, 10_000)
    async with client:
        proposal_id = _propose(casino, finance[0], player_id, -4_000).json()["proposal_id"]
        _decide(casino, finance[1], proposal_id, "approve")
        assert await _balance(client) == 6_000
    await settled_report(casino)  # the flusher has written the journal
    transfers = test_db.query(
        casino.database_path,
        "SELECT d.code, c.code, t.amount, t.kind FROM ledger_transfers t"
        " JOIN ledger_accounts d ON d.id = t.debit_account_id"
        " JOIN ledger_accounts c ON c.id = t.credit_account_id"
        " WHERE t.idempotency_key = ?",
        (f"adjustment:{proposal_id}",),
    )
    assert transfers == [
        (f"player:{player_id}:cash:EUR", "house:adjustments:EUR", 4_000, "adjustment")
    ]


async def test_a_debit_the_cash_does_not_cover_fails_and_moves_nothing(
    casino: ServerProcess, finance: tuple[str, str]
) -> None:
    client, player_id = await _player(casino, 1_000)
    async with client:
        proposal_id = _propose(casino, finance[0], player_id, -1_001).json()["proposal_id"]
        refused = _decide(casino, finance[1], proposal_id, "approve")
        after = _get(casino, finance[0], proposal_id)
        assert (refused.status_code, refused.json()["error"]["code"]) == (
            409, "INSUFFICIENT_FUNDS",
        )  # fmt: skip
        assert after.json()["status"] == "failed"
        assert await _balance(client) == 1_000


async def test_a_rejected_proposal_cannot_be_approved(
    casino: ServerProcess, finance: tuple[str, str]
) -> None:
    client, player_id = await _player(casino, 1_000)
    async with client:
        proposal_id = _propose(casino, finance[0], player_id, 500).json()["proposal_id"]
        rejected = _decide(casino, finance[1], proposal_id, "reject")
        late = _decide(casino, finance[1], proposal_id, "approve")
        assert rejected.json()["status"] == "rejected"
        assert (late.status_code, late.json()["error"]["code"]) == (409, "PROPOSAL_NOT_PENDING")
        assert await _balance(client) == 1_000


async def test_the_same_key_answers_the_same_proposal_and_other_terms_conflict(
    casino: ServerProcess, finance: tuple[str, str]
) -> None:
    client, player_id = await _player(casino, 0)
    async with client:
        pass
    key = unique("adj-")
    first = _propose(casino, finance[0], player_id, 700, key)
    again = _propose(casino, finance[0], player_id, 700, key)
    other = _propose(casino, finance[0], player_id, 800, key)
    assert (again.status_code, again.json()["proposal_id"]) == (200, first.json()["proposal_id"])
    assert (other.status_code, other.json()["error"]["code"]) == (409, "IDEMPOTENCY_CONFLICT")


async def test_proposal_and_approval_are_on_the_audit_trail_with_who_where_and_why(
    casino: ServerProcess,
) -> None:
    first, second = (add_staff(casino.database_path, "admin") for _ in range(2))
    client, player_id = await _player(casino, 1_000)
    async with client:
        proposal_id = _propose(casino, login(casino.base_url, first), player_id, 300).json()[
            "proposal_id"
        ]
        _decide(casino, login(casino.base_url, second), proposal_id, "approve")
    rows = test_db.query(
        casino.database_path,
        "SELECT actor, action, reason, address FROM audit_trail WHERE subject = ?"
        " AND action LIKE 'adjustment_%' ORDER BY id",
        (f"player:{player_id}",),
    )
    assert rows == [
        (f"staff:{first.name}", "adjustment_proposed", "goodwill for outage", "127.0.0.1"),
        (f"staff:{second.name}", "adjustment_approved", "checked the ticket", "127.0.0.1"),
    ]


def test_a_zero_amount_is_refused(casino: ServerProcess, finance: tuple[str, str]) -> None:
    reply = _propose(casino, finance[0], 1, 0)
    assert (reply.status_code, reply.json()["error"]["code"]) == (422, "INVALID_AMOUNT")
