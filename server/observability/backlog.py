"""What Redis holds that is not yet durable: the journal streams and the pending reservations.

The flusher deletes stream entries once their batch is committed, so the
journals (one per shard of players) hold exactly the unflushed entries, and the
oldest one's id (Redis's clock in ms at XADD) says how far behind the flusher is.
Figures are summed over the shards; the age is the oldest shard's. The stream's age is
measured against Redis's own clock, so a skewed server clock cannot fake a lag.
Read by `/metrics`, `/ready` and `run.py doctor`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from server.money import keys


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


async def measure(client: aioredis.Redis) -> Backlog:
    # Due times are written with the server's clock, and the sweeper compares them with it.
    due_by = time.time_ns() // 10**6
    async with client.pipeline(transaction=False) as pipe:
        pipe.time()
        for k in range(keys.SHARDS):
            pipe.xlen(keys.journal(k))
            pipe.xrange(keys.journal(k), "-", "+", count=1)
            pipe.zcard(keys.due(k))
            pipe.zcount(keys.due(k), "-inf", due_by)
            pipe.xlen(keys.dead_letters(k))
        now, *replies = await pipe.execute()
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
