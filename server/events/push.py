"""Server pushes: messages without a request id that reach every open session of a player,
in every server process, through Redis pub/sub; and the relay that turns money's events into
balance and bonus-progress pushes.

A balance push is built in one place, `balance_push`, from the event that the money script
appended when the balance moved (`server/money/lua/`); a bonus-progress push (wagered /
required, in minor units) in one place too, `progress_push`, from the `bonus_wagered` event
that the script which counted a stake towards a bonus's wagering appended (`lua/_bonus.lua`).
The `PushRelay`, run by each
server's flusher process (off the request path), is one member of the consumer group
`pushes` on the push streams (`{s:K}:pushes`: the copies the scripts make of the events that
call for a push, `_emit_event.lua`), so each event is pushed once whichever process relays it,
and each server process's `PushHub` delivers it to that player's connections. Other
pushes (a forced logout) are published directly with `publish`.

Pub/sub is fire-and-forget by design, and the group reads with NOACK: a push only tells a
client to refresh what it shows; the balance itself is always read from the wallet. So the
relay never replays: an event older than `STALE_MS` (a relay that was down) is dropped, not
pushed late with a balance that has moved on since.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Sequence
from typing import Any

import msgspec
import redis.asyncio as aioredis

from protocol.messages import BonusProgress
from server.events import stream
from server.events.catalogue import (
    BalanceAdjusted,
    BonusEnded,
    BonusGranted,
    BonusWagered,
    Chargeback,
    DepositCredited,
    Event,
    ProviderMovement,
    ProviderMovementV2,
    RoundSettled,
    RoundSettledV2,
    StakeTaken,
    WithdrawalFunds,
)
from server.events.consumer import Consumer
from server.storage import redis_client

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "casino:push:"
GROUP = "pushes"
BATCH = 500  # entries per shard and read
BLOCK_MS = 1_000
STALE_MS = 30_000
RETRY_S = 1.0

BalanceEvent = (
    StakeTaken
    | RoundSettled
    | ProviderMovement
    | DepositCredited
    | BalanceAdjusted
    | WithdrawalFunds
    | BonusGranted
    | BonusEnded
    | Chargeback
)
REASONS: dict[type[Event], str] = {
    StakeTaken: "round",
    RoundSettled: "round",
    RoundSettledV2: "round",
    ProviderMovement: "provider",
    ProviderMovementV2: "provider",
    DepositCredited: "deposit",
    BalanceAdjusted: "adjustment",
    WithdrawalFunds: "withdrawal",
    BonusGranted: "bonus",
    BonusEnded: "bonus",
    Chargeback: "chargeback",
}
# The player's open play sessions: the scripts count them (`_emit_event.lua`), the hub keeps them.
sessions_key = stream.sessions_key


def channel(player_id: int) -> str:
    return f"{CHANNEL_PREFIX}{player_id}"


async def publish(client: aioredis.Redis, player_id: int, message: dict[str, Any]) -> None:
    """Send `message` (which must carry a `type` and no `id`) to all of the player's sessions."""
    assert "type" in message and "id" not in message, "a push has a type and no request id"
    await client.publish(channel(player_id), msgspec.json.encode(message))


def balance_push(event: Event) -> dict[str, Any] | None:
    """The balance push an event calls for, or None: the one place it is built."""
    if not isinstance(event, BalanceEvent):
        return None
    if isinstance(event, WithdrawalFunds) and event.action == "paid":
        return None  # locked funds left for the gateway: the spendable balance did not move
    return {
        "type": "balance_changed",
        "balance": event.balance,
        "currency": event.currency,
        "reason": REASONS[type(event)],
    }


def bonus_progress(award: int, wagered: int, required: int) -> BonusProgress:
    """A bonus's progress as players see it, in a push or a spin's reply: the scripts count
    in hundredths of a minor unit (so a 10 % weight counts exactly); players see whole minor
    units, as the bonus page (`GET /api/bonus`) shows them."""
    return BonusProgress(award=award, wagered=wagered // 100, required=required // 100)


def progress_push(event: Event) -> dict[str, Any] | None:
    """The bonus-progress push an event calls for, or None: the one place it is built."""
    if not isinstance(event, BonusWagered):
        return None
    progress = bonus_progress(event.award, event.wagered, event.required)
    return {
        "type": "bonus_progress",
        **msgspec.structs.asdict(progress),
        "currency": event.currency,
    }


def push_for(event: Event) -> dict[str, Any] | None:
    """The push an event calls for, or None."""
    return balance_push(event) or progress_push(event)


def latest_progress(
    wanted: Sequence[tuple[Event, dict[str, Any]]],
) -> list[tuple[Event, dict[str, Any]]]:
    """`wanted` with only the last progress push of each player's bonus: a progress push says
    where the wagering stands, so a later one in the same batch makes the earlier ones say
    nothing new. Under load a player's stakes come faster than a batch, and this is what
    keeps a bonus player's pushes at one per batch instead of one per stake."""
    last = {
        (event.player_id, message["award"]): index
        for index, (event, message) in enumerate(wanted)
        if message["type"] == "bonus_progress"
    }
    kept = set(last.values())
    return [
        pair
        for index, pair in enumerate(wanted)
        if pair[1]["type"] != "bonus_progress" or index in kept
    ]


class PushRelay:
    """This process's member of the `pushes` group on the push streams: reads the events the
    money scripts copied there (a round's, and a spin's bonus progress, only when the player
    had another session open: the reply tells the session that played) and publishes their
    pushes."""

    def __init__(self, client: aioredis.Redis, name: str | None = None) -> None:
        self.client = client
        member = name or f"{socket.gethostname()}-{os.getpid()}"
        self.consumer = Consumer(client, GROUP, member, stream.push_keys())

    async def run(self) -> None:
        """Relay until cancelled; a failure (Redis away) is retried."""
        await self._join()
        try:
            while True:
                redis_client.stop_if_cancelled()
                try:
                    await self.relay_once(BLOCK_MS)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("push relay failed; retrying in %.1f s", RETRY_S)
                    await asyncio.sleep(RETRY_S)
        finally:
            try:
                await asyncio.shield(self.consumer.leave())
            except Exception as error:  # the group forgets a member that never returns anyway
                log.debug("push relay left no trace to remove: %s", error)

    async def _join(self) -> None:
        while True:
            try:
                await self.consumer.join("$")  # pushes are for now: never the backlog
                return
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("push relay cannot join its group yet: %s", error)
                await asyncio.sleep(RETRY_S)

    async def relay_once(self, block_ms: int | None = None) -> int:
        """Read one batch and publish its pushes; how many were published."""
        entries = await self.consumer.read(BATCH, block_ms, noack=True)
        fresh_after = time.time_ns() // 1_000_000 - STALE_MS
        wanted = [
            (entry.event, message)
            for entry in entries
            if entry.event.at_ms >= fresh_after and (message := push_for(entry.event)) is not None
        ]
        if not wanted:
            return 0
        return await self._publish(latest_progress(wanted))

    async def _publish(self, wanted: Sequence[tuple[Event, dict[str, Any]]]) -> int:
        if redis_client.is_cluster(self.client):  # a cluster pipeline refuses PUBLISH
            for event, message in wanted:
                await publish(self.client, event.player_id, message)
            return len(wanted)
        async with self.client.pipeline(transaction=False) as pipe:
            for event, message in wanted:
                pipe.publish(channel(event.player_id), msgspec.json.encode(message))
            await pipe.execute()
        return len(wanted)
