"""Automatic pipelining: the Redis commands that concurrent coroutines stage in one event-loop
tick go to Redis as one pipeline write, and each caller gets its own replies back.

Many players betting at once each make one script call; sent one by one, the Python client,
not Redis, is the limit. Here every caller stages its commands on the pipeline of the current
tick; the first one to do so schedules the flush for the next tick (`call_soon`), so everyone
who runs in this tick joins the same batch. No guarantee is loosened:

- Each script call is still one EVALSHA, atomic in Redis, and answered or failed on its own:
  an error reply fails only the caller whose command it answers.
- The commands one caller stages together stay adjacent and in order on one connection (the
  wallet's due-index entry still goes before the reservation it indexes).
- NOSCRIPT (a restarted or flushed Redis) is recovered per caller: the script is loaded and
  that caller's commands are staged again (nothing of a NOSCRIPT command ran).
- A dropped connection is retried by redis-py for the whole batch, with the backoff of
  `redis_client.connect`; that re-sends commands that may have run, which is safe only because
  everything we send is idempotent (see `redis_client`). When the retries run out, every
  caller of the batch gets the connection error.

Batches run concurrently, each on a pool connection, so a slow batch never holds up the next.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.commands.core import AsyncScript
from redis.exceptions import DataError, NoScriptError, ResponseError

MAX_BATCH = 1000  # commands per write: bounds one reply read and the memory of one batch
NOSCRIPT_RELOADS = 2  # a caller whose script vanished twice in a row is told so

Stage = Callable[[Pipeline], object]  # puts a caller's commands on the tick's pipeline


@dataclass(slots=True)
class _Waiter:
    count: int  # how many consecutive commands of the batch are this caller's
    replies: asyncio.Future[list[Any]]


@dataclass(slots=True)
class _Batch:
    pipe: Pipeline
    waiters: list[_Waiter] = field(default_factory=list)


@dataclass(slots=True)
class Counters:
    """What the pipeliner has sent so far: `commands / batches` is the gain."""

    batches: int = 0
    commands: int = 0
    script_reloads: int = 0


class AutoPipeline:
    def __init__(self, client: aioredis.Redis, max_batch: int = MAX_BATCH) -> None:
        self.client = client
        self.max_batch = max_batch
        self.counters = Counters()
        self._batch: _Batch | None = None
        self._scripts: dict[str, AsyncScript] = {}
        self._reloading: dict[str, asyncio.Future[Any]] = {}
        self._in_flight: set[asyncio.Task[None]] = set()

    async def run(self, stage: Stage) -> list[Any]:
        """Stage commands (`stage(pipe)` calls pipeline methods) and return their replies in
        order, once this tick's batch has been answered. An error reply to any of them is
        raised, after all of them were read."""
        for attempt in range(NOSCRIPT_RELOADS + 1):
            commands, replies = await self._submit(stage)
            missing = {
                str(args[1])
                for args, reply in zip(commands, replies, strict=True)
                if isinstance(reply, NoScriptError) and str(args[0]).upper() == "EVALSHA"
            }
            if not missing or attempt == NOSCRIPT_RELOADS:
                break
            await asyncio.gather(*(self._reload(sha) for sha in missing))
        for reply in replies:
            if isinstance(reply, ResponseError):
                raise reply
        return replies

    async def command(self, *args: Any, **options: Any) -> Any:
        """One command, e.g. `await batch.command("HGET", key, "cash")`."""
        (reply,) = await self.run(lambda pipe: pipe.execute_command(*args, **options))
        return reply

    async def script(self, script: AsyncScript, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        """One script call, as `await script(keys=..., args=...)` but batched."""
        (reply,) = await self.run(lambda pipe: self.stage_script(pipe, script, keys, args))
        return reply

    def stage_script(
        self, pipe: Pipeline, script: AsyncScript, keys: Sequence[Any], args: Sequence[Any]
    ) -> None:
        """Stage a script call inside a `run` stage, so NOSCRIPT can be recovered."""
        self._scripts[script.sha] = script
        pipe.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)

    async def _submit(self, stage: Stage) -> tuple[list[tuple[Any, ...]], list[Any]]:
        batch = self._open_batch()
        first = len(batch.pipe.command_stack)
        stage(batch.pipe)
        staged = batch.pipe.command_stack[first:]
        commands = [args for args, _ in staged]
        waiter = _Waiter(len(staged), asyncio.get_running_loop().create_future())
        batch.waiters.append(waiter)
        if len(batch.pipe.command_stack) >= self.max_batch:
            self._flush()
        return commands, await waiter.replies

    def _open_batch(self) -> _Batch:
        if self._batch is None:
            self._batch = _Batch(self.client.pipeline(transaction=False))
            # Everyone who runs in this tick joins before the next tick sends the batch.
            asyncio.get_running_loop().call_soon(self._flush)
        return self._batch

    def _flush(self) -> None:
        batch, self._batch = self._batch, None
        if batch is None:  # already sent early, when it reached max_batch
            return
        self.counters.batches += 1
        self.counters.commands += len(batch.pipe.command_stack)
        task = asyncio.get_running_loop().create_task(self._send(batch))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _send(self, batch: _Batch) -> None:
        stack = batch.pipe.command_stack  # execute() empties the pipeline
        try:
            replies = await batch.pipe.execute(raise_on_error=False)
        except DataError as error:
            # A value that cannot be encoded fails while packing, before anything is sent:
            # send each caller's commands apart, so only the one who staged it fails.
            if len(batch.waiters) == 1:
                _fail(batch.waiters, error)
            else:
                parts = _apart(self.client, batch, stack)
                await asyncio.gather(*(self._send(part) for part in parts))
            return
        except BaseException as error:
            _fail(batch.waiters, error)
            if not isinstance(error, Exception):
                raise
            return
        start = 0
        for waiter in batch.waiters:
            if not waiter.replies.done():  # a caller cancelled meanwhile has no one to tell
                waiter.replies.set_result(replies[start : start + waiter.count])
            start += waiter.count

    async def _reload(self, sha: str) -> None:
        # After a Redis restart every caller meets NOSCRIPT at once: one load serves them all.
        loading = self._reloading.get(sha)
        if loading is None:
            script = self._scripts[sha]
            self.counters.script_reloads += 1
            loading = asyncio.ensure_future(self.command("SCRIPT", "LOAD", script.script))
            self._reloading[sha] = loading
            loading.add_done_callback(lambda _: self._reloading.pop(sha, None))
        await asyncio.shield(loading)

    async def aclose(self) -> None:
        """Wait for the batches in flight (their callers are waiting for them anyway)."""
        if self._batch is not None:
            self._flush()
        await asyncio.gather(*self._in_flight, return_exceptions=True)


def _fail(waiters: list[_Waiter], error: BaseException) -> None:
    for waiter in waiters:
        if waiter.replies.done():
            continue
        if isinstance(error, Exception):
            waiter.replies.set_exception(error)
        else:  # the sending task itself was cancelled (shutdown)
            waiter.replies.cancel()


def _apart(client: aioredis.Redis, batch: _Batch, stack: list[Any]) -> list[_Batch]:
    parts = []
    start = 0
    for waiter in batch.waiters:
        pipe = client.pipeline(transaction=False)
        pipe.command_stack = stack[start : start + waiter.count]
        parts.append(_Batch(pipe, [waiter]))
        start += waiter.count
    return parts
