"""Consumer groups on the shard event streams, on a real redis-server: each entry goes to one
member and stays pending until acknowledged; a dead member's entries are taken over; a group
or a reader replays from an offset."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

import pytest
import redis.asyncio as aioredis

from server.events import consumer as consumer_module
from server.events import stream
from server.events.catalogue import Deposited, encode
from server.events.consumer import Consumer
from server.events.stream import Entry
from server.storage.slots import SHARDS, shard


def deposit(player_id: int, deposit_id: int) -> Deposited:
    return Deposited(
        id=f"deposit:{deposit_id}", player_id=player_id, at_ms=1_000 + deposit_id,
        deposit_id=deposit_id, amount=100, currency="EUR", gateway="sandbox",
    )  # fmt: skip


async def append(client: aioredis.Redis, *events: Deposited) -> list[str]:
    return await stream.append(client, [(e.player_id, encode(e)) for e in events])


async def pending(client: aioredis.Redis, group: str) -> int:
    counts = [await client.xpending(key, group) for key in stream.all_keys()]
    return sum(int(count["pending"]) for count in counts)


async def test_joining_creates_the_group_on_every_shard_stream(
    own_redis_client: aioredis.Redis,
) -> None:
    await Consumer(own_redis_client, "fraud", "a").join()
    await Consumer(own_redis_client, "fraud", "b").join()  # a second member: no error
    groups = [await own_redis_client.xinfo_groups(key) for key in stream.all_keys()]
    assert len(groups) == SHARDS
    assert all([g["name"] for g in found] == ["fraud"] for found in groups)


async def test_a_group_reads_what_was_appended_after_it_joined(
    own_redis_client: aioredis.Redis,
) -> None:
    await append(own_redis_client, deposit(3, 1))
    consumer = Consumer(own_redis_client, "reports", "a")
    await consumer.join()
    await append(own_redis_client, deposit(3, 2), deposit(4, 3))
    found = await consumer.read()
    assert sorted(e.event.id for e in found) == ["deposit:2", "deposit:3"]


async def test_entries_stay_pending_until_acknowledged(own_redis_client: aioredis.Redis) -> None:
    consumer = Consumer(own_redis_client, "reports", "a")
    await consumer.join()
    await append(own_redis_client, deposit(3, 1), deposit(3, 2))
    found = await consumer.read()
    assert await pending(own_redis_client, "reports") == 2
    assert await consumer.ack(found[:1]) == 1
    assert await pending(own_redis_client, "reports") == 1
    assert await consumer.ack(found) == 1  # the first was acknowledged already
    assert await pending(own_redis_client, "reports") == 0
    assert await consumer.read() == []  # nothing new


async def test_each_entry_goes_to_one_member_of_a_group_and_to_every_group(
    own_redis_client: aioredis.Redis,
) -> None:
    a, b = Consumer(own_redis_client, "fraud", "a"), Consumer(own_redis_client, "fraud", "b")
    other = Consumer(own_redis_client, "reports", "a")
    for consumer in (a, b, other):
        await consumer.join()
    await append(own_redis_client, deposit(3, 1))
    assert [e.event.id for e in await a.read()] == ["deposit:1"]
    assert await b.read() == []
    assert [e.event.id for e in await other.read()] == ["deposit:1"]


async def test_a_dead_members_unacknowledged_entries_are_reclaimed_by_another(
    own_redis_client: aioredis.Redis,
) -> None:
    dead, alive = (
        Consumer(own_redis_client, "fraud", "dead"),
        Consumer(own_redis_client, "fraud", "alive"),
    )
    await dead.join()
    await append(own_redis_client, deposit(3, 1), deposit(3, 2), deposit(20, 3))
    batch = await dead.read()
    await dead.ack(batch[:1])  # it processed one entry, then died
    assert await alive.reclaim(min_idle_ms=60_000) == []  # not idle long enough yet
    taken = await alive.reclaim(min_idle_ms=0)
    assert sorted(e.event.id for e in taken) == sorted(e.event.id for e in batch[1:])
    assert await alive.ack(taken) == 2
    assert await pending(own_redis_client, "fraud") == 0


async def test_a_member_started_again_under_its_name_reads_its_unacknowledged_entries_first(
    own_redis_client: aioredis.Redis,
) -> None:
    before = Consumer(own_redis_client, "fraud", "server-1")
    await before.join()
    await append(own_redis_client, deposit(3, 1), deposit(3, 2))
    batch = await before.read()
    await before.ack(batch[:1])  # it processed one entry, then its process died
    again = Consumer(own_redis_client, "fraud", "server-1")
    assert [e.event.id for e in await again.read_own_pending()] == ["deposit:2"]
    assert await Consumer(own_redis_client, "fraud", "server-2").read_own_pending() == []


async def test_replay_reads_a_shard_from_an_offset_whatever_was_acknowledged(
    own_redis_client: aioredis.Redis,
) -> None:
    consumer = Consumer(own_redis_client, "reports", "a")
    await consumer.join()
    offsets = await append(own_redis_client, *(deposit(3, n) for n in range(1, 5)))
    await consumer.ack(await consumer.read())
    everything = await stream.replay(own_redis_client, shard(3))
    assert [e.offset for e in everything] == offsets
    after_second = await stream.replay(own_redis_client, shard(3), offsets[1])
    assert [e.event.id for e in after_second] == ["deposit:3", "deposit:4"]
    page = await stream.replay(own_redis_client, shard(3), offsets[0], count=2)
    assert [e.event.id for e in page] == ["deposit:2", "deposit:3"]


async def test_rewinding_a_group_delivers_again_from_the_offset(
    own_redis_client: aioredis.Redis,
) -> None:
    consumer = Consumer(own_redis_client, "reports", "a")
    await consumer.join()
    offsets = await append(own_redis_client, *(deposit(3, n) for n in range(1, 4)))
    await consumer.ack(await consumer.read())
    await consumer.rewind(shard(3), offsets[0])
    assert [e.event.id for e in await consumer.read()] == ["deposit:2", "deposit:3"]


async def test_an_event_this_code_cannot_read_stays_pending_and_unacknowledged(
    own_redis_client: aioredis.Redis,
) -> None:
    consumer = Consumer(own_redis_client, "reports", "a")
    await consumer.join()
    newer = encode(deposit(3, 1)).replace(b'"version":1', b'"version":9')
    await stream.append(own_redis_client, [(3, newer)])
    await append(own_redis_client, deposit(3, 2))
    assert [e.event.id for e in await consumer.read()] == ["deposit:2"]
    assert await pending(own_redis_client, "reports") == 2  # the newer one waits for a reader


async def test_a_stream_is_trimmed_to_about_its_bound(own_redis_client: aioredis.Redis) -> None:
    many = [(3, encode(deposit(3, n))) for n in range(stream.MAX_LENGTH + 2_000)]
    for start in range(0, len(many), 10_000):
        await stream.append(own_redis_client, many[start : start + 10_000])
    length = await own_redis_client.xlen(stream.key_of(3))
    assert stream.MAX_LENGTH <= length < stream.MAX_LENGTH + 2_000


async def test_serving_reads_the_first_entry_at_once_and_gathers_those_behind_it(
    own_redis_client: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consumer_module, "GATHER_S", 1.0)
    consumer = Consumer(own_redis_client, "reports", "a")
    batches: list[list[str]] = []
    done = asyncio.Event()
    later: list[asyncio.Task[object]] = []

    async def append_later() -> None:
        await asyncio.sleep(0.05)
        await append(own_redis_client, deposit(3, 3))

    async def process(entries: Sequence[Entry]) -> None:
        if not entries:
            return
        batches.append([entry.event.id for entry in entries])
        await consumer.ack(entries)
        if len(batches) == 1:  # one more now, one 50 ms later: a read at once would split them
            await append(own_redis_client, deposit(3, 2))
            later.append(asyncio.create_task(append_later()))
        if sum(map(len, batches)) == 3:
            done.set()

    await consumer.join("$")
    await append(own_redis_client, deposit(3, 1))
    serving = asyncio.create_task(consumer.serve(process, "test consumer", "0"))
    try:
        await asyncio.wait_for(done.wait(), 10)
    finally:
        serving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await serving
    assert batches == [["deposit:1"], ["deposit:2", "deposit:3"]]
