"""The sweeper: resolves reservations that nobody settled.

A Redis TTL would silently drop the record of held money; instead every
reservation is indexed by its due time, and this loop resolves the ones past
due. A round that was only reserved (its server died before an outcome
existed) is voided: the release script re-checks that it is still pending
and due by Redis's own clock. A multi-step round waiting for a player who is
gone is completed with the game's default action (blackjack: stand) and
settled, so a win is paid whether or not the player comes back.
"""

from __future__ import annotations

import asyncio
import logging

from protocol.errors import Refused
from server.money import keys
from server.money.hot import ReservationError, now_ms
from server.money.scripts import ScriptStatus
from server.observability import metrics
from server.rounds.play import Owner, Rounds
from server.storage import redis_client

log = logging.getLogger(__name__)

INTERVAL_S = 1.0
BATCH = 200


async def sweep_once(play: Rounds) -> int:
    """Resolve every reservation past due now, in every shard's index; returns how many
    were resolved."""
    resolved = 0
    for k in range(keys.SHARDS):
        resolved += await _sweep_shard(play, keys.due(k))
    return resolved


async def _sweep_shard(play: Rounds, due: str) -> int:
    hot = play.wallet.hot
    members = await hot.redis.zrangebyscore(due, "-inf", now_ms(), start=0, num=BATCH)
    resolved = 0
    for member in map(str, members):
        player_id, currency, round_id = keys.parse_due_member(member)
        stored = await hot.reservation(player_id, round_id)
        if stored.get("state") == "pending" and int(stored["expires_at"]) > now_ms():
            continue  # a step extended it; the step also moved its index entry
        try:
            if stored.get("state") == "pending" and "round_state" in stored:
                view = await play.complete(Owner(player_id, currency), round_id)
                log.warning("completed abandoned round %s (payout %d)", round_id, view.payout)
                metrics.ROUNDS_COMPLETED_BY_SERVER.inc()
            else:
                voided = await hot.release(
                    player_id, currency, round_id, "expired", only_if_due=True
                )
                log.warning("voided expired reservation of round %s", round_id)
                metrics.RESERVATIONS_EXPIRED.inc(1 if voided.first_time else 0)
            resolved += 1
        except ReservationError as error:
            if error.status is ScriptStatus.NOT_DUE:
                continue  # our clock ran ahead of Redis's; try again next pass
        except Refused as refused:
            log.warning("could not complete round %s: %s", round_id, refused.message)
            continue
        await hot.redis.zrem(due, member)
    return resolved


async def run(play: Rounds) -> None:
    while True:
        try:
            await sweep_once(play)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            metrics.record_backend_error("sweeper", error)
            log.warning("sweeper pass failed (%s: %s); retrying", type(error).__name__, error)
        # A pass's Redis and database calls can lose a cancel (seen at shutdown on
        # PostgreSQL): without this the sweeper swept on until its server was killed.
        redis_client.stop_if_cancelled()
        await asyncio.sleep(INTERVAL_S)
