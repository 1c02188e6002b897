"""The loops that block on Redis reads stop when cancelled, even when redis-py loses the
cancellation: the flusher, the event consumers (the risk monitor, reports), the push hub,
the sweeper and the event relay.
And the event relay stops when it is cancelled just as an event wakes it, which Python
3.11's `asyncio.wait_for` lost.

redis-py sometimes swallows a cancellation that lands while a blocking read waits
(redis-py issue 2028; measured here at about one cancel of an XREADGROUP in 150): the read
returns as if nothing happened and the loop reads again. The flusher child's stop then took
its whole grace (5 s), and the server's shutdown waited for it. Against a real redis-server
of the module's own; the lost cancellation is the library's, reproduced by a read that
catches it once, as redis-py does.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, Literal, cast

import pytest
import redis.asyncio as aioredis
from redis.asyncio.client import PubSub

from server import background
from server.events import outbox
from server.events.consumer import Consumer
from server.money.journal.flusher import Flusher
from server.rounds import sweeper
from server.rounds.play import Rounds
from server.sessions.hub import Hub
from server.storage import redis_client
from server.storage.database import Database
from tests.support import db as test_db

STOP_BOUND_S = 10.0  # a hang, not a speed: the loop stops on its next turn


def losing_one_cancel(
    real: Callable[..., Awaitable[Any]], in_read: asyncio.Event
) -> Callable[..., Awaitable[Any]]:
    """`real` (a blocking read, patched in as a function or a method) that loses the first
    cancellation landing after its first reply, as redis-py loses one now and then: still
    reading when the cancel comes, it just returns."""
    lost: list[bool] = []

    async def read(*args: Any, **kwargs: Any) -> Any:
        reply = await real(*args, **kwargs)
        if not lost:
            lost.append(True)
            in_read.set()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(STOP_BOUND_S)
        return reply

    return read


async def test_a_cancellation_lost_in_a_blocking_read_still_stops_the_flusher(
    own_redis_client: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_read = asyncio.Event()
    monkeypatch.setattr(
        redis_client, "read_group", losing_one_cancel(redis_client.read_group, in_read)
    )
    flusher = Flusher(own_redis_client, cast(Database, None), batch=100, block_ms=50)
    await flusher.ensure_group()
    running = asyncio.create_task(flusher.run())
    assert await _stops_after_one_cancel(running, in_read)


async def test_a_cancellation_lost_in_a_blocking_read_still_stops_an_event_consumer(
    own_redis_client: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_read = asyncio.Event()

    async def process(entries: Sequence[Any]) -> None:
        return None

    monkeypatch.setattr(Consumer, "read", losing_one_cancel(Consumer.read, in_read))
    consumer = Consumer(own_redis_client, "lost-cancel", "one")
    running = asyncio.create_task(consumer.serve(process, "a test consumer", "$"))
    assert await _stops_after_one_cancel(running, in_read)


async def test_a_cancellation_lost_in_a_blocking_read_still_stops_the_push_hub(
    own_redis_client: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_read = asyncio.Event()
    monkeypatch.setattr(PubSub, "get_message", losing_one_cancel(PubSub.get_message, in_read))
    hub = Hub(own_redis_client, max_sessions=8, max_per_ip=8)
    running = asyncio.create_task(hub.run())
    assert await _stops_after_one_cancel(running, in_read)


async def test_a_cancellation_lost_in_a_sweep_still_stops_the_sweeper(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    in_read = asyncio.Event()

    async def sweep_nothing(play: object) -> int:
        return 0

    monkeypatch.setattr(sweeper, "sweep_once", losing_one_cancel(sweep_nothing, in_read))
    running = asyncio.create_task(sweeper.run(cast(Rounds, None)))
    assert await _stops_after_one_cancel(running, in_read)


class Watched(asyncio.Event):
    """An event that tells when somebody waits on it."""

    def __init__(self) -> None:
        super().__init__()
        self.waited = asyncio.Event()

    async def wait(self) -> Literal[True]:
        self.waited.set()
        return await super().wait()


async def test_an_event_that_wakes_the_relay_as_it_is_cancelled_still_stops_it(
    own_redis_client: aioredis.Redis, tmp_path: Path
) -> None:
    # A server's shutdown cancels the relay while its last sockets' events wake it. Python
    # 3.11's wait_for returned the wake and dropped the cancel when both landed in one turn
    # of the loop: the relay went on relaying until the worker's stop bound killed it.
    db = Database(test_db.target_for(tmp_path))
    await db.open()
    try:
        relay = outbox.Relay(db, own_redis_client, idle_s=STOP_BOUND_S)
        relay.woken = woken = Watched()
        running = asyncio.create_task(relay.run())
        await woken.waited.wait()
        woken.set()
        # Waiting on a set event does not yield: the cancel lands in this same turn.
        assert await _stops_after_one_cancel(running, woken)
    finally:
        await db.close()


async def _stops_after_one_cancel(running: asyncio.Task[None], in_read: asyncio.Event) -> bool:
    """Cancel once while the read that loses it waits; whether the task then ended."""
    await in_read.wait()
    running.cancel()
    done, _ = await asyncio.wait([running], timeout=STOP_BOUND_S)
    if not done:  # the test has failed; a second cancellation ends the task
        running.cancel()
        await asyncio.wait([running], timeout=STOP_BOUND_S)
    return running in done and running.cancelled()


async def test_a_background_task_that_loses_its_cancel_is_cancelled_again_and_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    lost = asyncio.Event()

    async def loses_one_cancel() -> None:
        with contextlib.suppress(asyncio.CancelledError):  # as a library below us may
            await asyncio.sleep(STOP_BOUND_S)
        lost.set()
        await asyncio.sleep(STOP_BOUND_S)

    task = asyncio.create_task(loses_one_cancel(), name="deaf-once")
    await asyncio.sleep(0)
    assert await background.stop_all([task]) == set()
    assert lost.is_set() and task.cancelled()
    assert "task deaf-once is still running after its cancel; cancelling it again" in caplog.text
    assert "in loses_one_cancel" in caplog.text  # where it was


async def test_background_tasks_that_heed_their_cancel_stop_in_one_round_unlogged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tasks = [asyncio.create_task(asyncio.sleep(STOP_BOUND_S)) for _ in range(3)]
    assert await background.stop_all(tasks) == set()
    assert all(task.cancelled() for task in tasks)
    assert caplog.text == ""


async def test_a_task_deaf_to_every_cancel_is_left_behind_and_logged(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(background, "RECANCEL_AFTER_S", 0.01)
    heard = asyncio.Event()

    async def deaf() -> None:
        while not heard.is_set():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(STOP_BOUND_S)

    task = asyncio.create_task(deaf(), name="deaf")
    await asyncio.sleep(0)
    assert await background.stop_all([task]) == {task}  # the shutdown goes on without it
    assert f"task deaf ignored {background.RECANCELS + 1} cancels; leaving it" in caplog.text
    heard.set()
    task.cancel()
    await asyncio.wait([task], timeout=STOP_BOUND_S)
    assert task.done()
