"""The audit trail: entries chain by SHA-256, and `verify` names an edited or removed entry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.audit import trail
from server.storage.database import Database
from tests.support import db as test_db


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(test_db.target_for(tmp_path))
    await database.open()
    yield database
    await database.close()


async def three_entries(db: Database) -> list[int]:
    return [
        await trail.record(db, "staff:ana", "aml_case_cleared", "player:7", "documents fine",
                           "10.0.0.5", {"case_id": 1}),
        await trail.record(db, "system", "sanctions_screened", "player:8", "clear", "", {}),
        await trail.record(db, "rule:cdd", "aml_case_opened", "player:7", "EUR 2,000 reached",
                           "", {"linked_eur_cents": 200_000}),
    ]  # fmt: skip


async def test_entries_are_numbered_from_one_and_chain_to_the_one_before(db: Database) -> None:
    assert await three_entries(db) == [1, 2, 3]
    found = await trail.entries(db)
    assert found[0]["prev_hash"] == trail.GENESIS
    assert [e["prev_hash"] for e in found[1:]] == [e["hash"] for e in found[:-1]]
    assert found[0]["details"] == {"case_id": 1}
    assert (found[0]["actor"], found[0]["address"], found[0]["reason"]) == (
        "staff:ana", "10.0.0.5", "documents fine",
    )  # fmt: skip


async def test_an_untouched_chain_verifies_and_reports_its_head(db: Database) -> None:
    await three_entries(db)
    verdict = await trail.verify(db)
    assert (verdict.ok, verdict.entries, verdict.broken_at) == (True, 3, None)
    assert verdict.head == (await trail.entries(db))[-1]["hash"]


async def test_an_empty_trail_verifies_with_the_genesis_head(db: Database) -> None:
    assert await trail.verify(db) == trail.Verdict(True, 0, trail.GENESIS)


async def test_an_edited_reason_is_found_and_named(db: Database) -> None:
    await three_entries(db)
    async with db.transaction() as tx:
        await tx.execute("UPDATE audit_trail SET reason = 'nothing to see' WHERE id = 2")
    verdict = await trail.verify(db)
    assert (verdict.ok, verdict.broken_at, verdict.problem) == (
        False, 2, "its content does not match its hash",
    )  # fmt: skip


async def test_edited_details_are_found_even_when_the_hash_is_recomputed_alone(
    db: Database,
) -> None:
    await three_entries(db)
    forged = trail.entry_hash(1, 0, "staff:ana", "aml_case_cleared", "player:7", "x", "", "{}",
                              trail.GENESIS)  # fmt: skip
    async with db.transaction() as tx:
        await tx.execute("UPDATE audit_trail SET reason = 'x', details = '{}', address = '',"
                         " at_ms = 0, hash = ? WHERE id = 1", (forged,))  # fmt: skip
    verdict = await trail.verify(db)
    assert (verdict.ok, verdict.broken_at) == (False, 2)  # entry 2 no longer chains to it


async def test_a_removed_entry_is_found_and_named(db: Database) -> None:
    await three_entries(db)
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM audit_trail WHERE id = 2")
    verdict = await trail.verify(db)
    assert (verdict.ok, verdict.broken_at, verdict.problem) == (
        False, 2, "this entry was removed",
    )  # fmt: skip


async def test_an_entry_recorded_in_a_rolled_back_transaction_leaves_no_trace(
    db: Database,
) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await trail.record(tx, "system", "x", "player:1", "y")
            raise RuntimeError("the decision failed")
    assert await trail.entries(db) == []
    assert await trail.record(db, "system", "x", "player:1", "y") == 1
