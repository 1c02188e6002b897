"""The SQLite dialect of `Database`: one file through aiosqlite, the embedded default.

Writes go through `transaction()`, which serialises them on one connection (a shared
connection would otherwise interleave two coroutines' statements in one transaction); reads
use a second connection so they never wait behind a long write under WAL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from server.storage.base import (
    MAX_BOUND_VARIABLES,
    Database,
    Row,
    Transaction,
    now_ms,
    pending,
    statements,
)

log = logging.getLogger(__name__)

WAL_WAIT_S = 30.0  # how long a starting process waits for the lock that switching to WAL needs


def peek(path: Path, sql: str, params: Sequence[Any] = ()) -> Row | None:
    """`database.peek` on a file, opened read-only."""
    if not path.exists():
        return None
    uri = f"{path.resolve().as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
        try:
            row: Row | None = conn.execute(sql, params).fetchone()
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return None
            raise
    return row


async def _enter_wal(conn: aiosqlite.Connection) -> None:
    """Switch to WAL, waiting while another connection holds the lock it needs.

    SQLite answers `journal_mode` with "database is locked" at once, without its busy
    handler, so workers starting together on a fresh file (one of them migrating) failed
    their start-up; this waits up to WAL_WAIT_S instead.
    """
    deadline = time.monotonic() + WAL_WAIT_S
    delay = 0.01
    while True:
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() + delay > deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.5)


class SqliteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, target: Path | str) -> None:
        self.path = Path(target)
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._read_lock = asyncio.Lock()

    async def open(self) -> None:
        if not self.path.exists():
            # It will hold password hashes and provider secrets: its owner's alone (SQLite
            # gives its -wal and -shm files the same mode).
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        self._writer = await self._connect()
        try:
            await self._migrate(self._writer)
        except BaseException:
            await self.close()
            raise
        self._reader = await self._connect()

    async def _connect(self) -> aiosqlite.Connection:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a transaction is exactly
        # what `transaction()` brackets and nothing is committed implicitly.
        conn = await aiosqlite.connect(self.path, isolation_level=None, timeout=5.0)
        await conn.execute("PRAGMA busy_timeout=5000")
        await _enter_wal(conn)
        await conn.execute("PRAGMA synchronous=FULL")
        await conn.execute("PRAGMA foreign_keys=ON")
        return conn

    async def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    async def _migrate(self, conn: aiosqlite.Connection) -> None:
        """Apply pending migrations in one write transaction: processes starting together
        (workers) take turns, and the second finds nothing left to do."""
        await conn.execute("BEGIN IMMEDIATE")
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
            )
            async with conn.execute(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"
            ) as cur:
                row = await cur.fetchone()
            current = int(row[0]) if row else 0
            for version, name, sql in pending(self.dialect, current, str(self.path)):
                log.info("applying migration %s", name)
                for statement in statements(sql):
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, now_ms()),
                )
            await conn.execute("COMMIT")
        except BaseException:
            await conn.execute("ROLLBACK")
            raise

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """One atomic unit of writes; commits on normal exit, rolls back on any exception."""
        if self._writer is None:
            raise RuntimeError("database is not open")
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteTransaction(self._writer)
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            await self._writer.execute("COMMIT")

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        if self._reader is None:
            raise RuntimeError("database is not open")
        # One statement at a time, each run to its end: while any statement of a connection is
        # still active, SQLite keeps that connection's read snapshot, so overlapping reads
        # under load would pin an old snapshot and miss writes committed since (a session
        # token just issued, the ledger transfer of a deposit just made).
        async with self._read_lock, self._reader.execute(sql, params) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None


class SqliteTransaction(Transaction):
    """The statements of one open SQLite transaction."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._conn.execute(sql, params) as cursor:
            return cursor.rowcount

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int | None:
        async with self._conn.execute(sql, params) as cursor:
            return cursor.lastrowid if cursor.rowcount == 1 else None

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(sql, rows)

    async def insert_rows(self, head: str, rows: Sequence[Sequence[Any]], tail: str = "") -> int:
        """Why not `executemany`: it runs one SQLite step per row, and this connection's
        thread gives the GIL back at every step and waits to get it again; with the event loop
        busy each wait lasts up to the interpreter's switch interval, so a 2,000-round batch
        took over a second under load. One statement is one step."""
        if not rows:
            return 0
        width = len(rows[0])
        group = "(" + ", ".join("?" * width) + ")"
        per_statement = max(1, MAX_BOUND_VARIABLES // width)
        added = 0
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            values = ", ".join(group for _ in chunk)
            added += await self.execute(
                f"{head} VALUES {values} {tail}", [value for row in chunk for value in row]
            )
        return added

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._conn.execute(sql, params) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None
