"""The server's own child processes: how a parent runs one and how the child lives.

The contract, the same for every child (the flusher's, the risk monitor's): the parent
starts `python -m MODULE` and talks to it through its stdin and stdout only. The child's
settings, a Redis URL with its password among them, go as one JSON line on stdin, never on
the command line, which `ps` shows; the end of stdin means stop, whether the parent closed
it or died. The child answers with JSON lines on stdout, a tagged union of reports: `ready`
(`Ready`) once it is serving, then whatever it has to tell, which the parent hands to its
report handler. The child logs JSON to the same stderr as the server, and must never
outlive the parent: PR_SET_PDEATHSIG on Linux, stdin's end everywhere, a grace timer after
which a stop that hangs ends the process at once. The parent waits for `ready` (or raises
the child's `NotStarted` error), replaces a child that dies after a growing delay (reset
when the child ran steadily), and stops one by closing its stdin, then kills it.

What a child does and what its reports mean belong to its own module, never here.
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
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import IO, Any, Generic, Protocol, TypeVar

import msgspec
import redis.asyncio as aioredis

from server.config import Settings
from server.observability import logging as json_logging
from server.observability import metrics
from server.storage import redis_client
from server.storage.database import Database, is_postgres

ROOT = Path(__file__).resolve().parents[1]
READY_TIMEOUT_S = 30.0  # a fresh database's first open may wait for a sibling's migration
STOP_TIMEOUT_S = 10.0
STOP_GRACE_S = 5.0  # the child's own bound on its stop, within the parent's
RESTART_DELAY_S = 0.5
MAX_RESTART_DELAY_S = 10.0
STEADY_AFTER_S = 30.0  # a child that ran this long died of something new: restart at once
LINE_LIMIT = 1024 * 1024  # a child whose reports are longer says so
PR_SET_PDEATHSIG = 1


class Ready(msgspec.Struct, frozen=True, tag="ready"):
    pid: int


class NotStarted(RuntimeError):
    """The child did not report ready in time; each child has its own subclass."""


class Basics(msgspec.Struct, frozen=True):
    """What every child's settings carry from its server, under `basics`: where Redis and
    the database are (a SQLite file's absolute path, since the child's working directory
    need not be ours, or a postgresql:// URL), how to log, and whom to die with."""

    redis_url: str
    database: str
    log_level: str
    log_levels: list[tuple[str, str]]
    parent_pid: int

    @classmethod
    def of(cls, settings: Settings) -> Basics:
        """This server process's, for a child it is about to start."""
        return cls(
            redis_url=settings.redis_url,
            database=settings.postgres_url or str(settings.database_path.resolve()),
            log_level=settings.log_level,
            log_levels=list(settings.log_levels),
            parent_pid=os.getpid(),
        )


S = TypeVar("S", bound=msgspec.Struct)
R = TypeVar("R")


# -- the parent's side -------------------------------------------------------------------------
class ChildProcess(Generic[S, R]):
    """One child `module` for this server process, replaced whenever it dies until `stop`.

    `reports` is the union of the child's report types (`Ready` among them); `handle` is
    awaited with each report but `Ready`, in order, on the parent's loop."""

    def __init__(
        self,
        *,
        module: str,
        name: str,
        settings: S,
        reports: Any,  # a union of tagged structs: no `type[R]` spells one
        handle: Callable[[R], Awaitable[None]],
        not_started: type[NotStarted] = NotStarted,
        line_limit: int = LINE_LIMIT,
    ) -> None:
        self.module = module
        self.name = name
        self.settings = settings
        self.handle = handle
        self.not_started = not_started
        self.line_limit = line_limit
        self.pid: int | None = None  # the latest child's, once it reported ready
        self.log = logging.getLogger(module)
        self._reports: msgspec.json.Decoder[Any] = msgspec.json.Decoder(reports)
        self._process: asyncio.subprocess.Process | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._ready = False
        self._stopping = asyncio.Event()

    @property
    def running(self) -> bool:
        """A child has reported ready and its report stream has not ended."""
        return self._ready

    async def start(self) -> None:
        """Start the child and wait until it is ready; raises `not_started` otherwise.
        From then on a child that dies is replaced, after a growing delay."""
        process = await self._spawn()
        self._supervisor = asyncio.create_task(self._supervise(process), name=self.module)

    async def stop(self) -> None:
        """Ask the child to stop (the end of its stdin), wait, kill it after that."""
        self._stopping.set()
        if self._process is not None:
            await self._end(self._process)
        if self._supervisor is not None:
            try:  # it hands on the child's last reports, then returns
                async with asyncio.timeout(STOP_TIMEOUT_S):
                    await asyncio.shield(self._supervisor)
            except TimeoutError:
                self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)

    async def _spawn(self) -> asyncio.subprocess.Process:
        env = {k: v for k, v in os.environ.items() if k != metrics.MULTIPROCESS_ENV}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        # From the loop's thread, which lives as long as the process: PR_SET_PDEATHSIG fires
        # when the thread that started the child ends, not the process.
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", self.module, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, env=env, limit=self.line_limit,
        )  # fmt: skip
        self._process = process
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(msgspec.json.encode(self.settings) + b"\n")
        line = b""
        with contextlib.suppress(TimeoutError, ConnectionError):
            await process.stdin.drain()
            async with asyncio.timeout(READY_TIMEOUT_S):
                line = await process.stdout.readline()
        try:
            report = self._reports.decode(line)
        except msgspec.DecodeError:
            report = None
        if not isinstance(report, Ready):
            await self._end(process, timeout_s=0)
            raise self.not_started(
                f"{self.name} {process.pid} did not report ready within"
                f" {READY_TIMEOUT_S:.0f}s (exit code {process.returncode}); its log is above"
            )
        self._ready = True
        self.pid = process.pid
        self.log.info("%s %d is running", self.name, process.pid)
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
            self.log.error(
                "%s %d ended with exit code %s: starting another in %.1fs",
                self.name, process.pid, code, delay,
            )  # fmt: skip
            while True:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._stopping.wait()
                    return
                delay = min(delay * 2, MAX_RESTART_DELAY_S)
                try:
                    process = await self._spawn()
                except (NotStarted, OSError) as error:
                    if self._stopping.is_set():  # stop ended the child while it started
                        return
                    self.log.error("%s: trying again in %.1fs", error, delay)
                    continue
                if self._stopping.is_set():  # stop came while this child was starting
                    await self._end(process)
                    return
                break

    async def _relay(self, process: asyncio.subprocess.Process) -> None:
        """Hand the child's reports to `handle` until its stdout ends."""
        assert process.stdout is not None
        while True:
            try:
                line = await process.stdout.readline()
            except ValueError:  # a line over the limit: not one of ours
                self.log.warning("%s %d wrote an over-long line", self.name, process.pid)
                continue
            if not line:
                return
            try:
                report = self._reports.decode(line)
            except msgspec.DecodeError:
                self.log.warning("%s %d wrote %r", self.name, process.pid, line[:200])
                continue
            if not isinstance(report, Ready):
                await self.handle(report)

    async def _end(
        self, process: asyncio.subprocess.Process, timeout_s: float = STOP_TIMEOUT_S
    ) -> None:
        if process.returncode is not None:
            return
        if process.stdin is not None:
            process.stdin.close()  # the end of stdin: the child stops and exits
        try:
            async with asyncio.timeout(timeout_s):
                await process.wait()
        except TimeoutError:
            if timeout_s:
                self.log.error("%s %d did not stop within %.0fs", self.name, process.pid, timeout_s)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


async def start_side_by_side(*children: ChildProcess[Any, Any]) -> None:
    """Start `children` at once: each spends a few tenths of a second starting Python and
    importing, which one after the other added to every server's start. The first that
    fails stops the others' waiting (their `stop` ends whatever they started) and is raised
    as it is."""
    try:
        async with asyncio.TaskGroup() as starting:
            for child in children:
                starting.create_task(child.start(), name=f"start {child.name}")
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None


# -- the child's side --------------------------------------------------------------------------
class ChildSettings(Protocol):
    """A child's settings: its `Basics`, the kit's to read, and the rest, the child's own."""

    @property
    def basics(self) -> Basics: ...


C = TypeVar("C", bound=ChildSettings)


class Reporter:
    """The child's end of the report stream: one JSON line a report, from any thread."""

    def __init__(self, channel: IO[bytes]) -> None:
        self.channel = channel
        self._lock = threading.Lock()

    def send(self, report: msgspec.Struct) -> None:
        with self._lock:
            self.channel.write(msgspec.json.encode(report) + b"\n")
            self.channel.flush()

    def ready(self) -> None:
        self.send(Ready(os.getpid()))


@contextlib.asynccontextmanager
async def stores(basics: Basics) -> AsyncIterator[tuple[aioredis.Redis, Database]]:
    """The child's own Redis client and database, open (Redis answered a ping) until the
    child stops, closed whatever happens."""
    client = redis_client.connect(basics.redis_url)
    db = Database(basics.database if is_postgres(basics.database) else Path(basics.database))
    try:
        await db.open()
        await client.ping()
        yield client, db
    finally:
        await client.aclose()
        await db.close()


def run_child(
    module: str,
    name: str,
    settings_type: type[C],
    serve: Callable[[C, Reporter], Awaitable[None]],
) -> None:
    """The child's whole life: read its settings, die with the parent, serve until stopped.
    `serve` calls `reporter.ready()` once it serves; it is cancelled to stop."""
    log = logging.getLogger(module)  # by name: run with -m, __name__ is "__main__"
    # A terminal's Ctrl-C reaches the whole process group: the parent decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    settings = _read_settings(name, settings_type)
    json_logging.install(settings.basics.log_level, settings.basics.log_levels)
    _die_with_parent(log, name, settings.basics.parent_pid)
    # Reports get stdout's descriptor to themselves; anything printed goes to stderr.
    reporter = Reporter(os.fdopen(os.dup(1), "wb"))
    os.dup2(2, 1)
    try:
        asyncio.run(_serve(log, name, serve(settings, reporter)))
    except BaseException as error:
        # aiosqlite's threads are no daemons: after a failure they would keep us alive.
        log.critical("%s %d failed", name, os.getpid(), exc_info=error)
        _exit_now(log, name, 1, type(error).__name__)


def _read_settings(name: str, settings_type: type[C]) -> C:
    # Byte by byte from the descriptor: a buffered reader could swallow what follows.
    line = bytearray()
    while not line.endswith(b"\n"):
        chunk = os.read(0, 1)
        if not chunk:
            raise SystemExit(f"{name}: stdin ended before its settings")
        line += chunk
    return msgspec.json.decode(bytes(line), type=settings_type)


def _die_with_parent(log: logging.Logger, name: str, parent_pid: int) -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            log.warning("PR_SET_PDEATHSIG failed (errno %d)", ctypes.get_errno())
    if os.getppid() != parent_pid:  # it died before the line above took effect
        raise SystemExit(f"{name}: the server is gone")


async def _serve(log: logging.Logger, name: str, serving: Awaitable[None]) -> None:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    stopping = _Stopping(log, name, loop, task)
    loop.add_signal_handler(signal.SIGTERM, stopping)
    threading.Thread(target=stopping.at_end_of_stdin, name="stdin", daemon=True).start()
    try:
        await serving
    except asyncio.CancelledError:
        log.info("%s %d stopping", name, os.getpid())


class _Stopping:
    """The one stop of the child, whichever signal of it comes first (the end of stdin,
    SIGTERM from the parent's death) and however many arrive: a second cancellation would
    cut the closing of the database short."""

    def __init__(
        self,
        log: logging.Logger,
        name: str,
        loop: asyncio.AbstractEventLoop,
        task: asyncio.Task[None],
    ) -> None:
        self.log = log
        self.name = name
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
        # transaction cut short that way.
        timer = threading.Timer(
            STOP_GRACE_S, _exit_now, args=(self.log, self.name, 1, "did not stop in time")
        )
        timer.daemon = True
        timer.start()

    def at_end_of_stdin(self) -> None:
        while os.read(0, 4096):
            pass  # the parent sends nothing after the settings; the end is what matters
        with contextlib.suppress(RuntimeError):  # the loop already ended
            self.loop.call_soon_threadsafe(self)


def _exit_now(log: logging.Logger, name: str, code: int, why: str) -> None:
    log.error("%s %d exits at once: %s", name, os.getpid(), why)
    logging.shutdown()
    os._exit(code)
