"""Queue claims and the audit viewer's pages on both database dialects (SQLite and a
private PostgreSQL): one holder per item, refused to another with the holder's name,
released by the holder or an admin, each on the audit trail; audit pages newest first."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from protocol.errors import ErrorCode, Refused
from server.audit import trail
from server.staff import claims
from server.staff.accounts import StaffMember
from server.staff.roles import Role
from server.storage.database import Database, DatabaseTarget
from tests.support.postgres import database_target, postgres_cluster

__all__ = ["database_target", "postgres_cluster"]  # fixtures, used by name

ANA = StaffMember(1, "ana", Role.COMPLIANCE)
BEN = StaffMember(2, "ben", Role.COMPLIANCE)
ROOT = StaffMember(3, "root", Role.ADMIN)


@pytest.fixture
async def db(database_target: DatabaseTarget) -> AsyncIterator[Database]:
    database = Database(database_target)
    await database.open()
    yield database
    await database.close()


async def test_a_claimed_item_is_refused_to_another_naming_the_holder(db: Database) -> None:
    await claims.claim(db, "kyc", 7, ANA, "10.0.0.1")
    with pytest.raises(Refused) as refused:
        await claims.claim(db, "kyc", 7, BEN, "10.0.0.2")
    assert (refused.value.code, refused.value.extra["holder"]) == (
        ErrorCode.QUEUE_ITEM_CLAIMED, "ana",
    )  # fmt: skip
    assert [(c["item"], c["holder"]) for c in await claims.held(db, "kyc")] == [(7, "ana")]


async def test_claiming_ones_own_item_again_keeps_the_first_claim(db: Database) -> None:
    first = await claims.claim(db, "withdrawals", 3, ANA, "")
    assert await claims.claim(db, "withdrawals", 3, ANA, "") == first
    actions = [e["action"] for e in await trail.entries(db, "withdrawals:3")]
    assert actions == ["queue_claimed"]


async def test_the_same_item_number_of_another_queue_is_another_item(db: Database) -> None:
    await claims.claim(db, "kyc", 5, ANA, "")
    await claims.claim(db, "aml", 5, BEN, "")
    assert [c["holder"] for c in await claims.held(db, "aml")] == ["ben"]


async def test_only_the_holder_or_an_admin_releases(db: Database) -> None:
    await claims.claim(db, "kyc", 9, ANA, "")
    with pytest.raises(Refused):
        await claims.release(db, "kyc", 9, BEN, "")
    assert await claims.release(db, "kyc", 9, ROOT, "") is True
    assert await claims.release(db, "kyc", 9, ROOT, "") is False
    assert await claims.held(db, "kyc") == []
    released = await trail.entries(db, "kyc:9")
    assert [(e["actor"], e["action"], e["details"]) for e in released] == [
        ("staff:ana", "queue_claimed", {}),
        ("staff:root", "queue_released", {"holder": "ana"}),
    ]


async def test_audit_pages_run_newest_first_from_before(db: Database) -> None:
    for n in range(5):
        await trail.record(db, "system", "test", f"s:{n % 2}", f"r{n}")
    assert [e["id"] for e in await trail.page(db, None, 3)] == [5, 4, 3]
    assert [e["id"] for e in await trail.page(db, 3, 3)] == [2, 1]
    assert [e["id"] for e in await trail.page(db, None, 10, "s:1")] == [4, 2]
