"""Reads see every write committed before them, however many reads run at once; processes
opening one fresh database together all get it."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.storage.database import Database, DatabaseTarget
from tests.support.postgres import database_target, postgres_cluster

__all__ = ["database_target", "postgres_cluster"]  # fixtures, used by name


@pytest.fixture
async def db(database_target: DatabaseTarget) -> AsyncIterator[Database]:
    """A fresh database of each dialect (tests/support/postgres.py)."""
    database = Database(database_target)
    await database.open()
    yield database
    await database.close()


async def test_a_read_after_a_commit_sees_it_while_other_reads_overlap(db: Database) -> None:
    """Overlapping statements on one SQLite connection would share one old read snapshot:
    52 of 300 reads missed their own just-committed row before reads took turns."""
    done = asyncio.Event()

    async def busy_reader() -> None:
        while not done.is_set():
            await db.fetchall("SELECT id FROM players")

    readers = [asyncio.create_task(busy_reader()) for _ in range(20)]
    missed = []
    try:
        for i in range(150):
            async with db.transaction() as tx:
                await tx.execute(
                    "INSERT INTO players (email, username, password_hash, date_of_birth, country,"
                    " currency, created_at) VALUES (?, ?, 'x', '1990-01-01', 'DE', 'EUR', 0)",
                    (f"p{i}@example.com", f"p{i}"),
                )
            if await db.fetchone("SELECT id FROM players WHERE username = ?", (f"p{i}",)) is None:
                missed.append(i)
    finally:
        done.set()
        await asyncio.gather(*readers)
    assert missed == []


@pytest.mark.sqlite_only(reason="SQLite's switch to WAL and its file lock")
async def test_opening_waits_for_another_connections_write_lock(tmp_path: Path) -> None:
    """`--workers N` on a first start: one worker migrates while the others open the file.
    Switching to WAL takes a lock, and it used to fail at once instead of waiting."""
    path = tmp_path / "fresh.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    asyncio.get_running_loop().call_later(0.5, holder.rollback)
    database = Database(path)
    try:
        await database.open()
    finally:
        await database.close()
        holder.close()
