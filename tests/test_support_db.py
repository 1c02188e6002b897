"""The tests' own reads and writes of a server's database (tests/support/db.py) mean the
same on SQLite and PostgreSQL, and `run.py test --database postgres` selects PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.cli import _test_database
from server.storage.database import DatabaseTarget, opened
from tests.support import db as test_db
from tests.support.postgres import database_target, postgres_cluster

__all__ = ["database_target", "postgres_cluster"]  # fixtures, used by name

ACCOUNT = (
    "INSERT INTO ledger_accounts (code, kind, currency, balance, allow_negative)"
    " VALUES (?, 'operator', 'XTS', ?, 0)"
)


@pytest.fixture
async def migrated(database_target: DatabaseTarget) -> DatabaseTarget:
    async with opened(database_target):
        pass  # the schema, as a server leaves it
    return database_target


def test_a_committed_write_is_read_back_with_its_new_id(migrated: DatabaseTarget) -> None:
    with test_db.connect(migrated) as conn:
        new_id = conn.insert(ACCOUNT, ("test:a", 7))
        assert conn.execute("UPDATE ledger_accounts SET balance = 8 WHERE id = ?", (new_id,)) == 1
    assert test_db.query(
        migrated, "SELECT code, balance FROM ledger_accounts WHERE id = ?", (new_id,)
    ) == [("test:a", 8)]


def test_a_block_that_raises_changes_nothing(migrated: DatabaseTarget) -> None:
    with pytest.raises(RuntimeError), test_db.connect(migrated) as conn:
        conn.execute(ACCOUNT, ("test:b", 5))
        raise RuntimeError("the test changed its mind")
    assert test_db.one(migrated, "SELECT COUNT(*) FROM ledger_accounts WHERE code = 'test:b'") == (
        0,
    )


def test_a_sum_of_integers_is_an_integer(migrated: DatabaseTarget) -> None:
    """PostgreSQL's SUM over BIGINT is NUMERIC: read back as SQLite gives it, an int."""
    test_db.execute(migrated, ACCOUNT, ("test:c", 2))
    test_db.execute(migrated, ACCOUNT, ("test:d", 3))
    [(total,)] = test_db.query(
        migrated, "SELECT SUM(balance) FROM ledger_accounts WHERE currency = 'XTS'"
    )
    assert (total, type(total)) == (5, int)


def test_a_row_pointing_at_nothing_is_planted_only_without_foreign_keys(
    migrated: DatabaseTarget,
) -> None:
    planted = (
        "INSERT INTO ledger_transfers (idempotency_key, debit_account_id, credit_account_id,"
        " amount, currency, kind, reference, created_at)"
        " VALUES ('test:nowhere', -1, -2, 7, 'XTS', 'test', 'planted', 0)"
    )
    with test_db.connect(migrated, foreign_keys=False) as conn:
        conn.execute(planted)
    assert test_db.one(
        migrated, "SELECT amount FROM ledger_transfers WHERE idempotency_key = 'test:nowhere'"
    ) == (7,)


def test_one_working_directory_keeps_one_database(tmp_path: Path) -> None:
    first = test_db.target_for(tmp_path)
    assert test_db.target_for(tmp_path) == first
    assert test_db.workdir_of(first) == tmp_path
    assert test_db.target_for(tmp_path / "other") != first


def test_run_py_test_takes_the_database_flag_out_of_pytests_arguments() -> None:
    for given in (
        ["--database", "postgres", "-x", "tests"],
        ["--database=postgres", "-x", "tests"],
    ):
        args, env = _test_database(given)
        assert (args, env["CASINO_TEST_DATABASE"]) == (["-x", "tests"], "postgres")
    args, env = _test_database(["-k", "database"])
    assert args == ["-k", "database"]
