"""The SQL outbox: events written with the change they report, then relayed to Redis.

`emit(tx, event)` inserts the event into `event_outbox` inside the caller's
transaction, so the event commits exactly when the change does: a rolled-back
change leaves no event, a committed one cannot lose its event. The `Relay`
(one task per server process, started in `server/app.py`) copies committed rows
to their player's shard stream (`server/events/stream.py`) and then marks them.

What a consumer may rely on:
- every committed event reaches its stream at least once; a crash between the
  append and the mark (or two processes relaying together) appends a row again,
  with the same event id, which is how consumers dedupe;
- one player's events reach the stream in the order they were committed: rows
  are relayed in id order and one player's rows go to one stream. (SQLite
  commits one writer at a time, so id order is commit order; on PostgreSQL a
  row with a smaller id can commit later, and the relay will have to hold back
  until earlier ids are settled.)

It must never emit outside a transaction, nor mark a row before its append succeeded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import redis.asyncio as aioredis

import rng
from server.events import stream
from server.events.catalogue import Event, encode, kind_of
from server.storage import redis_client
from server.storage.database import Database, Transaction, now_ms

log = logging.getLogger(__name__)

BATCH = 500
IDLE_S = 1.0  # how long an idle relay waits before looking again, unless woken
# A woken relay waits this long first: `emit` wakes it before its transaction commits.
WAKE_GRACE_S = 0.02
RETRY_S = 1.0  # after Redis or the database failed


def new_id(prefix: str) -> str:
    """A fresh event id for a change that has no id of its own to derive one from (a login)."""
    return f"{prefix}:{rng.token_urlsafe(12)}"


async def emit(tx: Transaction, event: Event) -> None:
    """Record `event` in the open transaction `tx`; a second emit of one event id is a no-op."""
    await tx.execute(
        "INSERT INTO event_outbox (event_id, player_id, kind, version, payload, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
        (
            event.id, event.player_id, kind_of(event), event.version, encode(event).decode(),
            now_ms(),
        ),
    )  # fmt: skip
    for relay in ACTIVE:  # this process's relay looks soon, instead of polling the table often
        relay.woken.set()


# The relays running in this process; `emit` wakes them.
ACTIVE: list[Relay] = []


class Relay:
    """Moves committed outbox rows to the Redis streams, at least once, in commit order.

    It looks when a change of this process emitted, and at least every `idle_s` (for rows of
    other processes, and any it missed): polling the table often cost the bet path CPU."""

    def __init__(
        self, db: Database, client: aioredis.Redis, batch: int = BATCH, idle_s: float = IDLE_S
    ) -> None:
        self.db = db
        self.client = client
        self.batch = batch
        self.idle_s = idle_s
        self.woken = asyncio.Event()

    async def relay_once(self) -> int:
        """Relay up to one batch of rows not relayed yet; how many."""
        rows = await self.db.fetchall(
            "SELECT id, player_id, payload FROM event_outbox WHERE relayed_at IS NULL"
            " ORDER BY id LIMIT ?",
            (self.batch,),
        )
        if not rows:
            return 0
        await stream.append(self.client, [(int(row[1]), str(row[2])) for row in rows])
        ids = [int(row[0]) for row in rows]
        marks = ", ".join("?" for _ in ids)
        async with self.db.transaction() as tx:
            await tx.execute(
                f"UPDATE event_outbox SET relayed_at = ? WHERE id IN ({marks})"  # noqa: S608
                " AND relayed_at IS NULL",
                (now_ms(), *ids),
            )
        return len(rows)

    async def run(self) -> None:
        """Relay until cancelled; a failure (Redis or the database away) is retried."""
        ACTIVE.append(self)
        try:
            await self._relay_forever()
        finally:
            ACTIVE.remove(self)

    async def _relay_forever(self) -> None:
        while True:
            try:
                relayed = await self.relay_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event relay failed; retrying in %.1f s", RETRY_S)
                await asyncio.sleep(RETRY_S)
                continue
            redis_client.stop_if_cancelled()  # relay_once's calls may have lost one
            if relayed < self.batch:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.idle_s):
                        await self.woken.wait()
                    await asyncio.sleep(WAKE_GRACE_S)
                self.woken.clear()
