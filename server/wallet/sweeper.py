"""The sweeper: voids stake reservations that were never settled.

A Redis TTL would silently drop the record of held money; instead every
reservation is indexed by its due time, and this loop releases the ones past
due through the release script, which itself re-checks that the reservation
is still pending and due by Redis's clock. Resolved or missing ones just
leave the index.
"""

from __future__ import annotations

import asyncio
import logging
import time

from server.wallet import keys
from server.wallet.hot import HotWallet, ReservationError

log = logging.getLogger(__name__)

INTERVAL_S = 1.0
BATCH = 200


async def sweep_once(hot: HotWallet) -> int:
    """Release every reservation past due now; returns how many were voided."""
    now = time.time_ns() // 1_000_000
    members = await hot.redis.zrangebyscore(keys.RESERVATIONS_DUE, "-inf", now, start=0, num=BATCH)
    voided = 0
    for member in map(str, members):
        player_id, currency, round_id = keys.parse_due_member(member)
        try:
            await hot.release(player_id, currency, round_id, "expired", only_if_due=True)
            voided += 1
            log.warning("voided expired reservation of round %s (player %s)", round_id, player_id)
        except ReservationError as error:
            if error.reason.startswith("NOT_DUE"):
                continue  # our clock ran ahead of Redis's; try again next pass
        await hot.redis.zrem(keys.RESERVATIONS_DUE, member)
    return voided


async def run(hot: HotWallet) -> None:
    while True:
        try:
            await sweep_once(hot)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("sweeper pass failed (%s: %s); retrying", type(error).__name__, error)
        await asyncio.sleep(INTERVAL_S)
