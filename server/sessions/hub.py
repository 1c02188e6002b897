"""The sessions of this process: who is connected, pushes to them, caps on how many.

One pattern subscription per process receives every player's pushes from
Redis and hands each to that player's local connections. Session caps count
across processes in Redis (a sorted set per player whose scores are leases,
refreshed while the socket lives, so a crashed process's sessions lapse); one
script drops lapsed leases, counts and adds in a single step, so sessions
opened at once, on any number of processes, never pass the cap together.
Connections per address are counted in this process. On shutdown the hub
lets in-flight requests finish, then closes every socket with 1012.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import redis.asyncio as aioredis

from server.events import push
from server.events.push import sessions_key
from server.observability import metrics
from server.storage import redis_client

log = logging.getLogger(__name__)

LEASE_S = 90  # a session not refreshed for this long no longer counts
REFRESH_S = 30

Deliver = Callable[[dict[str, Any]], None]

# The hubs running in this process, for the server's graceful shutdown to drain.
ACTIVE: list[Hub] = []


# KEYS[1] the player's sessions; ARGV now (s), the new lease's end (s), the cap, the session
# id, the key's TTL (s). 1 when the session now counts, 0 when the cap was reached.
_OPEN_SESSION = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
    return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


class Hub:
    def __init__(self, client: aioredis.Redis, max_sessions: int, max_per_ip: int) -> None:
        self.redis = client
        self.max_sessions = max_sessions
        self.max_per_ip = max_per_ip
        self._listeners: dict[int, dict[str, Deliver]] = defaultdict(dict)
        self._per_ip: dict[str, int] = defaultdict(int)
        self._drainers: set[Callable[[], Awaitable[None]]] = set()
        self.draining = False
        self._open_session = client.register_script(_OPEN_SESSION)

    # -- addresses -------------------------------------------------------------------------
    def admit_address(self, address: str) -> bool:
        if self._per_ip[address] >= self.max_per_ip:
            return False
        self._per_ip[address] += 1
        return True

    def release_address(self, address: str) -> None:
        self._per_ip[address] -= 1
        if self._per_ip[address] <= 0:
            del self._per_ip[address]

    # -- player sessions -------------------------------------------------------------------
    async def open_session(self, player_id: int, session_id: str, deliver: Deliver) -> bool:
        """Count the session against the player's cap; False when the cap is reached."""
        now = time.time()
        admitted = await self._open_session(
            keys=[sessions_key(player_id)],
            args=[now, now + LEASE_S, self.max_sessions, session_id, LEASE_S * 2],
        )
        if not int(admitted):
            return False
        self._listeners[player_id][session_id] = deliver
        metrics.SESSIONS_OPEN.inc()
        return True

    async def close_session(self, player_id: int, session_id: str) -> None:
        listeners = self._listeners.get(player_id)
        if listeners is not None:
            if listeners.pop(session_id, None) is not None:
                metrics.SESSIONS_OPEN.dec()
            if not listeners:
                del self._listeners[player_id]
        with contextlib.suppress(Exception):
            await self.redis.zrem(sessions_key(player_id), session_id)

    async def _refresh_leases(self) -> None:
        until = time.time() + LEASE_S
        async with self.redis.pipeline(transaction=False) as pipe:
            for player_id, listeners in self._listeners.items():
                for session_id in listeners:
                    pipe.zadd(sessions_key(player_id), {session_id: until})
                pipe.expire(sessions_key(player_id), LEASE_S * 2)
            await pipe.execute()

    # -- shutdown --------------------------------------------------------------------------
    def on_drain(self, drainer: Callable[[], Awaitable[None]]) -> Callable[[], None]:
        """Register a socket's drain; returns the function that unregisters it."""
        self._drainers.add(drainer)
        return lambda: self._drainers.discard(drainer)

    async def drain(self) -> None:
        """Stop taking requests, let in-flight ones finish, close every socket with 1012."""
        self.draining = True
        await asyncio.gather(*(drainer() for drainer in list(self._drainers)))

    # -- pushes ----------------------------------------------------------------------------
    def deliver(self, player_id: int, message: dict[str, Any]) -> None:
        for session_deliver in list(self._listeners.get(player_id, {}).values()):
            session_deliver(message)

    async def run(self) -> None:
        """Receive pushes for every player and refresh session leases, until cancelled."""
        last_refresh = time.monotonic()
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(f"{push.CHANNEL_PREFIX}*")
                while True:
                    redis_client.stop_if_cancelled()
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self._on_message(message)
                    if time.monotonic() - last_refresh >= REFRESH_S:
                        last_refresh = time.monotonic()
                        await self._refresh_leases()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                metrics.record_backend_error("hub", error)
                log.warning(
                    "push subscription lost (%s: %s); resubscribing", type(error).__name__, error
                )
                await asyncio.sleep(0.5)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    def _on_message(self, message: dict[str, Any]) -> None:
        channel = str(message.get("channel", ""))
        try:
            player_id = int(channel.removeprefix(push.CHANNEL_PREFIX))
            payload = msgspec.json.decode(message["data"])
        except (ValueError, msgspec.DecodeError):
            log.warning("ignoring a malformed push on %s", channel)
            return
        if isinstance(payload, dict):
            self.deliver(player_id, payload)
