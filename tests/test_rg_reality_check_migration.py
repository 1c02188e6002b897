"""Migration 0020 keeps a player's reality-check interval, now in seconds: a database whose
players chose minutes opens with the same intervals as `reality_check_seconds`."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from server.storage.database import Database, _statements, migrations

BEFORE = 18  # the schema that kept minutes


def database_in_minutes(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(
            "CREATE TABLE schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
        )
        for version, name, sql in migrations():
            if version > BEFORE:
                break
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 0)", (version, name))
        conn.executemany(
            "INSERT INTO rg_limits (player_id, kind, value, updated_at) VALUES (?, ?, ?, 0)",
            [(7, "reality_check_minutes", 30), (7, "session_minutes", 90), (8, "loss_24h", 500)],
        )


@pytest.mark.sqlite_only(reason="upgrades an old-schema database built with sqlite3")
async def test_minutes_become_seconds_and_other_limits_stay(tmp_path: Path) -> None:
    path = tmp_path / "casino.db"
    database_in_minutes(path)
    db = Database(path)
    await db.open()
    try:
        rows = await db.fetchall("SELECT player_id, kind, value FROM rg_limits ORDER BY 1, 2")
    finally:
        await db.close()
    assert [tuple(r) for r in rows] == [
        (7, "reality_check_seconds", 1_800),
        (7, "session_minutes", 90),
        (8, "loss_24h", 500),
    ]
