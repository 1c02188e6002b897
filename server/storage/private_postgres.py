"""A private PostgreSQL cluster: `initdb` in a temporary directory, its own port and socket
directory, no system service, stopped and deleted afterwards.

The one implementation behind the tests' cluster (tests/support/postgres.py) and
`run.py bench --database postgres`. It needs only the binaries (Debian's `postgresql`
package, which `run.py test` and `run.py bench --database postgres` install when missing);
`bin_dir()` finds them. initdb and postgres refuse to run as root: as root the cluster runs
as the `postgres` user the Debian package creates, in a directory given to it.

A cluster is fast and forgetful by default (fsync, synchronous commit and full-page writes
off: a test's data need not survive a crash of the machine); `durable=True` keeps
PostgreSQL's own defaults, so a bench compares it fairly with SQLite, which syncs every
commit.
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

from server.storage.redis_child import free_port

USER = "casino"  # the cluster's superuser, trusted on 127.0.0.1 only
NOT_INSTALLED = (
    "PostgreSQL is not installed (run.py test and run.py bench --database postgres install"
    " Debian's postgresql)"
)
FORGETFUL = " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"


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
    def __init__(self, bin_path: Path, durable: bool = False) -> None:
        self.bin = bin_path
        self.durable = durable
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
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c max_connections=200"
        )
        if not self.durable:
            options += FORGETFUL
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-w",
            "-l", str(self.root / "server.log"), "start",
        )  # fmt: skip

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresCluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

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


def started(durable: bool = False) -> PostgresCluster:
    """A new cluster, started (RuntimeError when PostgreSQL is not installed); the caller
    stops it (or uses it as a context manager, which also stops it)."""
    found = bin_dir()
    if found is None:
        raise RuntimeError(NOT_INSTALLED)
    cluster = PostgresCluster(found, durable=durable)
    return cluster.__enter__()
