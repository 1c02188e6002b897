"""One `Database` API on SQLite and PostgreSQL: every test runs on both dialects (a fresh
database each), and a few pin what only PostgreSQL has (placeholder translation, the
statement timeout, retried deadlocks)."""

from __future__ import annotations

import ast
import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from server.storage.database import MAX_BOUND_VARIABLES, Database, DatabaseTarget, Transaction
from server.storage.postgres import translate
from tests.support.postgres import PostgresCluster, database_target, postgres_cluster

__all__ = ["database_target", "postgres_cluster"]  # fixtures, used by name

PLAYER = (
    "INSERT INTO players (email, username, password_hash, date_of_birth, country, currency,"
    " created_at) VALUES (?, ?, 'x', '1990-01-01', 'DE', 'EUR', 0)"
)


@pytest.fixture
async def db(database_target: DatabaseTarget) -> AsyncIterator[Database]:
    database = Database(database_target)
    await database.open()
    yield database
    await database.close()


async def test_a_committed_write_is_read_back_with_question_mark_placeholders(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.execute(PLAYER, ("ann@example.com", "ann"))
    assert await db.fetchone(
        "SELECT username, currency FROM players WHERE email = ?", ("ann@example.com",)
    ) == ("ann", "EUR")


async def test_a_question_mark_inside_quotes_is_text_not_a_placeholder(db: Database) -> None:
    assert await db.fetchone("SELECT 'why?', ?", ("because",)) == ("why?", "because")


async def test_insert_returns_the_new_row_id_and_none_when_on_conflict_skipped_it(
    db: Database,
) -> None:
    sql = PLAYER + " ON CONFLICT DO NOTHING"
    async with db.transaction() as tx:
        first = await tx.insert(sql, ("ann@example.com", "ann"))
        second = await tx.insert(sql, ("bob@example.com", "bob"))
        again = await tx.insert(sql, ("ann@example.com", "ann"))
    assert (first, second, again) == (1, 2, None)


async def test_execute_returns_the_number_of_rows_changed(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.execute(PLAYER, ("ann@example.com", "ann"))
        await tx.execute(PLAYER, ("bob@example.com", "bob"))
        changed = await tx.execute("UPDATE players SET country = ? WHERE country = ?", ("AT", "DE"))
        unchanged = await tx.execute("UPDATE players SET country = 'FR' WHERE id = ?", (99,))
    assert (changed, unchanged) == (2, 0)


async def test_an_exception_in_a_transaction_rolls_all_of_it_back(db: Database) -> None:
    with pytest.raises(ZeroDivisionError):
        async with db.transaction() as tx:
            await tx.execute(PLAYER, ("ann@example.com", "ann"))
            raise ZeroDivisionError
    assert await db.fetchall("SELECT id FROM players") == []


async def test_insert_rows_writes_more_rows_than_one_statement_may_bind_and_counts_them(
    db: Database,
) -> None:
    rows = [(i, f"r{i}", i * 10) for i in range(MAX_BOUND_VARIABLES // 3 + 500)]
    async with db.transaction() as tx:
        await tx.execute("CREATE TABLE t (a BIGINT PRIMARY KEY, b TEXT, c BIGINT)")
        assert await tx.insert_rows("INSERT INTO t (a, b, c)", rows) == len(rows)
        again = [*rows[:3], (-1, "r-1", 7)]
        assert await tx.insert_rows("INSERT INTO t (a, b, c)", again, "ON CONFLICT DO NOTHING") == 1
    rows.append((-1, "r-1", 7))
    assert await db.fetchone("SELECT COUNT(*), SUM(c), MAX(b) FROM t") == (
        len(rows),
        sum(c for _, _, c in rows),
        "r9999",
    )


async def test_a_sum_of_integers_is_an_int(db: Database) -> None:
    row = await db.fetchone("SELECT SUM(x) FROM (SELECT 2 AS x UNION ALL SELECT 3) AS s")
    assert row is not None and row == (5,) and type(row[0]) is int


async def test_writers_of_two_databases_on_one_store_take_turns(
    database_target: DatabaseTarget,
) -> None:
    """Two processes (two Database objects) reading then writing one counter lose no
    update: write transactions run one at a time, as SQLite's always did."""
    first, second = Database(database_target), Database(database_target)
    await first.open()
    await second.open()
    try:
        async with first.transaction() as tx:
            await tx.execute("CREATE TABLE counter (n BIGINT NOT NULL)")
            await tx.execute("INSERT INTO counter (n) VALUES (0)")

        async def bump(db: Database) -> None:
            for _ in range(25):
                async with db.transaction() as tx:
                    row = await tx.fetchone("SELECT n FROM counter")
                    assert row is not None
                    await asyncio.sleep(0)
                    await tx.execute("UPDATE counter SET n = ?", (row[0] + 1,))

        await asyncio.gather(bump(first), bump(second), bump(first), bump(second))
        assert await first.fetchone("SELECT n FROM counter") == (100,)
    finally:
        await first.close()
        await second.close()


@pytest.mark.parametrize(("name", "count"), [(None, 2), ("ann", 1)])
async def test_an_optional_filter_cast_for_its_null_test_works_on_both(
    db: Database, name: str | None, count: int
) -> None:
    """`(CAST(? AS TEXT) IS NULL OR col = ?)`: a bare `? IS NULL` has no type PostgreSQL can
    tell, and it refuses the statement."""
    async with db.transaction() as tx:
        await tx.execute(PLAYER, ("ann@example.com", "ann"))
        await tx.execute(PLAYER, ("bob@example.com", "bob"))
    assert await db.fetchone(
        "SELECT COUNT(*) FROM players WHERE (CAST(? AS TEXT) IS NULL OR username = ?)",
        (name, name),
    ) == (count,)


def test_placeholders_are_numbered_in_order_and_the_translation_is_cached() -> None:
    sql = "SELECT a FROM t WHERE (? IS NULL OR b = ?) AND c = 'x?'"
    assert translate(sql) == "SELECT a FROM t WHERE ($1 IS NULL OR b = $2) AND c = 'x?'"
    assert translate(sql) is translate(sql)


async def test_a_statement_past_the_timeout_is_cancelled(postgres_cluster: PostgresCluster) -> None:
    db = Database(postgres_cluster.new_database() + "?statement_timeout=200")
    await db.open()
    try:
        with pytest.raises(asyncpg.QueryCanceledError):
            await db.fetchall("SELECT pg_sleep(5)")
    finally:
        await db.close()


async def test_work_aborted_by_a_deadlock_with_another_client_is_run_again(
    postgres_cluster: PostgresCluster,
) -> None:
    url = postgres_cluster.new_database()
    db = Database(url)
    await db.open()
    other = await asyncpg.connect(url)
    try:
        await other.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, v BIGINT NOT NULL)")
        await other.execute("INSERT INTO t VALUES (1, 0), (2, 0)")
        # The other client waits long before checking for deadlocks: ours is the one aborted.
        await other.execute("SET deadlock_timeout = '60s'")
        await other.execute("BEGIN")
        await other.execute("UPDATE t SET v = v + 10 WHERE id = 2")
        holds_one = asyncio.Event()
        attempts: list[int] = []

        async def work(tx: Transaction) -> int:
            attempts.append(len(attempts) + 1)
            await tx.execute("UPDATE t SET v = v + 1 WHERE id = 1")
            holds_one.set()
            return await tx.execute("UPDATE t SET v = v + 1 WHERE id = 2")

        async def other_client() -> None:
            await holds_one.wait()
            await other.execute("UPDATE t SET v = v + 10 WHERE id = 1")
            await other.execute("COMMIT")

        changed, _ = await asyncio.gather(db.retrying(work), other_client())
        assert (changed, attempts) == (1, [1, 2])
        assert await db.fetchall("SELECT id, v FROM t ORDER BY id") == [(1, 11), (2, 11)]
    finally:
        await other.close()
        await db.close()


def storage_imports(name: str) -> set[str]:
    """The server.storage modules one storage module imports, anywhere in its text."""
    tree = ast.parse((Path(__file__).parents[1] / "server" / "storage" / f"{name}.py").read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "server.storage":
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("server.storage."):
            found.add((node.module or "").rsplit(".", 1)[1])
    return found


def test_the_dialects_import_the_interfaces_and_only_the_facade_imports_the_dialects() -> None:
    assert storage_imports("base") == set()
    assert storage_imports("sqlite") == {"base"}
    assert storage_imports("postgres") == {"base"}
    assert storage_imports("database") == {"base", "postgres", "sqlite"}


def test_the_facade_picks_the_dialect_class_from_the_target(tmp_path: Path) -> None:
    assert type(Database(tmp_path / "casino.db")).__name__ == "SqliteDatabase"
    assert type(Database("postgresql://casino@127.0.0.1:1/casino")).__name__ == "PostgresDatabase"
