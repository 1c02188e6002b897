"""Writing the event streams out as a log: JSON lines, one event each in the catalogue's
encoding, for `run.py risk-replay` and anyone who wants the events as a file.

Every shard's stream is read from its start with XRANGE (a read: no consumer group moves),
page by page, and the shards are merged by the events' time, each shard's own order kept
(so one player's events, all on one shard, stay in the order they happened). Entries a
stream has already trimmed (MAXLEN) are gone from it and so from the log; an event this
code cannot read is left out, as consumers leave it.
"""

from __future__ import annotations

import heapq
from collections.abc import AsyncIterator, Iterator
from typing import IO

import redis.asyncio as aioredis

from server.events import stream
from server.events.catalogue import Event, encode
from server.storage.slots import SHARDS

PAGE = 1_000


async def _shard(client: aioredis.Redis, k: int) -> list[Event]:
    found: list[Event] = []
    offset = stream.BEGINNING
    while page := await stream.replay(client, k, offset, PAGE):
        found += [entry.event for entry in page]
        offset = page[-1].offset
    return found


async def events(client: aioredis.Redis) -> AsyncIterator[Event]:
    """Every readable event of every shard, merged by time."""
    shards = [await _shard(client, k) for k in range(SHARDS)]
    merged: Iterator[Event] = heapq.merge(*shards, key=lambda event: event.at_ms)
    for event in merged:
        yield event


async def write(client: aioredis.Redis, out: IO[bytes]) -> int:
    """Write every event to `out`, a line each; how many."""
    count = 0
    async for event in events(client):
        out.write(encode(event) + b"\n")
        count += 1
    return count
