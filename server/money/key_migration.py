"""Moves the money keys of the one-stream layout to the sharded one, once, at start-up.

Until issue 15 the hot wallet kept player keys under `{p:ID}` tags beside three global
keys that scripts touched together with them: the stream `casino:rounds` (and its dead
letters), the index `casino:reservations:due` and the claims `casino:ptxowner:*`. A Redis
Cluster refuses such calls, so every key now carries its shard's tag (`keys.py`). This
module renames an existing data directory's keys to the new names before anything else
touches Redis, then sets `MARKER` so it never runs again; a start-up with no old keys
only sets the marker. The old stream moves whole, with its consumer group and pending
entries, to shard 0's journal (and its dead letters to shard 0's): the flusher writes an
entry the same whatever journal it sits in, and the start-up drain right after empties it.
Each step can be repeated after a crash (RENAMENX, ZADD then DEL), and a lock lets one
of several server processes do it while the others wait. The old layout only ever ran
on one Redis, never on a cluster, so a cluster is only marked. It must never rename a
key of the new layout, nor any key that is not money's (the reply cache's `{p:ID}:req:`
keys stay as they are).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from typing import Any

import redis.asyncio as aioredis

from server.money import keys
from server.storage import redis_client
from server.storage.slots import player_prefix

log = logging.getLogger(__name__)

MARKER = "casino:keys:sharded"  # set once the keys are in the sharded layout
LOCK = "casino:keys:migrating"
LOCK_S = 600  # a migrating process that died frees the lock after this
WAIT_S = 600.0  # how long a sibling waits for the migrating process
OLD_STREAM = "casino:rounds"
OLD_DEAD_LETTERS = "casino:rounds:dead"
OLD_DUE = "casino:reservations:due"
OLD_CLAIM_PREFIX = "casino:ptxowner:"
SCAN_COUNT = 1000
# Money's player keys (and the sessions set the spin script reads), not the reply cache's.
_PLAYER_KEY = re.compile(
    r"\{p:(\d+)\}:((?:wallet|resv|done|applied|wd|ptx|pround):.+|fair|open|sessions)", re.S
)


class KeyMigrationError(RuntimeError):
    """The old and the new layout both hold a key: an operator must look before we go on."""


def new_name(old: str) -> str | None:
    """The sharded name of a key of the old layout; None for a key that does not move."""
    if old == OLD_STREAM:
        return keys.journal(0)
    if old == OLD_DEAD_LETTERS:
        return keys.dead_letters(0)
    if old.startswith(OLD_CLAIM_PREFIX):
        return keys.claim(old.removeprefix(OLD_CLAIM_PREFIX))
    found = _PLAYER_KEY.fullmatch(old)
    if found is None:
        return None
    return f"{player_prefix(int(found[1]))}:{found[2]}"


async def migrate(client: aioredis.Redis) -> int:
    """Rename the old layout's keys unless that was done; returns how many keys moved."""
    if await client.exists(MARKER):
        return 0
    # A cluster never held the old layout (its keys span slots); a cluster client answers
    # INFO per node, so it is recognised by its type first.
    if redis_client.is_cluster(client) or int(
        (await client.info("cluster")).get("cluster_enabled", 0)
    ):
        await client.set(MARKER, "cluster")
        return 0
    if not await client.set(LOCK, f"{os.getpid()}", nx=True, ex=LOCK_S):
        await _wait_for_sibling(client)
        return 0
    try:
        moved = await _move_due_index(client)
        for pattern in (OLD_STREAM, OLD_DEAD_LETTERS, f"{OLD_CLAIM_PREFIX}*", "{p:*"):
            async for old in client.scan_iter(match=pattern, count=SCAN_COUNT):
                moved += await _rename(client, str(old))
        await client.set(MARKER, str(int(time.time())))
    finally:
        await client.delete(LOCK)
    if moved:
        log.warning("moved %d Redis keys to the sharded layout", moved)
    return moved


async def _rename(client: aioredis.Redis, old: str) -> int:
    new = new_name(old)
    if new is None:
        return 0
    if not await client.renamenx(old, new):
        if await client.exists(old):  # not renamed by a sibling in the meantime
            raise KeyMigrationError(f"both {old} and {new} exist; resolve by hand, then restart")
        return 0
    return 1


async def _move_due_index(client: aioredis.Redis) -> int:
    """Spread the global due index over the shards' indexes (ZADD, then DEL: repeatable)."""
    entries: list[Any] = await client.zrange(OLD_DUE, 0, -1, withscores=True)
    if not entries:
        return 0
    async with client.pipeline(transaction=False) as pipe:
        for member, due in entries:
            player_id, _, _ = keys.parse_due_member(str(member))
            pipe.zadd(keys.due_of(player_id), {str(member): due})
        await pipe.execute()
    await client.delete(OLD_DUE)
    return 1


async def _wait_for_sibling(client: aioredis.Redis) -> None:
    deadline = time.monotonic() + WAIT_S
    while not await client.exists(MARKER):
        if time.monotonic() > deadline:
            raise KeyMigrationError(f"another process holds {LOCK} and never finished")
        await asyncio.sleep(0.1)
