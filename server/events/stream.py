"""The event streams in Redis: one stream per shard, and reading them back from an offset.

A player's events go to the stream of the player's shard, `{s:K}:events`
(`server/storage/slots.py`: the hash tag every key of that player carries), so a
Lua script that changes a player's keys can append the event in the same call
and a Redis Cluster still sees one slot; one player's events are therefore in
one stream, in the order they were appended. Each entry holds one field,
`event`: the JSON of `server/events/catalogue.py`.

Bounded: each append trims its stream to about `MAX_LENGTH` entries
(`XADD MAXLEN ~`, which trims whole macro-nodes, so a stream may hold somewhat
more). The streams are a delivery window, not the archive: a consumer group
that falls further behind than `MAX_LENGTH` entries of one shard loses the
oldest of them from Redis, and events written through the SQL outbox stay in
its table (`event_outbox`) to be replayed from there. An offset is a stream
entry id of one shard's stream (`"1700000000000-0"`); `"0-0"` is the beginning.

Beside each shard's events, a short stream of the same entries that call for a push
(`{s:K}:pushes`, see `_emit_event.lua`): the push relay reads only those, so a round no other
session can hear costs the relay nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from server.events.catalogue import Event, MalformedEvent, UnknownEvent, decode
from server.storage.slots import SHARDS, player_prefix, shard, tag

log = logging.getLogger(__name__)

# About 20,000 entries per shard: 320,000 in all at 16 shards (an event is ~250 bytes).
MAX_LENGTH = 20_000
# Pushes are for now (the relay drops what is older than a few seconds): a short window.
PUSH_MAX_LENGTH = 1_000
FIELD = "event"
BEGINNING = "0-0"


def key(k: int) -> str:
    """Shard K's event stream."""
    return f"{tag(k)}:events"


def key_of(player_id: int) -> str:
    return key(shard(player_id))


def all_keys() -> list[str]:
    return [key(k) for k in range(SHARDS)]


def push_key(k: int) -> str:
    """Shard K's stream of the events that call for a push (copies, in the same order)."""
    return f"{tag(k)}:pushes"


def push_keys() -> list[str]:
    return [push_key(k) for k in range(SHARDS)]


def sessions_key(player_id: int) -> str:
    """The player's open play sessions (a sorted set of session id by lease end, in the
    player's slot): the scripts count them to decide whether a round's push has a listener."""
    return f"{player_prefix(player_id)}:sessions"


def push_keys_of(player_id: int) -> list[str]:
    """The two keys every event-emitting script takes last: the shard's push stream and the
    player's sessions (`push_into` in `_emit_event.lua`)."""
    return [push_key(shard(player_id)), sessions_key(player_id)]


@dataclass(frozen=True, slots=True)
class Entry:
    """One event as a stream holds it: where (stream and entry id) and what."""

    stream: str
    offset: str
    event: Event


def text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def entry(
    stream: bytes | str, offset: bytes | str, fields: dict[bytes | str, bytes | str]
) -> Entry | None:
    """The Entry a raw stream entry holds, or None (logged) when this code cannot read it:
    an event of a kind or version newer than this code is left for a consumer that can."""
    stream, offset = text(stream), text(offset)
    payload = fields.get(FIELD.encode(), fields.get(FIELD))
    try:
        if payload is None:
            raise MalformedEvent(f"no {FIELD!r} field")
        return Entry(stream, offset, decode(payload))
    except (UnknownEvent, MalformedEvent) as error:
        log.warning("event %s of %s left unread: %s", offset, stream, error)
        return None


async def append(client: aioredis.Redis, events: Sequence[tuple[int, bytes | str]]) -> list[str]:
    """Append (player id, encoded event) pairs in order, each to its player's shard; the
    entry ids. One round trip: the pipeline keeps their order, so one player's events stay
    in the order given."""
    if not events:
        return []
    async with client.pipeline(transaction=False) as pipe:
        for player_id, payload in events:
            pipe.xadd(key_of(player_id), {FIELD: payload}, maxlen=MAX_LENGTH, approximate=True)
        ids = await pipe.execute()
    return [text(entry_id) for entry_id in ids]


async def replay(
    client: aioredis.Redis, k: int, from_offset: str = BEGINNING, count: int = 100
) -> list[Entry]:
    """Up to `count` events of shard K's stream after `from_offset` (exclusive), oldest
    first, whatever any consumer group has read or acknowledged. Read the next page from
    the last entry's offset."""
    start = "-" if from_offset == BEGINNING else f"({from_offset}"
    return entries(key(k), await client.xrange(key(k), min=start, max="+", count=count) or [])


def entries(stream: str, raw: Iterable[Any]) -> list[Entry]:
    """The readable Entries of a raw reply's (offset, fields) pairs; a pair without fields
    (an entry trimmed away while pending) is skipped."""
    found = [entry(stream, offset, fields) for offset, fields in raw if fields is not None]
    return [item for item in found if item is not None]
