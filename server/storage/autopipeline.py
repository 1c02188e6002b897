"""Automatic pipelining: the Redis commands that concurrent coroutines stage in one event-loop
tick go to Redis as one write on one connection, and each caller gets its own replies back.

Many players betting at once each make one script call; sent one by one, the Python client,
not Redis, is the limit. Here every caller stages its commands on the batch of the current
tick; the first one to do so schedules the write for the next tick (`call_soon`), so everyone
who runs in this tick joins the same batch. The batch goes out on a connection of our own
(`_Link`, a plain `asyncio.Protocol`), whose replies hiredis parses as they arrive and hands
to their callers in order: no per-command awaits, timeouts or pool round trips, which is most
of what redis-py spends on a call. No guarantee is loosened:

- Each script call is still one EVALSHA, atomic in Redis, and answered or failed on its own:
  an error reply fails only the caller whose command it answers.
- The commands one caller stages together stay adjacent and in order on the connection (the
  wallet's due-index entry still goes before the reservation it indexes).
- NOSCRIPT (a restarted or flushed Redis) is recovered per caller: the script is loaded once
  and that caller's commands are sent again (nothing of a NOSCRIPT command ran). LOADING (a
  Redis still reading its AOF) is waited out the same way, with backoff.
- A dropped connection is reopened with the backoff of `redis_client` (`RETRIES`), and every
  command that was not answered is sent again, in order; that re-sends commands that may have
  run, which is safe only because everything we send is idempotent (see `redis_client`).
  When the retries run out, every waiting caller gets a `ConnectionError`.
- Under Sentinel the connection goes to wherever the sentinels say the master is now; a
  READONLY reply (a demoted master) drops the connection and the refused commands go again
  to the new master. With `?replicas=N` (`redis_client`) each caller's commands are followed
  by a WAIT, and a caller is answered only when N replicas hold its writes; fewer within
  `WAIT_TIMEOUT_MS` fails it with `NotReplicated` (its writes happened on the master, may
  yet be lost with it, and were never acknowledged).

The connection speaks RESP3 as the client does, and each reply goes through the client's own
response callbacks, so a call answers exactly what the same call on the client would. A
redis-py `Pipeline` only records the commands of `run` stages (so they use its command
methods); each caller's commands are packed by hiredis as they are staged, so a value that
cannot be encoded fails that caller alone, at once.
"""

from __future__ import annotations

import asyncio
import collections
import socket
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import hiredis
import redis.asyncio as aioredis
from redis._parsers.base import BaseParser
from redis.asyncio.client import Pipeline
from redis.asyncio.cluster import ClusterNode
from redis.backoff import ExponentialWithJitterBackoff
from redis.client import EMPTY_RESPONSE, NEVER_DECODE
from redis.commands.core import AsyncScript
from redis.exceptions import (
    BusyLoadingError,
    ConnectionError,
    DataError,
    NoScriptError,
    ReadOnlyError,
    ResponseError,
)

from server.storage import redis_client
from server.storage.redis_client import RETRIES, WAIT_TIMEOUT_MS, NotReplicated

MAX_BATCH = 1000  # commands per write: bounds one write and the memory of one batch
NOSCRIPT_RELOADS = 2  # a caller whose script vanished twice in a row is told so
CONNECT_TIMEOUT_S = 2.0
CLOSE_WAIT_S = 5.0  # how long closing waits for the calls in flight
SILENT_PEER_S = 10.0  # unacknowledged data this old ends the connection (TCP_USER_TIMEOUT)
KEEPALIVE_IDLE_S, KEEPALIVE_INTERVAL_S, KEEPALIVE_PROBES = 5, 2, 3

Stage = Callable[[Pipeline], object]  # puts a caller's commands on the tick's pipeline
Callback = Callable[..., Any] | None

_NOT_YET = object()  # what hiredis answers while a reply is incomplete (False is a reply)
_NO_CALLBACK: tuple[Callback] = (None,)
_NO_OPTIONS: tuple[dict[str, Any]] = ({},)
_NOT_FOR_CALLBACKS = frozenset({"keys", NEVER_DECODE, EMPTY_RESPONSE})


class _Sent:
    """One caller's commands: their bytes, how to read each reply, and who waits for them."""

    __slots__ = ("callbacks", "count", "options", "packed", "replies", "waiter")

    def __init__(
        self,
        packed: bytes,
        callbacks: Sequence[Callback],
        options: Sequence[dict[str, Any]],
        waiter: asyncio.Future[list[Any]],
    ) -> None:
        self.packed = packed
        self.count = len(callbacks)
        self.callbacks = callbacks
        self.options = options
        self.waiter = waiter
        self.replies: list[Any] = []


class Counters:
    """What the pipeliner has sent so far: `commands / batches` is the gain."""

    __slots__ = ("batches", "commands", "connections", "script_reloads")

    def __init__(self) -> None:
        self.batches = 0
        self.commands = 0
        self.script_reloads = 0
        self.connections = 0  # opened so far: more than one means Redis went away meanwhile


class _Link(asyncio.Protocol):
    """One connection: writes batches, hands each reply to the caller it answers, in order."""

    def __init__(self, on_lost: Callable[[_Link], None]) -> None:
        self.on_lost = on_lost
        self.transport: asyncio.Transport | None = None
        self.pending: collections.deque[_Sent] = collections.deque()
        self.reader = hiredis.Reader(
            encoding="utf-8", replyError=BaseParser.parse_error, notEnoughData=_NOT_YET
        )
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def send(self, sent: Sequence[_Sent]) -> None:
        assert self.transport is not None
        self.pending.extend(sent)
        self.transport.write(b"".join([s.packed for s in sent]))

    def data_received(self, data: bytes) -> None:
        reader = self.reader
        reader.feed(data)
        pending = self.pending
        while True:
            try:
                reply = reader.gets()
            except hiredis.ProtocolError:  # out of step: only a new connection is safe
                self.close()
                return
            if reply is _NOT_YET:
                return
            if not pending:
                continue  # nothing asked for it (a RESP3 push): nobody to give it to
            head = pending[0]
            index = len(head.replies)
            callback = head.callbacks[index]
            if callback is not None and not isinstance(reply, ResponseError):
                try:
                    reply = callback(reply, **head.options[index])
                except Exception as error:  # a reply the callback cannot read fails its caller
                    reply = ResponseError(f"unreadable reply: {error}")
            head.replies.append(reply)
            if index + 1 == head.count:
                pending.popleft()
                if not head.waiter.done():  # a caller cancelled meanwhile has no one to tell
                    head.waiter.set_result(head.replies)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.on_lost(self)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class AutoPipeline:
    def __init__(self, client: aioredis.Redis, max_batch: int = MAX_BATCH) -> None:
        self.client = client
        self.max_batch = max_batch
        self.counters = Counters()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._batch: list[_Sent] | None = None
        self._staged = 0  # commands in the open batch
        self._link: _Link | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._unsent: collections.deque[_Sent] = collections.deque()  # waiting for a link
        self._recorder = client.pipeline(transaction=False)  # records `run` stages only
        self._callbacks = client.response_callbacks
        self._scripts: dict[str, AsyncScript] = {}
        self._reloading: dict[str, asyncio.Future[Any]] = {}
        self._backoff = ExponentialWithJitterBackoff(base=0.02, cap=0.5)
        self._closed = False
        self._replicas = redis_client.replicas(client)
        self._wait = _pack_args([("WAIT", self._replicas, WAIT_TIMEOUT_MS)])

    # -- calls ----------------------------------------------------------------------------
    async def run(self, stage: Stage) -> list[Any]:
        """Stage commands (`stage(pipe)` calls pipeline methods) and return their replies in
        order, once this tick's batch has been answered. An error reply to any of them is
        raised, after all of them were read."""
        commands = self._record(stage)
        shas = [str(args[1]) if str(args[0]).upper() == "EVALSHA" else None for args, _ in commands]
        return await self._answered(
            _pack_args([args for args, _ in commands]),
            [self._callbacks.get(args[0]) for args, _ in commands],
            [_reply_options(options) for _, options in commands],
            shas,
        )

    async def command(self, *args: Any, **options: Any) -> Any:
        """One command, e.g. `await batch.command("HGET", key, "cash")`."""
        (reply,) = await self.run(lambda pipe: pipe.execute_command(*args, **options))
        return reply

    async def script(self, script: AsyncScript, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        """One script call, as `await script(keys=..., args=...)` but batched. The bet path's
        call: packed straight from its arguments, no pipeline recording."""
        self._scripts[script.sha] = script
        command = ("EVALSHA", script.sha, len(keys), *keys, *args)
        (reply,) = await self._answered(
            _pack_args([command]), _NO_CALLBACK, _NO_OPTIONS, (script.sha,)
        )
        return reply

    def stage_script(
        self, pipe: Pipeline, script: AsyncScript, keys: Sequence[Any], args: Sequence[Any]
    ) -> None:
        """Stage a script call inside a `run` stage, so NOSCRIPT can be recovered."""
        self._scripts[script.sha] = script
        pipe.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)

    async def aclose(self, wait_s: float = CLOSE_WAIT_S) -> None:
        """Wait up to `wait_s` for the calls in flight (their callers are waiting for them
        anyway), then close the connection; a call still unanswered by then (a Redis that
        stopped answering) fails with ConnectionError rather than hold the shutdown."""
        if self._batch is not None:
            self._flush()
        waiting = [s.waiter for s in self._unsent]
        if self._link is not None:
            waiting += [s.waiter for s in self._link.pending]
        if waiting:
            await asyncio.wait(waiting, timeout=wait_s)
        self._closed = True  # a link lost from here on is not reopened
        if self._connecting is not None:
            self._connecting.cancel()
        if self._link is not None:
            self._link.close()
            self._link = None
        for waiter in waiting:
            if not waiter.done():
                waiter.set_exception(ConnectionError("the pipeliner was closed"))
        self._unsent.clear()

    async def _answered(
        self,
        packed: bytes,
        callbacks: Sequence[Callback],
        options: Sequence[dict[str, Any]],
        shas: Sequence[str | None],
    ) -> list[Any]:
        """Send one caller's commands until they are answered: again after loading a script
        Redis had lost (`shas` names each EVALSHA's script) or while Redis is loading; an
        error reply to any of them is raised, after all of them were read."""
        if self._replicas:
            packed += self._wait
            callbacks, options, shas = [*callbacks, None], [*options, {}], [*shas, None]
        for attempt in range(RETRIES + 1):
            replies = await self._submit(packed, callbacks, options)
            if any(isinstance(reply, ReadOnlyError) for reply in replies) and attempt < RETRIES:
                # A demoted master refused them: nothing ran; the new master is asked again.
                if self._link is not None:
                    self._link.close()
                await asyncio.sleep(self._backoff.compute(attempt))
                continue
            missing = {
                sha
                for sha, reply in zip(shas, replies, strict=True)
                if sha is not None and isinstance(reply, NoScriptError)
            }
            if missing and attempt < NOSCRIPT_RELOADS:
                await asyncio.gather(*(self._reload(sha) for sha in missing))
                continue
            if any(isinstance(reply, BusyLoadingError) for reply in replies) and attempt < RETRIES:
                await asyncio.sleep(self._backoff.compute(attempt))
                continue
            break
        for reply in replies:
            if isinstance(reply, ResponseError):
                raise reply
        if self._replicas:
            acknowledged = replies.pop()
            if acknowledged < self._replicas:
                raise NotReplicated(
                    f"{acknowledged} of {self._replicas} replicas acknowledged the write"
                )
        return replies

    # -- batching -------------------------------------------------------------------------
    def _record(self, stage: Stage) -> list[tuple[tuple[Any, ...], Mapping[str, Any]]]:
        recorder = self._recorder
        try:
            stage(recorder)
            return list(recorder.command_stack)
        finally:
            recorder.command_stack.clear()

    def _submit(
        self,
        packed: bytes,
        callbacks: Sequence[Callback],
        options: Sequence[dict[str, Any]],
    ) -> asyncio.Future[list[Any]]:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new loop (tests): what the old one held is gone
            self._loop, self._link, self._connecting, self._batch = loop, None, None, None
            self._unsent.clear()
        waiter: asyncio.Future[list[Any]] = loop.create_future()
        if self._batch is None:
            self._batch, self._staged = [], 0
            # Everyone who runs in this tick joins before the next tick sends the batch.
            loop.call_soon(self._flush)
        self._batch.append(_Sent(packed, callbacks, options, waiter))
        self._staged += len(callbacks)
        if self._staged >= self.max_batch:
            self._flush()
        return waiter

    def _flush(self) -> None:
        batch, self._batch = self._batch, None
        if not batch:  # already sent early, when it reached max_batch
            return
        self.counters.batches += 1
        self.counters.commands += self._staged
        link = self._link
        if link is not None and not link.closed and not self._unsent:
            link.send(batch)
            return
        self._unsent.extend(batch)
        self._ensure_link()

    # -- the connection -------------------------------------------------------------------
    def _ensure_link(self) -> None:
        if self._connecting is None or self._connecting.done():
            self._connecting = asyncio.get_running_loop().create_task(self._connect())

    def _lost(self, link: _Link) -> None:
        """Everything the lost link had not answered goes again, first, on the next one."""
        if link is not self._link:
            return
        self._link = None
        unanswered = [s for s in link.pending if not s.waiter.done()]
        for sent in unanswered:
            sent.replies = []
        self._unsent.extendleft(reversed(unanswered))
        if self._unsent and not self._closed and self._loop and not self._loop.is_closed():
            self._ensure_link()

    async def _connect(self) -> None:
        error: Exception | None = None
        for attempt in range(redis_client.reconnects(self.client) + 1):
            if attempt:
                await asyncio.sleep(self._backoff.compute(attempt))
            try:
                link = await self._open()
            except (TimeoutError, OSError, ConnectionError) as failed:
                error = failed
                continue
            self._link = link
            self.counters.connections += 1
            unsent, self._unsent = list(self._unsent), collections.deque()
            if unsent:
                link.send(unsent)
            return
        for sent in self._unsent:
            if not sent.waiter.done():
                sent.waiter.set_exception(ConnectionError(f"Redis unreachable: {error}"))
        self._unsent.clear()

    async def _open(self) -> _Link:
        settings = self.client.connection_pool.connection_kwargs
        loop = asyncio.get_running_loop()
        link = _Link(self._lost)
        path = settings.get("path")
        async with asyncio.timeout(settings.get("socket_connect_timeout") or CONNECT_TIMEOUT_S):
            if path:
                await loop.create_unix_connection(lambda: link, path)
            else:
                master = await redis_client.master_address(self.client)
                host, port = master or (
                    settings.get("host", "localhost"),
                    settings.get("port", 6379),
                )
                await loop.create_connection(lambda: link, host, port)
                _give_up_on_a_silent_peer(link)
            replies = await self._handshake(link, settings)
        for reply in replies:
            if isinstance(reply, Exception):
                link.close()
                raise ConnectionError(f"Redis refused the connection: {reply}")
        return link

    async def _handshake(self, link: _Link, settings: dict[str, Any]) -> list[Any]:
        hello: list[Any] = ["HELLO", 3]
        if settings.get("password"):
            hello += ["AUTH", settings.get("username") or "default", settings["password"]]
        commands = [tuple(hello)]
        if settings.get("db"):
            commands.append(("SELECT", settings["db"]))
        waiter: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        link.send(
            [_Sent(_pack_args(commands), [None] * len(commands), [{}] * len(commands), waiter)]
        )
        return await waiter

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


def _give_up_on_a_silent_peer(link: _Link) -> None:
    """A Redis host that died or dropped off the network sends no reset: without this the
    bet path's calls would wait for TCP's retransmissions to run out, about 15 minutes.
    Data left unacknowledged for SILENT_PEER_S ends the connection, and an idle one is
    probed, so the calls are sent again on a new connection (or fail) within seconds."""
    assert link.transport is not None
    sock = link.transport.get_extra_info("socket")
    if sock is None:
        return
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    if hasattr(socket, "TCP_USER_TIMEOUT"):  # Linux
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, int(SILENT_PEER_S * 1000))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, KEEPALIVE_IDLE_S)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, KEEPALIVE_INTERVAL_S)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, KEEPALIVE_PROBES)


def _pack_args(commands: Sequence[tuple[Any, ...]]) -> bytes:
    try:
        return b"".join([hiredis.pack_command(_split_name(args)) for args in commands])
    except (TypeError, ValueError) as error:
        raise DataError(f"a command cannot be encoded: {error}") from None


def _reply_options(options: Mapping[str, Any]) -> dict[str, Any]:
    # As `Redis.parse_response`: these steer reading the reply or routing, not its callback.
    return {name: value for name, value in options.items() if name not in _NOT_FOR_CALLBACKS}


def _split_name(args: tuple[Any, ...]) -> tuple[Any, ...]:
    # Command methods name some commands in one string ("SCRIPT LOAD"); Redis wants two words.
    name = args[0]
    if isinstance(name, str) and " " in name:
        return (*name.split(), *args[1:])
    return args


class ClusterBatch(AutoPipeline):
    """The pipeliner's calls on a Redis Cluster client, where one connection cannot reach
    every key: a `run` stage's commands go through the cluster's own pipeline (which sends
    each to the node holding its slot, in order per node) and a script call goes straight to
    its node. Batching across callers is given up; every guarantee above is kept, NOSCRIPT
    (a restarted node) included. With `?replicas=N` a call that ran a script is answered
    only once N replicas of the script's master hold it (`redis_client.wait_for_replicas`,
    on the master looked up before the call); fewer fails it with `NotReplicated`."""

    def __init__(self, client: aioredis.Redis) -> None:
        # Not AutoPipeline's: there is no connection of its own to set up.
        self.client = client
        self.counters = Counters()
        self._loaded: set[str] = set()
        self._staged_scripts: dict[str, AsyncScript] = {}
        self._replicas = redis_client.replicas(client)
        self._staged_keys: list[str] = []  # the first key of each script the stage staged

    async def run(self, stage: Stage) -> list[Any]:
        for attempt in range(NOSCRIPT_RELOADS + 1):
            pipe = self.client.pipeline()
            self._staged_keys = []
            stage(pipe)  # synchronous: no other caller stages meanwhile
            masters = await self._masters(self._staged_keys)
            await self._load(self._staged_scripts)
            self.counters.commands += len(pipe)
            self.counters.batches += 1
            try:
                replies = list(await pipe.execute())
            except NoScriptError:
                if attempt == NOSCRIPT_RELOADS:
                    raise
                self.counters.script_reloads += 1
                self._loaded.clear()  # a node lost its scripts: load them again
                continue
            await self._replicated(masters)
            return replies
        raise AssertionError("unreachable")

    async def command(self, *args: Any, **options: Any) -> Any:
        return await self.client.execute_command(*args, **options)  # type: ignore[no-untyped-call]

    async def script(self, script: AsyncScript, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        self.counters.commands += 1
        masters = await self._masters([str(keys[0])] if keys else [])
        reply = await script(keys=keys, args=args, client=self.client)
        await self._replicated(masters)
        return reply

    def stage_script(
        self, pipe: Pipeline, script: AsyncScript, keys: Sequence[Any], args: Sequence[Any]
    ) -> None:
        self._staged_scripts[script.sha] = script
        if keys:
            self._staged_keys.append(str(keys[0]))
        pipe.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)

    async def _masters(self, keys: Sequence[str]) -> dict[str, tuple[ClusterNode, str]]:
        """Node name -> (the master a call on each key goes to now, that key), looked up
        before the call so its replicas are asked about the node the call went to."""
        if not self._replicas:
            return {}
        found: dict[str, tuple[ClusterNode, str]] = {}
        for key in keys:
            node = await redis_client.primary_of(self.client, key)
            found.setdefault(node.name, (node, key))
        return found

    async def _replicated(self, masters: Mapping[str, tuple[ClusterNode, str]]) -> None:
        for node, key in masters.values():
            await redis_client.wait_for_replicas(self.client, node, key)

    async def _load(self, scripts: Mapping[str, AsyncScript]) -> None:
        for sha, script in list(scripts.items()):
            if sha not in self._loaded:
                await self.client.script_load(script.script)  # on every primary
                self._loaded.add(sha)

    async def aclose(self, wait_s: float = CLOSE_WAIT_S) -> None:
        """Nothing of its own to close: the calls went through the client's connections."""


def for_client(client: aioredis.Redis) -> AutoPipeline:
    """The bet path's pipeliner for `client`: batched on one connection of its own, or call
    by call through a cluster client."""
    return ClusterBatch(client) if redis_client.is_cluster(client) else AutoPipeline(client)
