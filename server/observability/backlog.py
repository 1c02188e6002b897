"""What Redis holds that is not yet durable: the journal streams and the pending reservations.

The flusher deletes stream entries once their batch is committed, so the
journals (one per shard of players) hold exactly the unflushed entries, and the
oldest one's id (Redis's clock in ms at XADD) says how far behind the flusher is.
Figures are summed over the shards; the age is the oldest shard's. The stream's age is
measured against Redis's own clock, so a skewed server clock cannot fake a lag.
Read by `/metrics`, `/ready` and `run.py doctor`.

The keys are money's (server/money/keys.py), and this floor-1 module must never import
money: whoever wires the process hands `measure` the keys to watch (`server/wiring.py`
builds them), so a new shard layout or a second stream changes the wiring, not the gauges.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from server.storage import redis_client


@dataclass(frozen=True, slots=True)
class Watched:
    """The keys of one shard that the gauges read; their owner names them."""

    stream: str  # entries not yet durable, deleted once written (ids: Redis ms at XADD)
    due: str  # sorted set of pending reservations, scored by due time in ms
    dead_letters: str  # stream of entries the database refused, kept for an operator


@dataclass(frozen=True, slots=True)
class Backlog:
    stream_length: int
    oldest_age_s: float  # 0.0 when the stream is empty
    reservations_pending: int  # held stakes not yet settled or voided (incl. waiting hands)
    reservations_past_due: int  # pending and due already: the sweeper should resolve them
    dead_letters: int = 0  # entries the flusher quarantined (server/money/journal/flusher.py)


def _stream_ms(entry_id: str) -> int:
    return int(entry_id.split("-", 1)[0])


def _first_id(reply: Any) -> str | None:
    if not reply:
        return None
    first = reply[0]
    return str(first[0])


async def measure(client: aioredis.Redis, shards: Sequence[Watched]) -> Backlog:
    """The backlog summed over `shards`; the age is the oldest stream entry's."""
    # Due times are written with the server's clock, and the sweeper compares them with it.
    due_by = time.time_ns() // 10**6
    cluster = redis_client.is_cluster(client)  # a cluster pipeline refuses keyless TIME
    clock = await client.time() if cluster else None
    async with client.pipeline(transaction=False) as pipe:
        if not cluster:
            pipe.time()
        for shard in shards:
            pipe.xlen(shard.stream)
            pipe.xrange(shard.stream, "-", "+", count=1)
            pipe.zcard(shard.due)
            pipe.zcount(shard.due, "-inf", due_by)
            pipe.xlen(shard.dead_letters)
        replies = await pipe.execute()
    now = clock if clock is not None else replies.pop(0)
    now_ms = int(now[0]) * 1000 + int(now[1]) // 1000
    length = pending = past_due = dead = 0
    oldest_ms: int | None = None
    for i in range(0, len(replies), 5):
        shard_length, first, shard_pending, shard_past_due, shard_dead = replies[i : i + 5]
        length += int(shard_length)
        pending += int(shard_pending)
        past_due += int(shard_past_due)
        dead += int(shard_dead)
        oldest = _first_id(first)
        if oldest is not None:
            ms = _stream_ms(oldest)
            oldest_ms = ms if oldest_ms is None else min(oldest_ms, ms)
    age_ms = max(0, now_ms - oldest_ms) if oldest_ms is not None else 0
    return Backlog(length, age_ms / 1000, pending, past_due, dead)
