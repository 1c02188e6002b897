"""The database tests run against, and synchronous reads and writes of it, on either dialect.

`CASINO_TEST_DATABASE=postgres` (or `run.py test --database postgres`) runs the suite on
PostgreSQL: every server the tests start, and every database they make, gets a fresh database
of its own in the session's one private cluster (tests/support/postgres.py). Unset (or
`sqlite`) keeps the embedded default: a SQLite file in the test's directory.

`target_for(workdir)` is that database for a working directory, the same one each time it
is asked (a server restarted on the same directory finds its data, as it finds its file).
`query`, `execute` and `connect` let a test read or change what a server stored, whichever
the dialect, with SQL written as the domain writes it (`?` placeholders); on SQLite they open
the file with the standard library as the tests always did, on PostgreSQL they run through
asyncpg on a private event loop in a thread, so both sync and async tests can call them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
from collections.abc import Coroutine, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest

from server.storage.database import Database, DatabaseTarget, is_postgres
from server.storage.postgres import WRITER_LOCK, PostgresDatabase, translate
from server.storage.sqlite import SqliteDatabase
from tests.support.postgres import NOT_INSTALLED, bin_dir, shared_cluster

Row = tuple[Any, ...]
T = TypeVar("T")

DIALECT = os.environ.get("CASINO_TEST_DATABASE", "sqlite").strip().lower() or "sqlite"
if DIALECT not in ("sqlite", "postgres"):
    raise RuntimeError(f"CASINO_TEST_DATABASE must be sqlite or postgres, not {DIALECT!r}")
ON_POSTGRES = DIALECT == "postgres"
TIMEOUT_S = 60.0

# SQLite-only tests say why in their marker; the reason is what a PostgreSQL run prints.
sqlite_only = pytest.mark.sqlite_only

_targets: dict[Path, str] = {}
_workdirs: dict[str, Path] = {}
_targets_lock = threading.Lock()


def target_for(workdir: Path) -> DatabaseTarget:
    """The database of a working directory: `workdir/casino.db`, or on PostgreSQL a fresh
    database made the first time the directory asks (and the same one after)."""
    if not ON_POSTGRES:
        return workdir / "casino.db"
    key = workdir.resolve()
    with _targets_lock:
        if key not in _targets:
            if bin_dir() is None:
                raise RuntimeError(NOT_INSTALLED)
            _targets[key] = shared_cluster().new_database()
            _workdirs[_targets[key]] = workdir
        return _targets[key]


def workdir_of(target: DatabaseTarget) -> Path:
    """The working directory (CASINO_DATA_DIR) whose database `target` is: the inverse of
    `target_for`, for tools that need both (the staff command's sealing key lives there)."""
    if not is_postgres(target):
        return Path(target).parent
    return _workdirs[str(target)]


def url_of(target: DatabaseTarget) -> str:
    """`CASINO_DATABASE_URL` for a target."""
    return str(target) if is_postgres(target) else f"sqlite:///{target}"


# --- PostgreSQL through a private event loop ------------------------------------------------

_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _run(work: Coroutine[Any, Any, T]) -> T:
    global _loop
    with _loop_lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="test-db", daemon=True).start()
    return asyncio.run_coroutine_threadsafe(work, _loop).result(TIMEOUT_S)


def _numeric(text: str) -> int | float:
    """NUMERIC (PostgreSQL's SUM over BIGINT) as SQLite gives it: an int when whole."""
    return float(text) if "." in text or "e" in text.lower() else int(text)


async def _connect(url: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(url)
    await conn.set_type_codec(
        "numeric", schema="pg_catalog", encoder=str, decoder=_numeric, format="text"
    )
    return conn


class Connection:
    """One transaction of a test's own on the server's database, committed when the `with
    connect(...)` block ends normally and rolled back on an exception."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; the number of rows it changed."""
        raise NotImplementedError

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an INSERT into a table with an integer `id`; the new row's id."""
        raise NotImplementedError

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        raise NotImplementedError

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None


class _Sqlite(Connection):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(sql, params).rowcount

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        new_id = self._conn.execute(sql, params).lastrowid
        assert new_id is not None
        return new_id

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return [tuple(row) for row in self._conn.execute(sql, params).fetchall()]


class _Postgres(Connection):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        status = _run(self._conn.execute(translate(sql), *params))
        last = status.rsplit(" ", 1)[-1]
        return int(last) if last.isdigit() else 0

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int(_run(self._conn.fetchval(translate(sql) + " RETURNING id", *params)))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return [tuple(row) for row in _run(self._conn.fetch(translate(sql), *params))]


@contextlib.contextmanager
def connect(target: DatabaseTarget, foreign_keys: bool = True) -> Iterator[Connection]:
    """A write transaction on the database at `target`. It waits for the server's writers
    and they for it, as a second SQLite connection's write does. `foreign_keys=False` lets a
    test plant a row that points at nothing (SQLite's own connections never check them)."""
    if not is_postgres(target):
        with contextlib.closing(sqlite3.connect(target, timeout=10)) as conn, conn:
            yield _Sqlite(conn)
        return
    pg = _run(_connect(str(target)))
    try:
        _run(pg.execute("BEGIN"))
        _run(pg.execute("SELECT pg_advisory_xact_lock($1)", WRITER_LOCK))
        if not foreign_keys:  # the cluster's user is its superuser
            _run(pg.execute("SET LOCAL session_replication_role = replica"))
        try:
            yield _Postgres(pg)
        except BaseException:
            _run(pg.execute("ROLLBACK"))
            raise
        _run(pg.execute("COMMIT"))
    finally:
        _run(pg.close())


def query(target: DatabaseTarget, sql: str, params: Sequence[Any] = ()) -> list[Row]:
    """Every row a read returns, as tuples, without changing anything."""
    if not is_postgres(target):
        uri = f"{Path(target).resolve().as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=10)) as conn:
            return [tuple(row) for row in conn.execute(sql, params).fetchall()]

    async def read(url: str) -> list[Row]:
        conn = await _connect(url)
        try:
            return [tuple(row) for row in await conn.fetch(translate(sql), *params)]
        finally:
            await conn.close()

    return _run(read(str(target)))


def one(target: DatabaseTarget, sql: str, params: Sequence[Any] = ()) -> Row | None:
    """The first row a read returns, or None."""
    rows = query(target, sql, params)
    return rows[0] if rows else None


def execute(target: DatabaseTarget, sql: str, params: Sequence[Any] = ()) -> int:
    """One statement in a transaction of its own; the number of rows it changed."""
    with connect(target) as conn:
        return conn.execute(sql, params)


class WriteLock:
    """The database's write lock held by another process, as an operator's long transaction
    would: no server write (a flush) gets through until `release`. SQLite's is the file's
    lock (BEGIN IMMEDIATE); PostgreSQL's the advisory lock every server writer takes."""

    def __init__(self, target: DatabaseTarget) -> None:
        self._sqlite: sqlite3.Connection | None = None
        self._pg: asyncpg.Connection | None = None
        self.held = False
        if is_postgres(target):
            self._pg = _run(_connect(str(target)))
        else:
            self._sqlite = sqlite3.connect(target, timeout=10, isolation_level=None)

    def take(self) -> None:
        if self._sqlite is not None:
            self._sqlite.execute("BEGIN IMMEDIATE")
        elif self._pg is not None:
            _run(self._pg.execute("BEGIN"))
            _run(self._pg.execute("SELECT pg_advisory_xact_lock($1)", WRITER_LOCK))
        self.held = True

    def release(self) -> None:
        if self._sqlite is not None:
            self._sqlite.execute("ROLLBACK")
        elif self._pg is not None:
            _run(self._pg.execute("ROLLBACK"))
        self.held = False

    def close(self) -> None:
        if self.held:
            self.release()
        if self._sqlite is not None:
            self._sqlite.close()
        if self._pg is not None:
            _run(self._pg.close())


def target_of(database: Database) -> DatabaseTarget:
    """Where an opened `Database` is: its file, or its URL."""
    if isinstance(database, SqliteDatabase):
        return database.path
    assert isinstance(database, PostgresDatabase)
    return database.url
