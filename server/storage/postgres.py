"""The PostgreSQL dialect of `Database`: an asyncpg pool behind the API SQLite's serves.

The domain's SQL is written once with `?` placeholders; `translate` turns each statement
into PostgreSQL's `$1, $2, ...` once and caches it. Write transactions keep SQLite's
guarantee that they run one at a time, across processes too: each takes one transaction-scoped
advisory lock first, because the domain reads, then writes, inside a transaction and relies on
nothing changing between (READ COMMITTED alone would let two workers both see a balance and
both spend it). So our own writers never deadlock or fail to serialise each other; against
another client of the same database (an operator's session) they can, and
`Database.retrying` runs a unit of work again from its start when they do. Every statement
has a timeout (`statement_timeout`, milliseconds; a `?statement_timeout=` in
the URL overrides the default).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg

from server.storage.base import (
    MAX_BOUND_VARIABLES,
    Database,
    Row,
    Transaction,
    describe,
    now_ms,
    pending,
    statements,
)

log = logging.getLogger(__name__)

STATEMENT_TIMEOUT_MS = 30_000
POOL_SIZE = 10
# pg_advisory_xact_lock keys: one for every write transaction, one for migrations.
WRITER_LOCK = 0x63617369_6E6F0001
MIGRATION_LOCK = 0x63617369_6E6F0002
_RETRYABLE = (asyncpg.SerializationError, asyncpg.DeadlockDetectedError)


@functools.lru_cache(maxsize=4096)
def translate(sql: str) -> str:
    """`?` placeholders as `$1, $2, ...`, leaving quoted text and identifiers alone."""
    out: list[str] = []
    quote = ""
    number = 0
    for char in sql:
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "?":
            number += 1
            out.append(f"${number}")
            continue
        out.append(char)
    return "".join(out)


@functools.lru_cache(maxsize=1024)
def _returning_id(sql: str) -> str:
    return f"{translate(sql)} RETURNING id"


def _numeric(text: str) -> int | float:
    """NUMERIC as SQLite gives it: SUM over BIGINT is NUMERIC in PostgreSQL, an int in
    SQLite, and the money code adds integers only."""
    return float(text) if "." in text or "e" in text.lower() else int(text)


def _rowcount(status: str) -> int:
    """The row count in a command tag ("UPDATE 3", "INSERT 0 1"); 0 when it has none."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


async def _prepare(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "numeric", schema="pg_catalog", encoder=str, decoder=_numeric, format="text"
    )


def _settings(url: str) -> dict[str, str]:
    given = parse_qs(urlsplit(url).query)
    return {} if "statement_timeout" in given else {"statement_timeout": str(STATEMENT_TIMEOUT_MS)}


async def peek(url: str, sql: str, params: Sequence[Any] = ()) -> Row | None:
    """`database.peek` on PostgreSQL, in a read-only transaction."""
    try:
        conn = await asyncpg.connect(url, server_settings=_settings(url))
    except asyncpg.InvalidCatalogNameError:  # the database itself is not created yet
        return None
    try:
        await _prepare(conn)
        async with conn.transaction(readonly=True):
            row = await conn.fetchrow(translate(sql), *params)
    except asyncpg.UndefinedTableError:
        return None
    finally:
        await conn.close()
    return None if row is None else tuple(row)


class PostgresDatabase(Database):
    dialect = "postgres"

    def __init__(self, target: str) -> None:
        self.url = str(target)
        self._pool: asyncpg.Pool | None = None
        # One waiting writer per process: the others wait here, not on a pooled connection
        # (which readers need) blocked on the advisory lock.
        self._write_lock = asyncio.Lock()

    async def open(self) -> None:
        self._pool = await asyncpg.create_pool(
            self.url,
            min_size=1,
            max_size=POOL_SIZE,
            init=_prepare,
            server_settings=_settings(self.url),
            statement_cache_size=1024,
        )
        try:
            await self._migrate()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
        self._pool = None

    async def _migrate(self) -> None:
        """Pending migrations in one transaction, under a lock: processes starting together
        take turns, and the second finds nothing left to do."""
        assert self._pool is not None
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
            )
            current = int(
                await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
            )
            for version, name, sql in pending(self.dialect, current, describe(self.url)):
                log.info("applying migration %s", name)
                for statement in statements(sql):
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                    version,
                    name,
                    now_ms(),
                )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        if self._pool is None:
            raise RuntimeError("database is not open")
        async with self._write_lock, self._pool.acquire() as conn:
            await conn.execute("BEGIN")
            await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITER_LOCK)
            try:
                yield PostgresTransaction(conn)
            except BaseException:
                try:
                    await conn.execute("ROLLBACK")
                except BaseException:
                    conn.terminate()  # cancelled mid-statement: the pool replaces it
                raise
            await conn.execute("COMMIT")

    def retryable(self, error: BaseException) -> bool:
        return isinstance(error, _RETRYABLE)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        if self._pool is None:
            raise RuntimeError("database is not open")
        return [tuple(row) for row in await self._pool.fetch(translate(sql), *params)]


class PostgresTransaction(Transaction):
    """The statements of one open PostgreSQL transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return _rowcount(await self._conn.execute(translate(sql), *params))

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int | None:
        new_id = await self._conn.fetchval(_returning_id(sql), *params)
        if new_id is None:
            return None
        # A table keyed by text has no row id; its callers only ask whether a row was added.
        return new_id if isinstance(new_id, int) else 0

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(translate(sql), rows)

    async def insert_rows(self, head: str, rows: Sequence[Sequence[Any]], tail: str = "") -> int:
        """Multi-row INSERTs, as on SQLite: one round trip per statement, and unlike COPY
        they take the caller's ON CONFLICT tail."""
        if not rows:
            return 0
        width = len(rows[0])
        per_statement = max(1, MAX_BOUND_VARIABLES // width)
        added = 0
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            added += _rowcount(
                await self._conn.execute(
                    _multi_row(head, width, len(chunk), tail),
                    *[value for row in chunk for value in row],
                )
            )
        return added

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return [tuple(row) for row in await self._conn.fetch(translate(sql), *params)]


@functools.lru_cache(maxsize=256)
def _multi_row(head: str, width: int, count: int, tail: str) -> str:
    groups = (
        "(" + ", ".join(f"${row * width + col + 1}" for col in range(width)) + ")"
        for row in range(count)
    )
    return f"{head} VALUES {', '.join(groups)} {tail}"
