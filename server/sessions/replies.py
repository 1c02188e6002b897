"""Idempotent requests: a request id resent after a reconnect gets the original reply.

A client that names its `client_session` in `hello` (an opaque string it keeps
across reconnects) may resend any request with the same id: a spin whose reply
was lost comes back with the same round, never played twice. Replies are kept
in Redis, per player, for `KEEP_S`; a request still in progress answers
REQUEST_IN_PROGRESS when it cannot be waited for. Without a client session,
ids are only echoed, as before.

A reply answers only the same request: the key holds a digest of the decoded
request besides its id, so a client that starts counting ids again after a
reconnect (a new socket object under the same client session) has its new
requests played, never answered with an old reply to another request.
"""

from __future__ import annotations

import asyncio
import hashlib
import time

import msgspec
import redis.asyncio as aioredis

from protocol.messages import AnyReply

KEEP_S = 600  # how long a reply answers a resent request id
PENDING_S = 30  # a request that died while in progress stops blocking its id after this
WAIT_S = 5.0  # how long a resent id waits for the original to finish
_PENDING = "pending"  # a stored reply is a JSON object, so it can never equal this

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(AnyReply)


def key(player_id: int, client_session: str, request: msgspec.Struct) -> str:
    request_id = getattr(request, "id", None)
    kind = "i" if isinstance(request_id, int) else "s"
    # The decoded request, re-encoded: the same request sent as JSON or MessagePack, or with
    # its fields in another order, has the same digest. The codec refuses any request that
    # MessagePack cannot carry (a JSON integer beyond 64 bits), so this cannot raise: when
    # it could, such a request's task died here without a reply (issue 27).
    digest = hashlib.blake2b(msgspec.msgpack.encode(request), digest_size=8).hexdigest()
    return f"{{p:{player_id}}}:req:{client_session}:{kind}:{request_id}:{digest}"


class ReplyCache:
    def __init__(self, client: aioredis.Redis) -> None:
        self.redis = client

    async def claim(self, cache_key: str) -> bool:
        """True when this is the first time the id is seen: the caller handles the request."""
        return bool(await self.redis.set(cache_key, _PENDING, nx=True, ex=PENDING_S))

    async def store(self, cache_key: str, reply: AnyReply) -> None:
        await self.redis.set(cache_key, _encoder.encode(reply).decode(), ex=KEEP_S)

    async def forget(self, cache_key: str) -> None:
        """Let a retry run again (the first attempt failed before anything was decided)."""
        await self.redis.delete(cache_key)

    async def original(self, cache_key: str) -> AnyReply | None:
        """The stored reply to an id seen before, waiting briefly if it is still running;
        None when it is still running (or failed and was forgotten): the client asks again."""
        deadline = time.monotonic() + WAIT_S
        while True:
            stored = await self.redis.get(cache_key)
            if stored is None:
                return None
            if stored != _PENDING:
                reply: AnyReply = _decoder.decode(stored)
                return reply
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(0.02)
