"""Fixtures that start real processes: a redis-server on a free port and the casino
server itself (`run.py serve`) on another, each in a temporary directory.

Every test that used the server is followed by a reconciliation of the whole
ledger against Redis and the rounds table: no test may leave money unexplained.

`CASINO_TEST_DATABASE=postgres` runs every server on a fresh database in one private
PostgreSQL cluster instead of a SQLite file (tests/support/db.py); tests marked
`sqlite_only` (about the SQLite file itself) are skipped there, with their reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
import redis.asyncio as aioredis

import rng
from clients.api import CasinoClient
from server.money import keys
from server.money.hot import HotWallet
from server.money.reconcile import Report, reconcile
from server.serving import STACKS_WAIT_S, STUCK_SIGNAL
from server.storage.database import Database, DatabaseTarget, is_postgres
from server.storage.redis_child import RedisChild, free_port
from server.storage.redis_client import connect as connect_redis
from server.tools.soak import stack as soak_stack
from server.wiring import histories
from tests.support import db as test_db
from tests.support import round_audit
from tests.support.kyc import STAFF_TOKEN, verify_address, verify_identity
from tests.support.postgres import stop_shared_cluster

ROOT = Path(__file__).resolve().parent.parent
STRONG_PASSWORD = "Correct-Horse-42"
# A server starts in a few seconds; the bound is for a machine running two test workers
# beside other work, where a start (three processes, every migration) can take far longer.
START_TIMEOUT_S = 90
# Real argon2id, at its least cost: at the default (64 MiB, 3 passes) the suite's two
# thousand sign-ups and logins spent about a sixth of its CPU hashing. Live mode refuses
# this (tests/support/modes.py asks for OWASP's least instead); tests/test_passwords.py
# checks the defaults.
FAST_PASSWORD_HASHING = {
    "CASINO_PASSWORD_HASH_TIME_COST": "1",
    "CASINO_PASSWORD_HASH_MEMORY_KIB": "8",
    "CASINO_PASSWORD_HASH_PARALLELISM": "1",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sqlite_only(reason): about SQLite itself; skipped when the suite runs on PostgreSQL",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not test_db.ON_POSTGRES:
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None:
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))


def pytest_sessionfinish() -> None:
    stop_shared_cluster()


@dataclass
class ServerProcess:
    base_url: str
    port: int
    # The server's database: its SQLite file, or on PostgreSQL its URL (tests/support/db.py).
    database_path: DatabaseTarget
    redis: RedisChild
    process: subprocess.Popen[bytes]
    log_path: Path
    workdir: Path  # CASINO_DATA_DIR: its KYC files, mail sink, logs

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


# A port free when picked can be taken before the server binds it: the kernel may give it
# meanwhile to another socket (a connection's local end, a bind to port 0). Such a start is
# tried again on another port, this many times in all.
PORT_TRIES = 3
T = TypeVar("T")
PORT_TAKEN = "Address already in use"


def start_server(
    workdir: Path, redis_child: RedisChild, extra_env: dict[str, str] | None = None
) -> ServerProcess:
    return on_a_free_port(lambda port: _start_server(workdir, redis_child, port, extra_env))


class PortTaken(RuntimeError):
    """The server could not bind the port picked for it."""


def on_a_free_port(start: Callable[[int], T]) -> T:
    """`start(port)` on a free port, on another one when that was taken meanwhile."""
    for _ in range(PORT_TRIES - 1):
        with contextlib.suppress(PortTaken):
            return start(free_port())
    return start(free_port())


def _start_server(
    workdir: Path, redis_child: RedisChild, port: int, extra_env: dict[str, str] | None
) -> ServerProcess:
    database_path: DatabaseTarget = test_db.target_for(workdir)
    if "CASINO_DATABASE_URL" in (extra_env or {}):
        given = (extra_env or {})["CASINO_DATABASE_URL"]
        database_path = given if is_postgres(given) else Path(given.removeprefix("sqlite:///"))
    shared = getattr(redis_child, "shared_database", None)
    if shared is not None and shared != database_path:
        # Its flusher would take the shared server's rounds into a database without their
        # players, and stall there: a second server on the shared Redis shares its database.
        raise ValueError("use the `private_redis` fixture for a server with its own database")
    env = {
        **os.environ,
        "CASINO_NO_BOOTSTRAP": "1",
        "CASINO_DATA_DIR": str(workdir),
        "CASINO_REDIS_URL": redis_child.url,
        "CASINO_DATABASE_URL": test_db.url_of(database_path),
        "CASINO_RESERVATION_TTL_SECONDS": "5",
        "CASINO_ROUND_TIMEOUT_SECONDS": "4",
        "CASINO_MAX_SESSIONS_PER_PLAYER": "64",
        "CASINO_RATE_PER_SECOND": "100000",  # tests play as fast as they can
        "CASINO_RATE_BURST": "100000",
        # Hundreds of tests log in from 127.0.0.1, some with wrong passwords on purpose.
        "CASINO_LOGIN_MAX_FAILURES_PER_ADDRESS": "1000000",
        "CASINO_REGISTRATIONS_PER_ADDRESS": "1000000",  # and register hundreds of players
        # Most tests withdraw without reading mail; tests/test_accounts_* turn the rule on.
        "CASINO_VERIFIED_EMAIL_FOR_WITHDRAWAL": "none",
        "CASINO_ACCOUNT_MAILS_PER_ADDRESS": "1000000",  # every reset test asks from 127.0.0.1
        # Reality checks every second or two, so the server's own timers fire within a test.
        "CASINO_REALITY_CHECK_MIN_SECONDS": "1",
        # Staff approve KYC documents for tests whose players must be verified (deposits in
        # GB, above EUR 2,000, and withdrawals): tests/support/kyc.py.
        "CASINO_STAFF_TOKEN": STAFF_TOKEN,
        **FAST_PASSWORD_HASHING,
        **(extra_env or {}),
    }
    log_path = workdir / f"server-{port}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "run.py"), "serve", "--port", str(port)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    server = ServerProcess(
        f"http://127.0.0.1:{port}", port, database_path, redis_child, process, log_path, workdir
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(f"{server.base_url}/health", timeout=1) as response:
                if response.status == 200:
                    return server
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop_server(server)
            log = server.log()
            raise (PortTaken if PORT_TAKEN in log else RuntimeError)(
                f"server did not start:\n{log}"
            )
        time.sleep(0.05)


def stop_server(server: ServerProcess) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(20)
        except subprocess.TimeoutExpired:
            # Stuck in its shutdown: it writes every thread's and task's stack to its log.
            server.process.send_signal(STUCK_SIGNAL)
            time.sleep(STACKS_WAIT_S)
            server.process.kill()
            server.process.wait()


@pytest.fixture(scope="session")
def redis_child(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisChild]:
    child = RedisChild(tmp_path_factory.mktemp("redis"))
    child.start()
    yield child
    child.stop()


@pytest.fixture(scope="session")
def casino(
    tmp_path_factory: pytest.TempPathFactory, redis_child: RedisChild
) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("casino")
    redis_child.shared_database = test_db.target_for(workdir)  # type: ignore[attr-defined]
    server = start_server(workdir, redis_child)
    yield server
    stop_server(server)


async def settled_report(server: ServerProcess, timeout_s: float = 15.0) -> Report:
    """Reconcile once the stream is flushed and no stake is held (bounded wait)."""
    return await soak_stack.settled_report(server.redis.url, server.database_path, timeout_s)


def problems(report: Report) -> frozenset[str]:
    """What a report finds wrong, one stable string per disagreement (no volatile figures
    for a wallet, so the same wallet's same mismatch is the same problem next time)."""
    found = {f"sum {c}={v}" for c, v in report.currency_sums.items() if v}
    if report.stream_backlog:
        found.add("stream backlog")
    found |= {f"drifted {code}" for code in report.drifted_accounts}
    if report.dead_letters:
        found.add("quarantined stream entries")
    found |= {
        f"player {w.player_id} {w.currency}: {', '.join(w.mismatched)}"
        for w in report.wallets
        if not w.ok
    }
    return frozenset(found)


# Problems of the shared server already reported by the test that caused them. The shared
# server outlives a test, so a mismatch one test leaves stays: each later test fails only for
# a problem of its own, and no later test waits its whole bound for a report that can never
# come clean (it used to: 15 s at every teardown after one failure).
_reported: set[str] = set()


async def report_of_this_test(server: ServerProcess, timeout_s: float = 15.0) -> set[str]:
    """The problems this test left on the shared server, once money stops moving.

    Waits while a round is in flight (stream backlog, a held stake) up to `timeout_s`; once
    nothing moves, a problem seen on two reads 0.5 s apart is final and reported at once.
    """
    client = connect_redis(server.redis.url)
    db = Database(server.database_path)
    await db.open()
    try:
        hot = HotWallet(client, 1)
        deadline = time.monotonic() + timeout_s
        previous: frozenset[str] | None = None
        while True:
            report = await reconcile(db, hot, histories())
            found = problems(report)
            new = found - _reported
            # A backlog or a held stake may be a round still on its way (wait for it), unless
            # an earlier test was already told it never went away.
            in_flight = any(p == "stream backlog" or ": held" in p for p in new)
            if not new:
                return set()
            if time.monotonic() > deadline or (not in_flight and found == previous):
                _reported.update(found)
                return {*new, *(["\n".join(report.lines())] if in_flight else [])}
            previous = None if in_flight else found
            await asyncio.sleep(0.1 if in_flight else 0.5)
    finally:
        await client.aclose()
        await db.close()


@pytest.fixture(autouse=True)
async def ledger_reconciles_after_test(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """After a test on the shared server: the ledger reconciles, and every round the test
    played pays what the published rules pay (recomputed by tests/support/payouts.py)."""
    if "casino" not in request.fixturenames:
        yield
        return
    server: ServerProcess = request.getfixturevalue("casino")
    first = round_audit.last_round(server.database_path)
    yield
    new = await report_of_this_test(server)
    assert not new, "reconciliation found:\n" + "\n".join(sorted(new))
    wrong = round_audit.audit_rounds_after(server.database_path, first)
    assert not wrong, "rounds paid against the rules:\n" + "\n".join(wrong)


def unique(prefix: str) -> str:
    return f"{prefix}{rng.randbytes(6).hex()}"


async def new_player(
    base_url: str, deposit: int = 0, currency: str = "EUR", kyc_level: int = 0
) -> tuple[CasinoClient, dict[str, object]]:
    """A registered, logged-in player (verified to `kyc_level`, then with a sandbox deposit
    if asked); close the client. A deposit above EUR 2,000 needs `kyc_level=2`."""
    client = CasinoClient(base_url)
    name = unique("p_")
    player = await client.register(
        email=f"{name}@example.com",
        username=name,
        password=STRONG_PASSWORD,
        date_of_birth="1985-06-15",
        country="DE",
        currency=currency,
    )
    await client.login(name, STRONG_PASSWORD)
    if kyc_level >= 2:
        await verify_address(client)
    elif kyc_level == 1:
        await verify_identity(client)
    if deposit:
        await client.deposit(deposit, idempotency_key=unique("dep-"))
    return client, player


@dataclass
class Workers:
    """`run.py serve --workers N` on its embedded defaults, in a directory of its own."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path
    env: dict[str, str]

    def log(self) -> str:
        return self.log_path.read_text()


def _spawn_workers(port: int, workers: int, env: dict[str, str], log_path: Path) -> Workers:
    """Workers serving `port`, up (PortTaken when it was taken before they bound it)."""
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "run.py"), "serve", "--port", str(port), "--workers",
             str(workers)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )  # fmt: skip
    served = Workers(process, f"http://127.0.0.1:{port}", log_path, env)
    deadline = time.monotonic() + START_TIMEOUT_S
    while served.log().count("Application startup complete") < workers:
        if process.poll() is not None and PORT_TAKEN in served.log():
            raise PortTaken(served.log())
        if process.poll() is not None or time.monotonic() >= deadline:
            process.send_signal(signal.SIGINT)
            process.wait(60)
            raise AssertionError(served.log())
        time.sleep(0.1)
    return served


@contextlib.contextmanager
def serving_workers(workdir: Path, workers: int = 2) -> Iterator[Workers]:
    """Started and waited for until every worker is up; Ctrl-C (SIGINT) and waited for on
    the way out, so the test can check how it shut down."""
    env = {**os.environ, "CASINO_NO_BOOTSTRAP": "1", "CASINO_DATA_DIR": str(workdir)}
    env.update(FAST_PASSWORD_HASHING)
    env.pop("CASINO_REDIS_URL", None)
    env.pop("CASINO_DATABASE_URL", None)
    log_path = workdir / "workers.log"
    served = on_a_free_port(lambda port: _spawn_workers(port, workers, env, log_path))
    try:
        yield served
    finally:
        served.process.send_signal(signal.SIGINT)
        served.process.wait(60)


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisChild]:
    """A redis-server of the test module's own: for tests that write keys or stream entries
    (rounds of players no database knows) the shared server must never see."""
    child = RedisChild(tmp_path_factory.mktemp("own-redis"))
    child.start()
    yield child
    child.stop()


@pytest.fixture
async def own_redis_client(own_redis: RedisChild) -> AsyncIterator[aioredis.Redis]:
    """A client of the module's own redis-server, emptied before each test."""
    client = connect_redis(own_redis.url)
    await client.flushall()
    yield client
    await client.aclose()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisChild]:
    """A redis-server of the test's own, for a server that must not share the session's."""
    child = RedisChild(tmp_path / "private-redis")
    child.start()
    yield child
    child.stop()


@pytest.fixture
async def redis_client(redis_child: RedisChild) -> AsyncIterator[aioredis.Redis]:
    client = connect_redis(redis_child.url)
    yield client
    await client.aclose()


__all__ = ["STRONG_PASSWORD", "ServerProcess", "keys", "new_player", "unique"]
