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
A redis-py `Pipeline` only records the callers' commands (so they use its command methods);
each caller's commands are packed by hiredis as they are staged (a value that cannot be
encoded fails that caller alone, at once), and replies are parsed by the client's own
response callbacks, exactly as for a direct call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import hiredis
import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.asyncio.connection import Connection
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
    pipe: Pipeline  # records the commands; never executed itself
    packed: list[bytes] = field(default_factory=list)
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
        try:
            packed = [hiredis.pack_command(_split_name(args)) for args in commands]
        except (TypeError, ValueError) as error:
            del batch.pipe.command_stack[first:]
            raise DataError(f"a command cannot be encoded: {error}") from None
        batch.packed.extend(packed)
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
        pool = self.client.connection_pool
        try:
            connection: Connection = await pool.get_connection()  # type: ignore[no-untyped-call]
        except BaseException as error:
            _fail(batch.waiters, error)
            if not isinstance(error, Exception):
                raise
            return
        try:
            replies = await connection.retry.call_with_retry(
                lambda: self._exchange(connection, batch), lambda _: connection.disconnect()
            )
        except BaseException as error:
            # Replies may be left unread on it: never hand this connection out again as is.
            await connection.disconnect(nowait=True)
            _fail(batch.waiters, error)
            if not isinstance(error, Exception):
                raise
            return
        finally:
            await pool.release(connection)
        start = 0
        for waiter in batch.waiters:
            if not waiter.replies.done():  # a caller cancelled meanwhile has no one to tell
                waiter.replies.set_result(replies[start : start + waiter.count])
            start += waiter.count

    async def _exchange(self, connection: Connection, batch: _Batch) -> list[Any]:
        """One write of the whole batch, then every reply read in order (so the connection
        stays in step even when some replies are errors)."""
        await connection.send_packed_command(batch.packed)
        replies: list[Any] = []
        for args, options in batch.pipe.command_stack:
            try:
                replies.append(await self.client.parse_response(connection, args[0], **options))
            except ResponseError as error:
                replies.append(error)
        return replies

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


def _split_name(args: tuple[Any, ...]) -> tuple[Any, ...]:
    # Command methods name some commands in one string ("SCRIPT LOAD"); Redis wants two words.
    name = args[0]
    if isinstance(name, str) and " " in name:
        return (*name.split(), *args[1:])
    return args
