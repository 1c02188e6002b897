"""A private PostgreSQL cluster for tests (server/storage/private_postgres.py: `initdb` in a
temporary directory, its own port and socket directory, no system service, stopped and
deleted afterwards).

One cluster serves the whole session (`shared_cluster`, started on first use, stopped by
tests/conftest.py when the session ends): the `postgres_cluster` fixture, and every server and
database of a session run with `CASINO_TEST_DATABASE=postgres` (tests/support/db.py). Each
user gets a fresh database in it (`new_database`). `database_target` parametrises a test on
both dialects, giving a fresh SQLite file or a fresh PostgreSQL database per test. Where
PostgreSQL is not installed the PostgreSQL cases skip with the reason (`run.py test` installs
Debian's `postgresql` first, so under it they always run).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from server.storage.database import DatabaseTarget
from server.storage.private_postgres import NOT_INSTALLED, PostgresCluster, bin_dir, started

__all__ = [
    "NOT_INSTALLED",
    "PostgresCluster",
    "bin_dir",
    "database_target",
    "postgres_cluster",
    "shared_cluster",
    "stop_shared_cluster",
]

_shared: PostgresCluster | None = None
_lock = threading.Lock()


def shared_cluster() -> PostgresCluster:
    """The session's one cluster, started on first use (RuntimeError when not installed)."""
    global _shared
    with _lock:
        if _shared is None:
            _shared = started()
        return _shared


def stop_shared_cluster() -> None:
    """Stop and delete the session's cluster, if one was started (the session's end)."""
    global _shared
    with _lock:
        if _shared is not None:
            _shared.stop()
        _shared = None


@pytest.fixture(scope="session")
def postgres_cluster() -> PostgresCluster:
    if bin_dir() is None:
        pytest.skip(NOT_INSTALLED)
    return shared_cluster()


@pytest.fixture(params=["sqlite", "postgres"])
def database_target(request: pytest.FixtureRequest, tmp_path: Path) -> DatabaseTarget:
    """A fresh database of each dialect in turn: a SQLite file path or a PostgreSQL URL."""
    if request.param == "sqlite":
        return tmp_path / "casino.db"
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    return cluster.new_database()
