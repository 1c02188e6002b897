"""A member of a consumer group reading every shard's event stream, with acknowledgement.

A group (fraud rules, reports, pushes, analytics: one each) reads all the
shard streams; Redis hands each entry to one member of the group and keeps it
pending until that member acknowledges it. So a member that dies mid-batch
loses nothing: its unacknowledged entries stay pending, and another member
takes them over with `reclaim` once they have been idle long enough
(XAUTOCLAIM). Delivery is at least once in both directions (the outbox relays
at least once, a reclaimed entry may have been half-processed): a consumer
dedupes by `Event.id`. `rewind` sets the group back (or forward) to an offset
of a shard stream, to replay from there.

An entry this code cannot decode (a newer kind or version, during a rolling
upgrade) is logged and left pending, never acknowledged: a member that can read
it takes it over later with `reclaim`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from server.events import stream
from server.events.stream import Entry
from server.storage import redis_client

log = logging.getLogger(__name__)

BATCH = 500  # entries per shard and read
BLOCK_MS = 1_000
RETRY_S = 1.0
RECLAIM_IDLE_MS = 30_000  # a member silent this long is taken to be dead
RECLAIM_EVERY_S = 10.0
# After a batch smaller than BATCH, `serve` reads again only this long after the last read
# began, so that under load a batch carries many entries: each read, acknowledgement and
# transaction costs about the same for one entry as for hundreds. The first entry after a
# quiet spell is read at once; those behind it wait at most this long (as the flusher's).
GATHER_S = 0.1


def _found(reply: Any) -> list[Entry]:
    """The readable entries of an XREADGROUP reply."""
    if not reply:
        return []
    # RESP3 answers a map of stream -> entries, RESP2 a list of [stream, entries].
    pairs = reply.items() if isinstance(reply, dict) else reply
    found: list[Entry] = []
    for name, raw in pairs:
        # redis-py's RESP3 reply wraps a stream's entries (tuples) in one more list.
        entries = raw[0] if raw and isinstance(raw[0], list) else raw
        found.extend(stream.entries(stream.text(name), entries))
    return found


class Consumer:
    def __init__(
        self,
        client: aioredis.Redis,
        group: str,
        name: str,
        streams: Sequence[str] | None = None,
    ) -> None:
        """`streams`: the shard streams read (every shard's event stream unless given; the
        push relay reads the push streams)."""
        self.client = client
        self.group = group
        self.name = name
        self.streams = list(streams) if streams is not None else stream.all_keys()

    async def join(self, start: str = "$") -> None:
        """Create the group on every shard stream where it does not exist yet, reading from
        `start` ("$": events appended from now on; "0": everything the streams hold)."""
        for key in self.streams:
            try:
                await self.client.xgroup_create(key, self.group, id=start, mkstream=True)
            except ResponseError as error:
                if "BUSYGROUP" not in str(error):
                    raise

    async def read(
        self, count: int = 100, block_ms: int | None = None, noack: bool = False
    ) -> list[Entry]:
        """Entries never delivered to this group before, up to `count` per shard, oldest first
        within each shard; they stay pending for this member until `ack` (with `noack`, they
        count as acknowledged once delivered: for a group that may lose what it was handed,
        such as pushes)."""
        reply = await redis_client.read_group(
            self.client,
            self.group,
            self.name,
            dict.fromkeys(self.streams, ">"),
            count=count,
            block=block_ms,
            noack=noack,
        )
        return _found(reply)

    async def read_own_pending(self, count: int = 100) -> list[Entry]:
        """Entries delivered to this member (by its name) and never acknowledged, oldest
        first: what a process of the same name read before it died, to process first."""
        reply = await redis_client.read_group(
            self.client, self.group, self.name, dict.fromkeys(self.streams, "0"), count=count
        )
        return _found(reply)

    async def ack(self, entries: Sequence[Entry]) -> int:
        """Acknowledge processed entries; how many were still pending."""
        acked = 0
        by_stream: dict[str, list[str]] = {}
        for item in entries:
            by_stream.setdefault(item.stream, []).append(item.offset)
        for name, offsets in by_stream.items():
            acked += int(await self.client.xack(name, self.group, *offsets))
        return acked

    async def reclaim(self, min_idle_ms: int, count: int = 100) -> list[Entry]:
        """Take over, for this member, entries pending for any member of the group for at
        least `min_idle_ms` (a member that died mid-batch); process and `ack` them like
        `read`'s."""
        found: list[Entry] = []
        for key in self.streams:
            cursor = "0-0"
            while True:
                reply = await self.client.xautoclaim(
                    key, self.group, self.name, min_idle_ms, start_id=cursor, count=count
                )
                cursor, raw = stream.text(reply[0]), reply[1]
                found.extend(stream.entries(key, raw))
                if cursor == "0-0":
                    break
        return found

    async def leave(self) -> None:
        """Remove this member from the group on every shard stream (its pending entries, if
        any, go with it: only for a member that reads with `noack`)."""
        for key in self.streams:
            await self.client.xgroup_delconsumer(key, self.group, self.name)

    async def rewind(self, k: int, offset: str) -> None:
        """Make the group's next `read` of shard K's stream start after `offset` (`"0"`: from
        the beginning): replay from an offset. Entries already pending stay pending."""
        await self.client.xgroup_setid(self.streams[k], self.group, id=offset)

    async def serve(
        self, process: Callable[[Sequence[Entry]], Awaitable[object]], what: str, start: str
    ) -> None:
        """Join the group (from `start`), then hand each batch to `process`, which
        acknowledges it, until cancelled, gathering for `GATHER_S` behind a small one; every
        `RECLAIM_EVERY_S` first take over what a dead member left. A failure (Redis or the
        database away) is logged and retried."""
        while True:
            try:
                await self.join(start)
                break
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("%s cannot join its group yet: %s", what, error)
                await asyncio.sleep(RETRY_S)
        reclaimed_at = 0.0
        while True:
            redis_client.stop_if_cancelled()
            try:
                if time.monotonic() - reclaimed_at > RECLAIM_EVERY_S:
                    reclaimed_at = time.monotonic()
                    await process(await self.reclaim(RECLAIM_IDLE_MS, BATCH))
                began = time.monotonic()
                found = await self.read(BATCH, BLOCK_MS)
                await process(found)
                if found and len(found) < BATCH:
                    await asyncio.sleep(max(0.0, began + GATHER_S - time.monotonic()))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s failed; retrying in %.1f s", what, RETRY_S)
                await asyncio.sleep(RETRY_S)
