"""The reports' feeder: the consumer group `reports` on every shard's event stream, writing
each money event's line into the reporting store (server/reports/store.py).

Each server's flusher child process runs one member (server/app.py `CHILD_CONSUMERS`);
Redis hands each event to one of them. A batch is written in one
transaction, then acknowledged. Delivery is at least once: a member that dies mid-batch
leaves its entries pending, and a member reclaims entries idle for `RECLAIM_IDLE_MS` (its
predecessor's after a restart included); the group's offset in Redis makes a restarted
member resume where the group left off. Writing an event twice is harmless: a line is keyed
by the event's id. The group joins at the streams' beginning ("0"), so a server that starts
reporting on a running deployment takes in every event the streams still hold.

Why in the flusher's child: a SQL transaction per batch of money events is CPU per bet
that the process serving bets is better without (no money moves here).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Sequence

import redis.asyncio as aioredis

from server.events.consumer import BATCH, Consumer
from server.events.stream import Entry
from server.reports import store
from server.reports.lines import line_of
from server.storage.database import Database

log = logging.getLogger(__name__)

GROUP = "reports"


class Feeder:
    def __init__(self, client: aioredis.Redis, db: Database, name: str | None = None) -> None:
        self.db = db
        self.consumer = Consumer(client, GROUP, name or f"{socket.gethostname()}-{os.getpid()}")
        self.events = 0  # read since start: for the tests
        self.written = 0  # new lines written since start

    async def join(self, start: str = "0") -> None:
        await self.consumer.join(start)

    async def run(self) -> None:
        """Feed until cancelled; a failure (Redis or the database away) is retried."""
        await self.consumer.serve(self.process, "reports feeder", "0")

    async def once(self, block_ms: int | None = None) -> int:
        """Read one batch, write and acknowledge it; how many new lines it wrote."""
        return await self.process(await self.consumer.read(BATCH, block_ms))

    async def process(self, entries: Sequence[Entry]) -> int:
        if not entries:
            return 0
        lines = [line for entry in entries if (line := line_of(entry.event)) is not None]
        written = await store.record(self.db, lines)  # committed before the acknowledgement
        await self.consumer.ack(entries)
        self.events += len(entries)
        self.written += written
        return written
