"""What Redis holds that is not yet durable: the rounds stream and the pending reservations.

The flusher deletes stream entries once their batch is committed, so the
stream holds exactly the unflushed entries, and the oldest one's id (Redis's
clock in ms at XADD) says how far behind the flusher is. The stream's age is
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
    async with client.pipeline(transaction=False) as pipe:
        pipe.xlen(keys.ROUNDS_STREAM)
        pipe.xrange(keys.ROUNDS_STREAM, "-", "+", count=1)
        pipe.time()
        pipe.zcard(keys.RESERVATIONS_DUE)
        pipe.xlen(keys.DEAD_LETTERS)
        length, first, now, pending, dead = await pipe.execute()
    now_ms = int(now[0]) * 1000 + int(now[1]) // 1000
    # Due times are written with the server's clock, and the sweeper compares them with it.
    past_due = int(await client.zcount(keys.RESERVATIONS_DUE, "-inf", time.time_ns() // 10**6))
    oldest = _first_id(first)
    age_ms = max(0, now_ms - _stream_ms(oldest)) if oldest is not None else 0
    return Backlog(int(length), age_ms / 1000, int(pending), past_due, int(dead))
