"""The durable store behind one API, on SQLite (the embedded default) or PostgreSQL: the
facade every other module imports.

This module owns the choice of dialect from a target (a file path, or a `postgresql://`
URL) and what needs a dialect to run: reading without changing anything (`peek`,
`schema_version`, `check_schema`), `migrate` and `opened`. The interfaces and shared helpers
live in server/storage/base.py (re-exported here under the same names), the connections,
transactions and migration runs of each dialect in server/storage/sqlite.py and
server/storage/postgres.py. Nothing here knows any domain.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import AsyncIterator, Coroutine, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from server.storage import postgres, sqlite
from server.storage.base import (
    DIALECTS,
    MAX_BOUND_VARIABLES,
    RETRY_ATTEMPTS,
    Database,
    DatabaseError,
    DatabaseTarget,
    IntegrityError,
    Row,
    SchemaTooNew,
    Transaction,
    _statements,
    describe,
    for_dialect,
    is_postgres,
    latest_schema,
    migrations,
    now_ms,
    postgres_ddl,
    statements,
)

__all__ = [
    "MAX_BOUND_VARIABLES",
    "RETRY_ATTEMPTS",
    "Database",
    "DatabaseError",
    "DatabaseTarget",
    "IntegrityError",
    "Row",
    "SchemaTooNew",
    "Transaction",
    "_statements",
    "check_schema",
    "describe",
    "for_dialect",
    "is_postgres",
    "latest_schema",
    "migrate",
    "migrations",
    "now_ms",
    "opened",
    "peek",
    "postgres_ddl",
    "schema_version",
    "statements",
]

T = TypeVar("T")

DIALECTS["sqlite"] = sqlite.SqliteDatabase
DIALECTS["postgres"] = postgres.PostgresDatabase


def _run_sync(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end from synchronous code, inside a running loop or not."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


def peek(target: DatabaseTarget, sql: str, params: Sequence[Any] = ()) -> Row | None:
    """One row read without changing anything, synchronously (for start-up checks and the
    doctor); None when the database, or a table the statement reads, does not exist yet."""
    if is_postgres(target):
        return _run_sync(postgres.peek(str(target), sql, params))
    return sqlite.peek(Path(target), sql, params)


def schema_version(target: DatabaseTarget) -> int:
    """The schema version of the database at `target`, read without changing anything
    (0 when the database or its migrations table does not exist yet)."""
    row = peek(target, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
    return int(row[0]) if row else 0


def check_schema(target: DatabaseTarget) -> int:
    """The schema version, or SchemaTooNew (with what to do) when newer than this code."""
    current, latest = schema_version(target), latest_schema()
    if current > latest:
        raise SchemaTooNew(
            f"database {describe(target)} is at schema {current}, newer than this code (which"
            f" knows up to {latest}): run the newer code, or restore the backup taken before"
            " the upgrade"
        )
    return current


async def migrate(target: DatabaseTarget) -> tuple[int, int]:
    """Apply every pending migration (`run.py migrate`); the versions before and after."""
    before = await asyncio.to_thread(check_schema, target)
    db = Database(target)
    await db.open()
    await db.close()
    return before, await asyncio.to_thread(schema_version, target)


@asynccontextmanager
async def opened(target: DatabaseTarget) -> AsyncIterator[Database]:
    """The database at `target`, open (and migrated) for one piece of work, closed after it
    whatever happens: what a command does with the database."""
    db = Database(target)
    await db.open()
    try:
        yield db
    finally:
        await db.close()
