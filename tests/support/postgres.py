"""A private PostgreSQL cluster for tests: `initdb` in a temporary directory, its own port
and socket directory, no system service, stopped and deleted afterwards.

One cluster serves the whole session (`shared_cluster`, started on first use, stopped by
tests/conftest.py when the session ends): the `postgres_cluster` fixture, and every server and
database of a session run with `CASINO_TEST_DATABASE=postgres` (tests/support/db.py). Each
user gets a fresh database in it (`new_database`). `database_target` parametrises a test on
both dialects, giving a fresh SQLite file or a fresh PostgreSQL database per test. Where
PostgreSQL is not installed the PostgreSQL cases skip with the reason (`run.py test` installs
Debian's `postgresql` first, so under it they always run).

initdb and postgres refuse to run as root: as root the cluster runs as the `postgres` user
the Debian package creates, in a directory given to it.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

from server.storage.database import DatabaseTarget
from server.storage.redis_child import free_port

USER = "casino"  # the cluster's superuser, trusted on 127.0.0.1 only


def bin_dir() -> Path | None:
    """Where initdb is: PATH first, then Debian's /usr/lib/postgresql/N/bin (newest)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent  # Debian links some into /usr/local/bin
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    return Path(candidates[-1]).parent if candidates else None


class PostgresCluster:
    def __init__(self, bin_path: Path) -> None:
        self.bin = bin_path
        self.root = Path(tempfile.mkdtemp(prefix="casino-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.port = free_port()
        self._names = itertools.count(1)
        self._names_lock = threading.Lock()
        self._as: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self._as = ["setpriv", f"--reuid={owner.pw_uid}", f"--regid={owner.pw_gid}"]
            self._as += ["--init-groups", "--"]

    def _run(self, *command: str) -> None:
        result = subprocess.run(
            [*self._as, *command], capture_output=True, text=True, cwd=self.root, check=False
        )
        if result.returncode:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")

    def start(self) -> None:
        self.sockets.mkdir()
        if self._as:
            shutil.chown(self.sockets, "postgres", "postgres")
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", USER, "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        options = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=200"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-w",
            "-l", str(self.root / "server.log"), "start",
        )  # fmt: skip

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database's URL."""
        with self._names_lock:
            name = f"t{next(self._names)}"
        self._run(
            str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", USER,
            "-d", "postgres", "-q", "-c", f"CREATE DATABASE {name}",
        )  # fmt: skip
        return self.url(name)


NOT_INSTALLED = "PostgreSQL is not installed (run.py test installs Debian's postgresql)"
_shared: PostgresCluster | None = None
_lock = threading.Lock()


def shared_cluster() -> PostgresCluster:
    """The session's one cluster, started on first use (RuntimeError when not installed)."""
    global _shared
    with _lock:
        if _shared is None:
            found = bin_dir()
            if found is None:
                raise RuntimeError(NOT_INSTALLED)
            cluster = PostgresCluster(found)
            try:
                cluster.start()
            except BaseException:
                cluster.stop()
                raise
            _shared = cluster
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
