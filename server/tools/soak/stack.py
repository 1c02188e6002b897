"""The processes a scenario runs against: a private redis-server and a casino server on
free ports in one work directory, which a crash scenario may kill and start again on the
same Redis and database. Also what every scenario needs around them: a funded player and
a reconciliation that waits (bounded) for the flusher and the sweeper to finish."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import rng
from clients import verification
from clients.api import CasinoClient
from server.money.hot import HotWallet
from server.money.reconcile import Report, reconcile
from server.storage.database import Database, DatabaseTarget
from server.storage.redis_child import RedisChild, free_port
from server.storage.redis_client import connect as connect_redis
from server.wiring import histories

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "Correct-Horse-42"  # noqa: S105 (throw-away players of a soak run)
STAFF_TOKEN = "soak-staff-token-" + "0" * 24  # a private server's staff API, nothing else
# Scenarios push as hard as they can: the limits under test are the wallet's, not the socket's.
UNLIMITED = {
    "CASINO_RATE_PER_SECOND": "100000",
    "CASINO_RATE_BURST": "100000",
    "CASINO_MAX_SESSIONS_PER_PLAYER": "64",
    "CASINO_MAX_PENDING": "64",
    "CASINO_REGISTRATIONS_PER_ADDRESS": "1000000",  # every player registers from 127.0.0.1
    "CASINO_STAFF_TOKEN": STAFF_TOKEN,  # to verify players' KYC (`funded_player`)
    "CASINO_RESERVATION_TTL_SECONDS": "5",
    "CASINO_ROUND_TIMEOUT_SECONDS": "4",
    # The fuzz players are funded with 100,000.00 of play money, past the demo's daily limit.
    "CASINO_SANDBOX_DAILY_DEPOSIT_LIMIT": "1000000000000",
}


@dataclass
class Stack:
    workdir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    redis: RedisChild = field(init=False)
    port: int = field(init=False, default=0)
    process: subprocess.Popen[bytes] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.redis = RedisChild(self.workdir / "redis")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database_path(self) -> Path:
        return self.workdir / "casino.db"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"server-{self.port}.log"

    def start(self) -> Stack:
        self.redis.start()
        try:
            self.start_server()
        except BaseException:
            self.redis.stop()
            raise
        return self

    def start_server(self) -> None:
        """A fresh server process on the same Redis and database (after a crash, too)."""
        self.port = free_port()
        env = {
            **os.environ,
            **UNLIMITED,
            **self.extra_env,
            "CASINO_NO_BOOTSTRAP": "1",
            "CASINO_DATA_DIR": str(self.workdir),
            "CASINO_REDIS_URL": self.redis.url,
            "CASINO_DATABASE_URL": f"sqlite:///{self.database_path}",
        }
        with self.log_path.open("wb") as log_file:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "run.py"), "serve", "--port", str(self.port)],
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        deadline = time.monotonic() + 30
        while not self.healthy():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop_server()
                tail = self.log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"server did not start; {self.log_path} ends:\n{tail}")
            time.sleep(0.05)

    def healthy(self) -> bool:
        try:
            url = f"{self.base_url}/health"
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (http)
                return bool(response.status == 200)
        except OSError:
            return False

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill_server(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop_server(self) -> None:
        """SIGTERM: in-flight requests finish and the stream is flushed."""
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def close(self) -> None:
        self.stop_server()
        self.redis.stop()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


async def funded_player(
    base_url: str, deposit: int, staff_token: str = STAFF_TOKEN
) -> CasinoClient:
    """A registered, logged-in player with a sandbox deposit; the caller closes it. Verified
    to KYC level 2 first, so a deposit of any size passes KYC (above EUR 2,000 needs it)."""
    client = CasinoClient(base_url)
    try:
        await _fund(client, deposit, staff_token)
    except BaseException:
        await client.http.aclose()
        raise
    return client


async def _fund(client: CasinoClient, deposit: int, staff_token: str) -> None:
    name = f"soak_{rng.randbytes(6).hex()}"
    await client.register(
        email=f"{name}@example.com",
        username=name,
        password=PASSWORD,
        date_of_birth="1985-06-15",
        country="DE",
        currency="EUR",
    )
    await client.login(name, PASSWORD)
    if deposit:
        await verification.verify(client, staff_token, 2)
        await client.deposit(deposit, idempotency_key=f"dep-{rng.token_urlsafe(12)}")


async def settled_report(
    redis_url: str, database: DatabaseTarget, timeout_s: float = 20.0
) -> Report:
    """Reconcile once the stream is flushed and no stake is held (bounded wait)."""
    client = connect_redis(redis_url)
    db = Database(database)
    await db.open()
    try:
        hot = HotWallet(client, 1)
        deadline = time.monotonic() + timeout_s
        while True:
            report = await reconcile(db, hot, histories())
            if report.ok or time.monotonic() > deadline:
                return report
            await asyncio.sleep(0.1)
    finally:
        await client.aclose()
        await db.close()
