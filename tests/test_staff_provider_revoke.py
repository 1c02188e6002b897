"""Staff end a player's provider game sessions (POST /api/staff/players/{id}/provider-sessions/
revoke): the provider's next call with one of that player's tokens is refused as an expired
session, another player's session plays on, and the action is on the audit trail and the
event stream; against the shared server over real HTTP, with the sandbox provider's signed
client."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import ServerProcess
from tests.support import db as test_db
from tests.support.provider import Table, seat
from tests.support.staff import add_staff, bearer, login


@pytest.fixture(scope="module")
def support(casino: ServerProcess) -> str:
    return login(casino.base_url, add_staff(casino.database_path, "support"))


@pytest.fixture
async def two_tables(casino: ServerProcess) -> AsyncIterator[tuple[Table, Table]]:
    first, second = await seat(casino), await seat(casino)
    yield first, second
    for table in (first, second):
        await table.provider.aclose()
        await table.player.http.aclose()


def revoke(server: ServerProcess, token: str, player: str, reason: str) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/api/staff/players/{player}/provider-sessions/revoke",
        json={"reason": reason}, headers=bearer(token),
    )  # fmt: skip


async def test_a_revoked_session_is_refused_at_the_providers_next_call(
    casino: ServerProcess, support: str, two_tables: tuple[Table, Table]
) -> None:
    table, _ = two_tables
    assert (await table.bet(100))["status"] == "RS_OK"
    done = revoke(casino, support, table.user, "token seen on a forum")
    assert (done.status_code, done.json()) == (200, {"revoked": 1})
    refused = await table.bet(100)
    assert refused["status"] == "RS_ERROR_TOKEN_EXPIRED"
    assert (await table.provider.balance(table.token, table.user))["status"] == (
        "RS_ERROR_TOKEN_EXPIRED"
    )
    assert await table.balance() == 9_900  # the refused bet took nothing


async def test_another_players_session_still_plays(
    casino: ServerProcess, support: str, two_tables: tuple[Table, Table]
) -> None:
    table, other = two_tables
    assert revoke(casino, support, table.user, "account takeover").json() == {"revoked": 1}
    bet = await other.bet(250)
    assert (bet["status"], bet["balance"]) == ("RS_OK", 9_750)


async def test_the_revocation_is_on_the_audit_trail_and_the_event_stream(
    casino: ServerProcess, support: str, two_tables: tuple[Table, Table]
) -> None:
    table, _ = two_tables
    revoke(casino, support, table.user, "token  seen on a forum")
    entry = test_db.one(
        casino.database_path,
        "SELECT actor, action, reason, address, details FROM audit_trail WHERE subject = ?"
        " ORDER BY id DESC LIMIT 1",
        (f"player:{table.user}",),
    )
    event = test_db.one(
        casino.database_path,
        "SELECT payload FROM event_outbox WHERE player_id = ?"
        " AND kind = 'provider_sessions_revoked'",
        (int(table.user),),
    )
    assert entry is not None and event is not None
    actor, action, reason, address, details = entry
    assert (actor.startswith("staff:support-"), action, reason, address) == (
        True, "provider_sessions_revoked", "token seen on a forum", "127.0.0.1",
    )  # fmt: skip
    assert json.loads(details) == {"revoked": 1}
    payload = json.loads(event[0])
    assert (payload["revoked"], payload["by"], payload["reason"]) == (
        1, actor, "token seen on a forum",
    )  # fmt: skip


async def test_a_second_revocation_ends_nothing_more(
    casino: ServerProcess, support: str, two_tables: tuple[Table, Table]
) -> None:
    table, _ = two_tables
    revoke(casino, support, table.user, "first")
    assert revoke(casino, support, table.user, "again").json() == {"revoked": 0}


@pytest.mark.parametrize(
    ("player", "body", "status", "code"),
    [("999999999", {"reason": "x"}, 404, "NOT_FOUND"),
     ("abc", {"reason": "x"}, 422, "VALIDATION_FAILED"),
     ("1", {"reason": " "}, 422, "VALIDATION_FAILED")],
)  # fmt: skip
def test_a_bad_player_or_reason_is_refused(
    casino: ServerProcess, support: str, player: str, body: dict[str, str], status: int, code: str
) -> None:
    reply = httpx.post(
        f"{casino.base_url}/api/staff/players/{player}/provider-sessions/revoke",
        json=body, headers=bearer(support),
    )  # fmt: skip
    assert (reply.status_code, reply.json()["error"]["code"]) == (status, code)


def test_finance_may_not_revoke(casino: ServerProcess) -> None:
    finance = login(casino.base_url, add_staff(casino.database_path, "finance"))
    reply = revoke(casino, finance, "1", "x")
    assert (reply.status_code, reply.json()["error"]["code"]) == (403, "STAFF_ROLE_REFUSED")
