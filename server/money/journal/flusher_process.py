"""The running flusher, in a child process of its own: its start, its stop, its restarts.

Why a process: the flusher's batches (decoding entries, building the multi-row statements,
the ledger's postings) held the GIL about 12 % of the time on a thread of the server, time
the event loop serving the WebSockets could not use, and every GIL hand-off between the two
added latency. In a process of its own it uses the second core instead. It runs the same
`Flusher` (same batches, dead letters and writers) under the parent's consumer name, so a
replacement child first writes what its predecessor left pending, and the parent's
start-up and shutdown drains (on the server's loop, while no child runs) see it all too.

The parent talks to the child through its stdin and stdout only. Its settings, the Redis
URL with its password among them, go as one JSON line on stdin (never on the command line,
which `ps` shows); the end of stdin means stop, whether the parent closed it or died. The
child answers with JSON lines on stdout: `ready` once its database and Redis are open, then
one line per committed batch, failed attempt or dead letter, which the parent records in
its own metrics (nobody scrapes the child). It logs JSON to the same stderr as the server.
It must never outlive the parent: PR_SET_PDEATHSIG on Linux, and stdin's end everywhere.

It is also where balance pushes are relayed (`server/events/push.py` `PushRelay`): reading
every money event off the stream costs CPU per bet that the server process is better
without, and this process already holds a Redis client and a core of its own. For the same
reason it runs the event-stream consumers the wiring names (`consumers`: loyalty points,
the reporting store), each a `module:Class` path built with the child's Redis client and
database and run until the child stops. By path, not by import: a consumer belongs to a
domain or an edge above money's floor, and only the wiring may know both.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import importlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Protocol

import msgspec
import redis.asyncio as aioredis

from server.config import Settings
from server.events import push
from server.money.journal import adjustments as adjustments_journal
from server.money.journal import bonus as bonus_journal
from server.money.journal import closures as closures_journal
from server.money.journal import payments as payments_journal
from server.money.journal import provider as provider_journal
from server.money.journal.flusher import Flusher, Writer
from server.observability import logging as json_logging
from server.observability import metrics
from server.storage import redis_client
from server.storage.database import Database, is_postgres

MODULE = "server.money.journal.flusher_process"
# By name: in the child, run with -m, __name__ is "__main__".
log = logging.getLogger(MODULE)

ROOT = Path(__file__).resolve().parents[3]
READY_TIMEOUT_S = 30.0  # a fresh database's first open may wait for a sibling's migration
STOP_TIMEOUT_S = 10.0
STOP_GRACE_S = 5.0  # the child's own bound on its stop, within the parent's
RESTART_DELAY_S = 0.5
MAX_RESTART_DELAY_S = 10.0
STEADY_AFTER_S = 30.0  # a child that ran this long died of something new: restart at once
LINE_LIMIT = 16 * 1024 * 1024  # one batch's line: a few bytes per entry
PR_SET_PDEATHSIG = 1

WRITERS: dict[str, Writer] = {
    **provider_journal.WRITERS,
    **payments_journal.WRITERS,
    **bonus_journal.WRITERS,
    **adjustments_journal.WRITERS,
    **closures_journal.WRITERS,
}


class FlusherSettings(msgspec.Struct, frozen=True):
    redis_url: str
    database: str  # a SQLite file's absolute path or a postgresql:// URL
    batch: int
    block_ms: int
    consumer: str
    log_level: str
    log_levels: list[tuple[str, str]]
    parent_pid: int
    consumers: list[str] = []


class Ready(msgspec.Struct, frozen=True, tag="ready"):
    pid: int


class Flushed(msgspec.Struct, frozen=True, tag="flushed"):
    entries: int
    written: int
    lags_ms: list[int]


class Failed(msgspec.Struct, frozen=True, tag="failed"):
    error: str
    backend: str | None


class DeadLetter(msgspec.Struct, frozen=True, tag="dead_letter"):
    kind: str


Report = Ready | Flushed | Failed | DeadLetter
_reports = msgspec.json.Decoder(Report)


class FlusherNotStarted(RuntimeError):
    pass


# -- the parent's side -------------------------------------------------------------------------
class FlusherProcess:
    """One flusher child for this server process, replaced whenever it dies until `stop`."""

    def __init__(self, settings: Settings, consumer: str, consumers: Sequence[str] = ()) -> None:
        self.settings = FlusherSettings(
            redis_url=settings.redis_url,
            database=settings.postgres_url or str(settings.database_path.resolve()),
            batch=settings.flush_batch,
            block_ms=settings.flush_block_ms,
            consumer=consumer,
            log_level=settings.log_level,
            log_levels=list(settings.log_levels),
            parent_pid=os.getpid(),
            consumers=list(consumers),
        )
        self._process: asyncio.subprocess.Process | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._ready = False
        self._stopping = asyncio.Event()

    @property
    def running(self) -> bool:
        """A child has reported ready and its report stream has not ended."""
        return self._ready

    async def start(self) -> None:
        """Start the child and wait until it is ready; raises FlusherNotStarted otherwise.
        From then on a child that dies is replaced, after a growing delay."""
        process = await self._spawn()
        self._supervisor = asyncio.create_task(self._supervise(process), name="flusher-process")

    async def stop(self) -> None:
        """Ask the child to stop (it cancels its flusher between or inside a batch, and a
        cancelled batch rolls back, its entries left pending), wait, kill it after that."""
        self._stopping.set()
        if self._process is not None:
            await self._end(self._process)
        if self._supervisor is not None:
            try:  # it relays the child's last reports, then returns
                await asyncio.wait_for(asyncio.shield(self._supervisor), STOP_TIMEOUT_S)
            except TimeoutError:
                self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)

    async def _spawn(self) -> asyncio.subprocess.Process:
        env = {k: v for k, v in os.environ.items() if k != metrics.MULTIPROCESS_ENV}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        # From the loop's thread, which lives as long as the process: PR_SET_PDEATHSIG fires
        # when the thread that started the child ends, not the process.
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            MODULE,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
            limit=LINE_LIMIT,
        )
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
            await self._end(process, timeout_s=0)
            raise FlusherNotStarted(
                f"flusher process {process.pid} did not report ready within"
                f" {READY_TIMEOUT_S:.0f}s (exit code {process.returncode}); its log is above"
            )
        self._ready = True
        log.info("flusher process %d is running", process.pid)
        return process

    async def _supervise(self, process: asyncio.subprocess.Process) -> None:
        delay = RESTART_DELAY_S
        while True:
            began = time.monotonic()
            await self._relay(process)
            self._ready = False
            code = await process.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - began > STEADY_AFTER_S:
                delay = RESTART_DELAY_S
            log.error(
                "flusher process %d ended with exit code %s: starting another in %.1fs",
                process.pid,
                code,
                delay,
            )
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)
                    return
                delay = min(delay * 2, MAX_RESTART_DELAY_S)
                try:
                    process = await self._spawn()
                except (FlusherNotStarted, OSError) as error:
                    if self._stopping.is_set():  # stop ended the child while it started
                        return
                    log.error("%s: trying again in %.1fs", error, delay)
                    continue
                if self._stopping.is_set():  # stop came while this child was starting
                    await self._end(process)
                    return
                break

    async def _relay(self, process: asyncio.subprocess.Process) -> None:
        """Record the child's reports in this process's metrics until its stdout ends."""
        assert process.stdout is not None
        while True:
            try:
                line = await process.stdout.readline()
            except ValueError:  # a line over LINE_LIMIT: not one of ours
                log.warning("flusher process %d wrote an over-long line", process.pid)
                continue
            if not line:
                return
            try:
                report = _reports.decode(line)
            except msgspec.DecodeError:
                log.warning("flusher process %d wrote %r", process.pid, line[:200])
                continue
            if isinstance(report, Flushed):
                metrics.record_flushed(report.entries, report.written, report.lags_ms)
            elif isinstance(report, Failed):
                metrics.record_flusher_failure(report.error, report.backend)
            elif isinstance(report, DeadLetter):
                metrics.record_dead_letter(report.kind)

    @staticmethod
    async def _end(process: asyncio.subprocess.Process, timeout_s: float = STOP_TIMEOUT_S) -> None:
        if process.returncode is not None:
            return
        if process.stdin is not None:
            process.stdin.close()  # the end of stdin: the child stops its flusher and exits
        try:
            await asyncio.wait_for(process.wait(), timeout_s)
        except TimeoutError:
            if timeout_s:
                log.error("flusher process %d did not stop within %.0fs", process.pid, timeout_s)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


# -- the child's side --------------------------------------------------------------------------
class _Reporter:
    """The child's metrics recorders, forwarded to the parent as one line per event."""

    def __init__(self, channel: IO[bytes]) -> None:
        self.channel = channel
        self._lock = threading.Lock()

    def send(self, report: Report) -> None:
        with self._lock:
            self.channel.write(msgspec.json.encode(report) + b"\n")
            self.channel.flush()

    def flushed(self, entries: int, written: int, lags_ms: list[int]) -> None:
        self.send(Flushed(entries, written, lags_ms))

    def failed(self, error: str, backend: str | None) -> None:
        self.send(Failed(error, backend))

    def dead_letter(self, kind: str) -> None:
        self.send(DeadLetter(kind))


def _read_settings() -> FlusherSettings:
    # Byte by byte from the descriptor: a buffered reader could swallow what follows.
    line = bytearray()
    while not line.endswith(b"\n"):
        chunk = os.read(0, 1)
        if not chunk:
            raise SystemExit("flusher process: stdin ended before its settings")
        line += chunk
    return msgspec.json.decode(bytes(line), type=FlusherSettings)


def _die_with_parent(parent_pid: int) -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            log.warning("PR_SET_PDEATHSIG failed (errno %d)", ctypes.get_errno())
    if os.getppid() != parent_pid:  # it died before the line above took effect
        raise SystemExit("flusher process: the server is gone")


class _Stopping:
    """The one stop of the child's flusher, whichever signal of it comes first (the end of
    stdin, SIGTERM from the parent's death) and however many arrive: a second cancellation
    would cut the closing of the database short."""

    def __init__(self, loop: asyncio.AbstractEventLoop, task: asyncio.Task[None]) -> None:
        self.loop = loop
        self.task = task
        self.requested = False

    def __call__(self) -> None:
        if self.requested:
            return
        self.requested = True
        self.task.cancel()
        # A stop that never finishes (a cancellation swallowed, a close that hangs) must not
        # leave an orphan: after the grace the process ends at once. SQLite rolls back a
        # batch cut short that way, and its entries stay pending.
        timer = threading.Timer(STOP_GRACE_S, _exit_now, args=(1, "did not stop in time"))
        timer.daemon = True
        timer.start()

    def at_end_of_stdin(self) -> None:
        while os.read(0, 4096):
            pass  # the parent sends nothing after the settings; the end is what matters
        with contextlib.suppress(RuntimeError):  # the loop already ended
            self.loop.call_soon_threadsafe(self)


def _exit_now(code: int, why: str) -> None:
    log.error("flusher process %d exits at once: %s", os.getpid(), why)
    logging.shutdown()
    os._exit(code)


class StreamConsumer(Protocol):
    async def run(self) -> None: ...


def consumer_at(path: str, client: aioredis.Redis, db: Database) -> StreamConsumer:
    """The consumer `module:Class` names, built with this process's client and database."""
    module, _, name = path.partition(":")
    factory = getattr(importlib.import_module(module), name)
    consumer: StreamConsumer = factory(client, db)
    return consumer


async def _serve(settings: FlusherSettings, reporter: _Reporter) -> None:
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
        flusher = Flusher(client, db, settings.batch, settings.block_ms, writers=WRITERS)
        flusher.consumer = settings.consumer  # the parent's: its drains see what we hold
        reporter.send(Ready(os.getpid()))
        # Built once ready: their imports (domains above money) need not delay the start.
        consumers = {path: consumer_at(path, client, db) for path in settings.consumers}
        # Balance pushes are read off the event stream here too, beside the journal and off
        # the request path: the server process spends its CPU on bets, not on relaying.
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(flusher.run(), name="flusher")
            tasks.create_task(push.PushRelay(client).run(), name="push-relay")
            for path, consumer in consumers.items():
                tasks.create_task(consumer.run(), name=path)
    except asyncio.CancelledError:
        log.info("flusher process %d stopping", os.getpid())
    finally:
        await client.aclose()
        await db.close()


def main() -> None:
    # A terminal's Ctrl-C reaches the whole process group: the parent decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    settings = _read_settings()
    json_logging.install(settings.log_level, settings.log_levels)
    _die_with_parent(settings.parent_pid)
    # Reports get stdout's descriptor to themselves; anything printed goes to stderr.
    reporter = _Reporter(os.fdopen(os.dup(1), "wb"))
    os.dup2(2, 1)
    metrics.forward_flusher_metrics(reporter)
    try:
        asyncio.run(_serve(settings, reporter))
    except BaseException as error:
        # aiosqlite's threads are no daemons: after a failure they would keep us alive.
        log.critical("flusher process %d failed", os.getpid(), exc_info=error)
        _exit_now(1, type(error).__name__)


if __name__ == "__main__":
    main()
