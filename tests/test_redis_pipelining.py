"""Automatic pipelining against a real redis-server: concurrent callers share one round trip,
each gets its own replies, and one caller's failure is no one else's.

Round trips are counted by Redis itself: `total_writes_processed` in INFO stats grows by one
for every reply write to a client. Each test's redis-server is its own, so nothing else
writes to it; the INFO call that reads the counter adds one write of its own.
"""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest
import redis.asyncio as aioredis
import uvloop
from redis.asyncio.client import Pipeline
from redis.exceptions import ConnectionError, DataError, ResponseError

from rng import fair
from server.money import keys
from server.money.hot import FairState, HotWallet, Resolved
from server.money.scripts import ScriptReply
from server.storage.autopipeline import MAX_BATCH, AutoPipeline
from server.storage.redis_child import RedisChild
from server.storage.redis_client import MAX_CONNECTIONS
from server.storage.redis_client import connect as connect_redis

T = TypeVar("T")

COUNTER = "redis.call('INCRBY', KEYS[1], ARGV[1]) return {ARGV[2], redis.call('GET', KEYS[1])}"


@pytest.fixture
def client(own_redis_client: aioredis.Redis) -> aioredis.Redis:
    return own_redis_client


@pytest.fixture
async def pipeline(client: aioredis.Redis) -> AsyncIterator[Callable[..., AutoPipeline]]:
    """Makes pipeliners on `client`, and closes their connections after the test."""
    made: list[AutoPipeline] = []

    def make(max_batch: int = MAX_BATCH) -> AutoPipeline:
        made.append(AutoPipeline(client, max_batch=max_batch))
        return made[-1]

    yield make
    for batch in made:
        await batch.aclose()


async def connected(batch: AutoPipeline) -> AutoPipeline:
    """The pipeliner with its connection open, so that its handshake is not counted."""
    await batch.command("PING")
    batch.counters.batches = batch.counters.commands = 0
    return batch


async def round_trips_of(client: aioredis.Redis, work: Callable[[], Awaitable[T]]) -> tuple[T, int]:
    """What `work` returned, and the reply writes Redis made while it ran (the measuring INFO
    call's own excluded)."""
    before = (await client.info("stats"))["total_writes_processed"]
    result = await work()
    after = (await client.info("stats"))["total_writes_processed"]
    return result, int(after - before) - 1


async def test_two_hundred_concurrent_calls_take_one_round_trip(
    client: aioredis.Redis, pipeline: Callable[..., AutoPipeline]
) -> None:
    batch = await connected(pipeline())
    replies, trips = await round_trips_of(
        client, lambda: asyncio.gather(*(batch.command("INCRBY", f"k{n}", n) for n in range(200)))
    )
    assert replies == list(range(200))
    assert trips == 1
    assert (batch.counters.batches, batch.counters.commands) == (1, 200)


async def test_the_same_calls_unbatched_take_a_round_trip_each(client: aioredis.Redis) -> None:
    await client.ping()
    replies, trips = await round_trips_of(
        client, lambda: asyncio.gather(*(client.incrby("k", 1) for _ in range(50)))
    )
    assert sorted(replies) == list(range(1, 51))
    assert trips >= 50


async def test_concurrent_scripts_stay_atomic_and_answer_their_own_caller(
    client: aioredis.Redis, pipeline: Callable[..., AutoPipeline]
) -> None:
    batch = pipeline()
    script = client.register_script(COUNTER)
    await client.script_load(COUNTER)
    replies = await asyncio.gather(
        *(batch.script(script, keys=["total"], args=[1, f"caller-{n}"]) for n in range(100))
    )
    assert [tag for tag, _ in replies] == [f"caller-{n}" for n in range(100)]
    assert sorted(int(total) for _, total in replies) == list(range(1, 101))
    assert batch.counters.batches == 1


async def test_an_error_reply_fails_only_the_caller_it_answers(
    client: aioredis.Redis, pipeline: Callable[..., AutoPipeline]
) -> None:
    batch = pipeline()
    await client.set("text", "not a hash")
    calls = [batch.command("INCRBY", f"k{n}", 5) for n in range(20)]
    calls.insert(7, batch.command("HINCRBY", "text", "field", 1))
    results = await asyncio.gather(*calls, return_exceptions=True)
    failed = results.pop(7)
    assert isinstance(failed, ResponseError)
    assert "WRONGTYPE" in str(failed)
    assert results == [5] * 20
    assert batch.counters.batches == 1


async def test_a_value_that_cannot_be_encoded_fails_only_its_caller(
    client: aioredis.Redis, pipeline: Callable[..., AutoPipeline]
) -> None:
    batch = pipeline()
    calls = [batch.command("INCRBY", f"k{n}", 2) for n in range(10)]
    calls.insert(3, batch.command("SET", "k-none", None))
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert isinstance(results.pop(3), DataError)
    assert results == [2] * 10
    assert await client.exists("k-none") == 0


async def test_a_callers_commands_stay_adjacent_and_in_order(
    client: aioredis.Redis, pipeline: Callable[..., AutoPipeline]
) -> None:
    batch = pipeline(max_batch=5)

    async def write_then_read(n: int) -> list[object]:
        def stage(pipe: Pipeline) -> None:
            pipe.set(f"key{n}", f"value{n}")
            pipe.append(f"key{n}", "!")
            pipe.get(f"key{n}")

        return await batch.run(stage)

    replies = await asyncio.gather(*(write_then_read(n) for n in range(12)))
    assert replies == [[True, len(f"value{n}!"), f"value{n}!"] for n in range(12)]
    # A caller's three commands are never split: a batch closes as soon as it holds
    # max_batch or more, here after its second caller.
    assert batch.counters.batches == 6


async def test_a_full_batch_is_sent_at_once_and_the_rest_next_tick(
    client: aioredis.Redis, pipeline: Callable[..., AutoPipeline]
) -> None:
    batch = pipeline(max_batch=10)
    replies = await asyncio.gather(*(batch.command("INCR", f"k{n}") for n in range(25)))
    assert replies == [1] * 25
    assert (batch.counters.batches, batch.counters.commands) == (3, 25)


async def test_scripts_flushed_from_redis_are_loaded_once_and_every_caller_answered(
    client: aioredis.Redis, pipeline: Callable[..., AutoPipeline]
) -> None:
    batch = pipeline()
    script = client.register_script(COUNTER)
    await client.script_load(COUNTER)
    await batch.script(script, keys=["n"], args=[1, "first"])
    await client.script_flush()
    replies = await asyncio.gather(
        *(batch.script(script, keys=["n"], args=[1, f"c{i}"]) for i in range(30))
    )
    assert sorted(int(total) for _, total in replies) == list(range(2, 32))
    assert batch.counters.script_reloads == 1


async def test_calls_made_while_redis_restarts_are_retried_and_answered(tmp_path: Path) -> None:
    child = RedisChild(tmp_path / "redis")
    child.start()
    redis_client = connect_redis(child.url)
    try:
        batch = AutoPipeline(redis_client)
        script = redis_client.register_script(COUNTER)
        await redis_client.script_load(COUNTER)
        await batch.script(script, keys=["n"], args=[1, "before"])
        child.stop()
        calls = asyncio.gather(
            *(batch.script(script, keys=[f"k{i}"], args=[i, f"c{i}"]) for i in range(20))
        )
        await asyncio.sleep(0.05)  # the batch has met the closed port and is backing off
        child.start()  # AOF keeps the data; the script cache starts empty
        replies = await asyncio.wait_for(calls, timeout=30)
        assert replies == [[f"c{i}", str(i)] for i in range(20)]
        assert await redis_client.get("n") == "1"
        assert batch.counters.script_reloads == 1
        assert batch.counters.connections == 2
    finally:
        await batch.aclose()
        await redis_client.aclose()
        child.stop()


async def test_concurrent_spins_of_many_players_share_one_round_trip(
    client: aioredis.Redis,
) -> None:
    hot = HotWallet(client, reservation_ttl_ms=60_000)
    seed = bytes(range(32))
    players = range(1, 41)
    for player in players:
        await hot.hydrate(player, "EUR", 1_000, ledger_mark=0)
        await hot.install_seed(player, False, seed, fair.seed_hash(seed), "client", nonce=0)
    digest = fair.seed_hash(seed)

    def spins(nonce: int) -> Awaitable[list[Resolved | FairState | ScriptReply]]:
        return asyncio.gather(
            *(
                hot.spin(
                    player, "EUR", f"round-{player}-{nonce}", "classic-sevens", 100, 250, "{}",
                    "{}", FairState(seed, "client", nonce, digest),
                )
                for player in players
            )
        )  # fmt: skip

    first = await spins(0)  # the scripts are not loaded yet: NOSCRIPT, load, again
    assert hot.batch.counters.batches == 3
    second = await spins(1)
    assert hot.batch.counters.batches == 4
    assert [r.cash for r in first if isinstance(r, Resolved)] == [1_150] * 40
    assert [r.cash for r in second if isinstance(r, Resolved)] == [1_300] * 40
    await hot.aclose()
    assert sum([await client.xlen(stream) for stream in keys.journals()]) == 80


def test_the_pipeliner_works_on_uvloop_the_servers_event_loop(own_redis: RedisChild) -> None:
    async def spins() -> list[int]:
        client = connect_redis(own_redis.url)
        batch = AutoPipeline(client)
        try:
            replies = await asyncio.gather(*(batch.command("INCR", "uv") for _ in range(10)))
            return [int(reply) for reply in replies]
        finally:
            await batch.aclose()
            await client.aclose()

    assert sorted(uvloop.run(spins())) == list(range(1, 11))


async def test_more_concurrent_calls_than_pool_connections_wait_instead_of_failing(
    own_redis: RedisChild,
) -> None:
    # Not pipelined: plain client calls, each holding a pool connection while Redis sleeps.
    client = connect_redis(own_redis.url)
    try:
        burst = MAX_CONNECTIONS + 50
        replies = await asyncio.gather(
            *(client.eval("redis.call('INCR', 'burst') return 1", 0) for _ in range(burst))
        )
        assert replies == [1] * burst
        assert await client.get("burst") == str(burst)
    finally:
        await client.aclose()


async def test_closing_while_redis_stopped_answering_fails_the_call_instead_of_hanging(
    tmp_path: Path,
) -> None:
    child = RedisChild(tmp_path / "redis")
    child.start()
    redis_client = connect_redis(child.url)
    batch = AutoPipeline(redis_client)
    try:
        await batch.command("PING")  # connected
        assert child.process is not None
        child.process.send_signal(signal.SIGSTOP)  # alive, but answers nothing
        call = asyncio.ensure_future(batch.command("INCR", "n"))
        await asyncio.sleep(0.05)
        await asyncio.wait_for(batch.aclose(wait_s=0.2), timeout=5)
        with pytest.raises(ConnectionError):
            await call
    finally:
        if child.process is not None:
            child.process.send_signal(signal.SIGCONT)
        await redis_client.aclose()
        child.stop()


async def test_the_bet_paths_connection_gives_up_on_a_peer_that_goes_silent(
    client: aioredis.Redis, pipeline: Callable[..., AutoPipeline]
) -> None:
    batch = await connected(pipeline())
    link = batch._link
    assert link is not None and link.transport is not None
    sock = link.transport.get_extra_info("socket")
    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == 10_000
    options = (socket.TCP_KEEPIDLE, socket.TCP_KEEPINTVL, socket.TCP_KEEPCNT)
    assert [sock.getsockopt(socket.IPPROTO_TCP, option) for option in options] == [5, 2, 3]
