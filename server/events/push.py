"""Server pushes: messages without a request id that reach every open session of a player,
in every server process, through Redis pub/sub.

Any domain that changes what a player sees (a deposit, a provider win, a round
settled from another tab) calls `publish`; each process's `PushHub` delivers it to
that player's connections. Pub/sub is fire-and-forget by design: a push only tells
a client to refresh what it shows; the balance itself is always read from the wallet.
"""

from __future__ import annotations

from typing import Any

import msgspec
import redis.asyncio as aioredis

from server.storage import slots

CHANNEL_PREFIX = "casino:push:"


def sessions_key(player_id: int) -> str:
    """The player's open play sessions (a sorted set, in the player's slot: the spin script
    reads it to push only when another session is open)."""
    return f"{slots.player_prefix(player_id)}:sessions"


def channel(player_id: int) -> str:
    return f"{CHANNEL_PREFIX}{player_id}"


async def publish(client: aioredis.Redis, player_id: int, message: dict[str, Any]) -> None:
    """Send `message` (which must carry a `type` and no `id`) to all of the player's sessions."""
    assert "type" in message and "id" not in message, "a push has a type and no request id"
    await client.publish(channel(player_id), msgspec.json.encode(message))


async def balance_changed(
    client: aioredis.Redis, player_id: int, currency: str, balance: int, reason: str
) -> None:
    await publish(
        client,
        player_id,
        {"type": "balance_changed", "balance": balance, "currency": currency, "reason": reason},
    )
