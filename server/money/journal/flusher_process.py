"""The running flusher, in a child process of its own: its start, its stop, its restarts.

Why a process: the flusher's batches (decoding entries, building the multi-row statements,
the ledger's postings) held the GIL about 12 % of the time on a thread of the server, time
the event loop serving the WebSockets could not use, and every GIL hand-off between the two
added latency. In a process of its own it uses the second core instead. It runs the same
`Flusher` (same batches, dead letters and writers) under the parent's consumer name, so a
replacement child first writes what its predecessor left pending, and the parent's
start-up and shutdown drains (on the server's loop, while no child runs) see it all too.

How parent and child talk (settings on stdin, reports on stdout, death with the parent)
is the kit's, `server/child_process.py`. This child reports `ready` once its database and
Redis are open, then one line per committed batch, failed attempt or dead letter, which
the parent records in its own metrics (nobody scrapes the child).

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
import importlib
from collections.abc import Sequence
from typing import Protocol

import msgspec
import redis.asyncio as aioredis

from server import child_process
from server.child_process import Basics, ChildProcess, NotStarted, Ready, Reporter
from server.config import Settings
from server.events import push
from server.money.journal import adjustments as adjustments_journal
from server.money.journal import bonus as bonus_journal
from server.money.journal import closures as closures_journal
from server.money.journal import payments as payments_journal
from server.money.journal import provider as provider_journal
from server.money.journal.flusher import Flusher, Writer
from server.observability import metrics
from server.storage.database import Database

MODULE = "server.money.journal.flusher_process"
NAME = "flusher process"  # in its log lines, which tests and operators look for
LINE_LIMIT = 16 * 1024 * 1024  # one batch's line: a few bytes per entry

WRITERS: dict[str, Writer] = {
    **provider_journal.WRITERS,
    **payments_journal.WRITERS,
    **bonus_journal.WRITERS,
    **adjustments_journal.WRITERS,
    **closures_journal.WRITERS,
}


class FlusherSettings(msgspec.Struct, frozen=True):
    basics: Basics
    batch: int
    block_ms: int
    consumer: str
    consumers: list[str] = []


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


class FlusherNotStarted(NotStarted):
    pass


# -- the parent's side -------------------------------------------------------------------------
class FlusherProcess(ChildProcess[FlusherSettings, Report]):
    """One flusher child for this server process, replaced whenever it dies until `stop`.
    Stopping cancels its flusher between or inside a batch; a cancelled batch rolls back,
    its entries left pending."""

    def __init__(self, settings: Settings, consumer: str, consumers: Sequence[str] = ()) -> None:
        super().__init__(
            module=MODULE,
            name=NAME,
            settings=FlusherSettings(
                basics=Basics.of(settings),
                batch=settings.flush_batch,
                block_ms=settings.flush_block_ms,
                consumer=consumer,
                consumers=list(consumers),
            ),
            reports=Report,
            handle=record,
            not_started=FlusherNotStarted,
            line_limit=LINE_LIMIT,
        )


async def record(report: Report) -> None:
    """A child's figures in this process's metrics."""
    if isinstance(report, Flushed):
        metrics.record_flushed(report.entries, report.written, report.lags_ms)
    elif isinstance(report, Failed):
        metrics.record_flusher_failure(report.error, report.backend)
    elif isinstance(report, DeadLetter):
        metrics.record_dead_letter(report.kind)


# -- the child's side --------------------------------------------------------------------------
class _Forwarding:
    """The child's metrics recorders, forwarded to the parent as one report per event."""

    def __init__(self, reporter: Reporter) -> None:
        self.reporter = reporter

    def flushed(self, entries: int, written: int, lags_ms: list[int]) -> None:
        self.reporter.send(Flushed(entries, written, lags_ms))

    def failed(self, error: str, backend: str | None) -> None:
        self.reporter.send(Failed(error, backend))

    def dead_letter(self, kind: str) -> None:
        self.reporter.send(DeadLetter(kind))


class StreamConsumer(Protocol):
    async def run(self) -> None: ...


def consumer_at(path: str, client: aioredis.Redis, db: Database) -> StreamConsumer:
    """The consumer `module:Class` names, built with this process's client and database."""
    module, _, name = path.partition(":")
    factory = getattr(importlib.import_module(module), name)
    consumer: StreamConsumer = factory(client, db)
    return consumer


async def serve(settings: FlusherSettings, reporter: Reporter) -> None:
    metrics.forward_flusher_metrics(_Forwarding(reporter))
    async with (
        child_process.stores(settings.basics) as (client, db),
        contextlib.AsyncExitStack() as more,
    ):
        flusher = Flusher(client, db, settings.batch, settings.block_ms, writers=WRITERS)
        flusher.consumer = settings.consumer  # the parent's: its drains see what we hold
        reporter.ready()
        # Built once ready: their imports (domains above money) need not delay the start.
        # Their SQL goes through a connection of their own: on SQLite one connection runs one
        # statement at a time, and a reporting write waiting out a lock must not hold the
        # journal's batches behind it.
        consumers: dict[str, StreamConsumer] = {}
        if settings.consumers:
            own = await more.enter_async_context(child_process.stores(settings.basics))
            consumers = {path: consumer_at(path, *own) for path in settings.consumers}
        # Balance pushes are read off the event stream here too, beside the journal and off
        # the request path: the server process spends its CPU on bets, not on relaying.
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(flusher.run(), name="flusher")
            tasks.create_task(push.PushRelay(client).run(), name="push-relay")
            for path, consumer in consumers.items():
                tasks.create_task(consumer.run(), name=path)


def main() -> None:
    child_process.run_child(MODULE, NAME, FlusherSettings, serve)


if __name__ == "__main__":
    main()
