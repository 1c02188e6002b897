"""The risk monitor in a child process of its own: its start, its stop, its restarts.

Why a process: the monitor reads every stake off the event stream, and with the rules,
the features' round trips and the decoding that is CPU per bet the server process, which
serves the WebSockets, is better without (the flusher's child is there for the same
reason: server/money/journal/flusher_process.py). The child runs the same `Monitor` as a
member of the consumer group `risk` under the parent's consumer name, so a replacement
child first evaluates what its predecessor read and never acknowledged, and the group's
offset in Redis makes it resume where the group left off.

What the child may not do is change an account: that belongs to accounts, in the server
process. A hit whose action restricts or locks the account is evaluated, written as an
alert and audited in the child, and its status change goes to the parent as a line on
stdout (`Act`); the parent sets the status (which ends the player's sessions) and pushes
the `forced_logout`, in that order, so a reconnecting player meets the new status. The
child also reports what it evaluated after each batch (`Evaluated`), which the parent
adds up in `counters` for `run.py bench`.

The parent talks to the child through its stdin and stdout only: the settings (the Redis
URL with its password among them) as one JSON line on stdin, never on the command line;
the end of stdin means stop, whether the parent closed it or died; PR_SET_PDEATHSIG on
Linux too. The child logs JSON to the server's stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO

import msgspec
import redis.asyncio as aioredis

from server.config import Settings
from server.events import push
from server.events.consumer import BATCH
from server.observability import logging as json_logging
from server.observability import metrics
from server.risk import alerts, geoip, policy
from server.risk.alerts import AccountStatus, Alert
from server.risk.monitor import Counters, Monitor
from server.storage import redis_client
from server.storage.database import Database, is_postgres

MODULE = "server.risk.process"
log = logging.getLogger(MODULE)  # by name: in the child, run with -m, __name__ is "__main__"

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
STOP_GRACE_S = 5.0
RESTART_DELAY_S = 0.5
MAX_RESTART_DELAY_S = 10.0
STEADY_AFTER_S = 30.0
LINE_LIMIT = 1024 * 1024
PR_SET_PDEATHSIG = 1


class MonitorSettings(msgspec.Struct, frozen=True):
    redis_url: str
    database: str  # a SQLite file's absolute path or a postgresql:// URL
    policy_file: str
    geoip_file: str
    consumer: str
    log_level: str
    log_levels: list[tuple[str, str]]
    parent_pid: int


class Ready(msgspec.Struct, frozen=True, tag="ready"):
    pid: int


class Act(msgspec.Struct, frozen=True, tag="act"):
    """Set the player's status (restricted, disabled) for an alert, then end their play."""

    player_id: int
    status: str
    reason: str


class Evaluated(msgspec.Struct, frozen=True, tag="evaluated"):
    """One batch's work: events read, rules evaluated, hits, alerts and their lags (ms)."""

    events: int
    evaluated: int
    hits: int
    alerts: int
    rules_hit: dict[str, int]
    lags_ms: list[int]


Report = Ready | Act | Evaluated
_reports = msgspec.json.Decoder(Report)


class MonitorNotStarted(RuntimeError):
    pass


# -- the parent's side -------------------------------------------------------------------------
class MonitorProcess:
    """One risk monitor child for this server process, replaced whenever it dies until
    `stop`. `counters` adds up what every child evaluated."""

    def __init__(
        self, settings: Settings, consumer: str, set_status: AccountStatus, client: aioredis.Redis
    ) -> None:
        # Read now, in the parent: a bad policy or GeoIP file stops the start-up here.
        policy.load(settings.risk_policy_file)
        geoip.load(settings.geoip_file)
        self.settings = MonitorSettings(
            redis_url=settings.redis_url,
            database=settings.postgres_url or str(settings.database_path.resolve()),
            policy_file=settings.risk_policy_file,
            geoip_file=settings.geoip_file,
            consumer=consumer,
            log_level=settings.log_level,
            log_levels=list(settings.log_levels),
            parent_pid=os.getpid(),
        )
        self.set_status = set_status
        self.client = client
        self.counters = Counters()
        self.pid: int | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        process = await self._spawn()
        self._supervisor = asyncio.create_task(self._supervise(process), name="risk-process")

    async def stop(self) -> None:
        self._stopping.set()
        if self._process is not None:
            await _end(self._process)
        if self._supervisor is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._supervisor), STOP_TIMEOUT_S)
            except TimeoutError:
                self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)

    async def _spawn(self) -> asyncio.subprocess.Process:
        env = {k: v for k, v in os.environ.items() if k != metrics.MULTIPROCESS_ENV}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", MODULE, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, env=env, limit=LINE_LIMIT,
        )  # fmt: skip
        self._process = process
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(msgspec.json.encode(self.settings) + b"\n")
        line = b""
        with contextlib.suppress(TimeoutError, ConnectionError):
            await process.stdin.drain()
            line = await asyncio.wait_for(process.stdout.readline(), READY_TIMEOUT_S)
        try:
            report = _reports.decode(line)
        except msgspec.DecodeError:
            report = None
        if not isinstance(report, Ready):
            await _end(process, timeout_s=0)
            raise MonitorNotStarted(
                f"risk monitor process {process.pid} did not report ready within"
                f" {READY_TIMEOUT_S:.0f}s (exit code {process.returncode}); its log is above"
            )
        self.pid = process.pid
        log.info("risk monitor process %d is running", process.pid)
        return process

    async def _supervise(self, process: asyncio.subprocess.Process) -> None:
        delay = RESTART_DELAY_S
        while True:
            began = time.monotonic()
            await self._relay(process)
            code = await process.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - began > STEADY_AFTER_S:
                delay = RESTART_DELAY_S
            log.error(
                "risk monitor process %d ended with exit code %s: starting another in %.1fs",
                process.pid, code, delay,
            )  # fmt: skip
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)
                    return
                delay = min(delay * 2, MAX_RESTART_DELAY_S)
                try:
                    process = await self._spawn()
                except (MonitorNotStarted, OSError) as error:
                    if self._stopping.is_set():
                        return
                    log.error("%s: trying again in %.1fs", error, delay)
                    continue
                if self._stopping.is_set():
                    await _end(process)
                    return
                break

    async def _relay(self, process: asyncio.subprocess.Process) -> None:
        """Act on the child's reports until its stdout ends."""
        assert process.stdout is not None
        while True:
            try:
                line = await process.stdout.readline()
            except ValueError:  # a line over LINE_LIMIT: not one of ours
                log.warning("risk monitor process %d wrote an over-long line", process.pid)
                continue
            if not line:
                return
            try:
                report = _reports.decode(line)
            except msgspec.DecodeError:
                log.warning("risk monitor process %d wrote %r", process.pid, line[:200])
                continue
            if isinstance(report, Act):
                await self._act(report)
            elif isinstance(report, Evaluated):
                self._count(report)

    async def _act(self, report: Act) -> None:
        try:
            await self.set_status(report.player_id, report.status, report.reason)
            await push.publish(
                self.client, report.player_id, {"type": "forced_logout", "reason": "risk"}
            )
        except Exception:  # the alert stands, and staff see it: log, keep relaying
            log.exception("risk action on player %d failed", report.player_id)

    def _count(self, report: Evaluated) -> None:
        metrics.record_risk(
            report.events, report.evaluated, report.rules_hit, report.alerts, report.lags_ms
        )
        counters = self.counters
        counters.events += report.events
        counters.evaluated += report.evaluated
        counters.hits += report.hits
        counters.alerts += report.alerts
        counters.rules_hit.update(report.rules_hit)
        counters.lags_ms.extend(report.lags_ms)


async def _end(process: asyncio.subprocess.Process, timeout_s: float = STOP_TIMEOUT_S) -> None:
    if process.returncode is not None:
        return
    if process.stdin is not None:
        process.stdin.close()  # the end of stdin: the child stops its monitor and exits
    try:
        await asyncio.wait_for(process.wait(), timeout_s)
    except TimeoutError:
        if timeout_s:
            log.error("risk monitor process %d did not stop in %.0fs", process.pid, timeout_s)
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


# -- the child's side --------------------------------------------------------------------------
class _Reporter:
    def __init__(self, channel: IO[bytes]) -> None:
        self.channel = channel

    def send(self, report: Report) -> None:
        self.channel.write(msgspec.json.encode(report) + b"\n")
        self.channel.flush()

    def evaluated(self, batch: Counters) -> None:
        self.send(
            Evaluated(
                batch.events, batch.evaluated, batch.hits, batch.alerts, dict(batch.rules_hit),
                list(batch.lags_ms),
            )
        )  # fmt: skip

    def action(self) -> Callable[[Alert], Awaitable[None]]:
        async def act(alert: Alert) -> None:
            status = alerts.STATUS_OF.get(alert.action)
            if status is not None:
                self.send(Act(alert.player_id, status, f"risk:{alert.rule}"))

        return act


def _read_settings() -> MonitorSettings:
    line = bytearray()  # byte by byte: a buffered reader could swallow what follows
    while not line.endswith(b"\n"):
        chunk = os.read(0, 1)
        if not chunk:
            raise SystemExit("risk monitor process: stdin ended before its settings")
        line += chunk
    return msgspec.json.decode(bytes(line), type=MonitorSettings)


def _die_with_parent(parent_pid: int) -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            log.warning("PR_SET_PDEATHSIG failed (errno %d)", ctypes.get_errno())
    if os.getppid() != parent_pid:  # it died before the line above took effect
        raise SystemExit("risk monitor process: the server is gone")


def _exit_now(code: int, why: str) -> None:
    log.error("risk monitor process %d exits at once: %s", os.getpid(), why)
    logging.shutdown()
    os._exit(code)


class _Stopping:
    """The one stop, whichever signal comes first (stdin's end, SIGTERM); a stop that hangs
    ends the process after the grace."""

    def __init__(self, loop: asyncio.AbstractEventLoop, task: asyncio.Task[None]) -> None:
        self.loop = loop
        self.task = task
        self.requested = False

    def __call__(self) -> None:
        if self.requested:
            return
        self.requested = True
        self.task.cancel()
        timer = threading.Timer(STOP_GRACE_S, _exit_now, args=(1, "did not stop in time"))
        timer.daemon = True
        timer.start()

    def at_end_of_stdin(self) -> None:
        while os.read(0, 4096):
            pass
        with contextlib.suppress(RuntimeError):  # the loop already ended
            self.loop.call_soon_threadsafe(self)


async def _serve(settings: MonitorSettings, reporter: _Reporter) -> None:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    stopping = _Stopping(loop, task)
    loop.add_signal_handler(signal.SIGTERM, stopping)
    threading.Thread(target=stopping.at_end_of_stdin, name="stdin", daemon=True).start()
    client = redis_client.connect(settings.redis_url)
    db = Database(settings.database if is_postgres(settings.database) else Path(settings.database))
    try:
        await db.open()
        await client.ping()
        monitor = Monitor(
            client, db, policy.load(settings.policy_file), geoip.load(settings.geoip_file),
            name=settings.consumer, apply=reporter.action(),
            on_batch=reporter.evaluated,
        )  # fmt: skip
        reporter.send(Ready(os.getpid()))
        await monitor.join()
        # What a predecessor of this name read and never acknowledged, first.
        while entries := await monitor.consumer.read_own_pending(BATCH):
            await monitor.process(entries)
        await monitor.run()
    except asyncio.CancelledError:
        log.info("risk monitor process %d stopping", os.getpid())
    finally:
        await client.aclose()
        await db.close()


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    settings = _read_settings()
    json_logging.install(settings.log_level, settings.log_levels)
    _die_with_parent(settings.parent_pid)
    reporter = _Reporter(os.fdopen(os.dup(1), "wb"))  # reports get stdout to themselves
    os.dup2(2, 1)
    try:
        asyncio.run(_serve(settings, reporter))
    except BaseException as error:
        log.critical("risk monitor process %d failed", os.getpid(), exc_info=error)
        _exit_now(1, type(error).__name__)


if __name__ == "__main__":
    main()
