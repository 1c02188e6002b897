"""The register check in live mode fails closed: with the register unreachable (nothing on its
port) or not configured, a covered player's registration or login is refused with
SERVICE_UNAVAILABLE and the refusal recorded (an event and an audit entry); a player the
register does not cover is let through without a call. Against a real SQLite file and a
real closed port."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from protocol.errors import ErrorCode, Refused
from server.audit import trail
from server.rg.register import RegisterClient, RegisterGate, RegisterUnavailable
from server.storage.database import Database
from server.storage.redis_child import free_port
from tests.support import db as test_db

APPLICANT: dict[str, Any] = {
    "player_id": None,
    "email": "someone@example.com",
    "date_of_birth": "1990-01-31",
    "address": "10.0.0.7",
}


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(test_db.target_for(tmp_path))
    await database.open()
    yield database
    await database.close()


def nowhere() -> RegisterClient:
    """A client of a register that is not running: its port refuses connections."""
    return RegisterClient(f"http://127.0.0.1:{free_port()}", "key", timeout_s=1.0)


async def recorded(db: Database) -> list[dict[str, Any]]:
    rows = await db.fetchall("SELECT payload FROM event_outbox WHERE kind = 'register_check'")
    return [json.loads(str(payload)) for (payload,) in rows]


async def test_live_refuses_a_registration_when_the_register_does_not_answer(
    db: Database,
) -> None:
    gate = RegisterGate(db, nowhere(), fail_closed=True)
    with pytest.raises(Refused) as refused:
        await gate(stage="registration", country="GB", **APPLICANT)
    assert refused.value.code is ErrorCode.SERVICE_UNAVAILABLE
    assert refused.value.message == (
        "the national self-exclusion register cannot be reached: try again later"
    )
    (event,) = await recorded(db)
    assert (event["stage"], event["answer"], event["reference"], event["address"]) == (
        "registration",
        "unavailable",
        "",
        "10.0.0.7",
    )


async def test_a_recorded_check_is_on_the_audit_trail(db: Database) -> None:
    gate = RegisterGate(db, None, fail_closed=True)
    with pytest.raises(Refused):
        await gate(stage="login", country="GB", **{**APPLICANT, "player_id": 5})
    [entry] = await trail.entries(db)
    assert (entry["actor"], entry["action"], entry["subject"], entry["reason"]) == (
        "rule:register", "register_check:login", "player:5", "unavailable",
    )  # fmt: skip
    assert (entry["address"], entry["details"]) == ("10.0.0.7", {"reference": ""})
    assert (await trail.verify(db)).ok


async def test_live_without_a_register_refuses_a_covered_login(db: Database) -> None:
    gate = RegisterGate(db, None, fail_closed=True)
    with pytest.raises(Refused) as refused:
        await gate(stage="login", country="GB", **{**APPLICANT, "player_id": 5})
    assert refused.value.code is ErrorCode.SERVICE_UNAVAILABLE
    (event,) = await recorded(db)
    assert (event["player_id"], event["stage"]) == (5, "login")


async def test_a_player_the_register_does_not_cover_passes_even_in_live(db: Database) -> None:
    gate = RegisterGate(db, nowhere(), fail_closed=True)
    await gate(stage="registration", country="DE", **APPLICANT)
    assert await recorded(db) == []


async def test_sandbox_without_a_register_asks_nobody_and_records_nothing(db: Database) -> None:
    gate = RegisterGate(db, None, fail_closed=False)
    await gate(stage="registration", country="GB", **APPLICANT)
    assert await recorded(db) == []


async def test_the_client_gives_up_after_its_retries_with_the_cause() -> None:
    with pytest.raises(RegisterUnavailable, match="no answer after 3 tries: ConnectError"):
        await nowhere().check("someone@example.com", "1990-01-31")
