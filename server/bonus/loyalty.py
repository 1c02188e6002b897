"""Loyalty points: earned from the event stream, one per minor unit staked times the game's
weight, by members of a loyalty programme; redeemed through `Bonuses.redeem`.

`LoyaltyEarner` is one member of the consumer group `loyalty` on every shard's event stream
(`server/events/consumer.py`): each server's flusher child process runs one (server/app.py
`CHILD_CONSUMERS`), and Redis hands each event to one of them.
It reads our rounds (`RoundSettled`, not voided) and providers' bets (`ProviderMovement`
bets), never a free stake (version 2's `free`: the promotion staked, not the player), adds
the points in the same transaction that records the event's id in `loyalty_earned`
(delivery is at least once: an event seen twice counts once), then acknowledges. A stake
made before the player joined earns nothing. Points are not money: they reach the wallet
only when redeemed, as a grant through money (`BonusWallet.grant`).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping, Sequence

import redis.asyncio as aioredis

from server.bonus import terms as rules
from server.events.catalogue import (
    ProviderMovement,
    ProviderMovementV2,
    RoundSettled,
    RoundSettledV2,
)
from server.events.consumer import Consumer
from server.events.stream import Entry
from server.storage.database import Database, now_ms

GROUP = "loyalty"
MAX_REMEMBERED = 100_000  # players whose programmes are remembered between batches


def stake_of(entry: Entry) -> tuple[int, str, str, int] | None:
    """(player, currency, game, stake) of an event that earns points, or None. A free stake
    (a free spin, a provider's free round: version 2 says so) is the promotion's, not the
    player's, and earns nothing."""
    event = entry.event
    if isinstance(event, (RoundSettledV2, ProviderMovementV2)) and event.free:
        return None
    if isinstance(event, RoundSettled) and not event.voided:
        return event.player_id, event.currency, event.game, event.stake
    if isinstance(event, ProviderMovement) and event.action == "bet":
        return event.player_id, event.currency, event.game, event.amount
    return None


async def balance(db: Database, player_id: int, currency: str) -> int:
    row = await db.fetchone(
        "SELECT points FROM loyalty_points WHERE player_id = ? AND currency = ?",
        (player_id, currency),
    )
    return int(row[0]) if row else 0


class LoyaltyEarner:
    def __init__(self, client: aioredis.Redis, db: Database, name: str | None = None) -> None:
        self.db = db
        self.consumer = Consumer(client, GROUP, name or f"{socket.gethostname()}-{os.getpid()}")
        # The programmes each player seen has joined (currency: weights; empty: none), valid
        # while no award has been made since: joining one is a new award.
        self._joined: dict[int, dict[str, Mapping[str, int]]] = {}
        self._newest_award = -1

    async def run(self) -> None:
        """Earn until cancelled; a failure (Redis or the database away) is retried."""
        await self.consumer.serve(self._earn, "loyalty earner", "$")

    async def earn_once(self, block_ms: int | None = None) -> int:
        """Read one batch, count its points, acknowledge it; how many events earned."""
        return await self._earn(await self.consumer.read(block_ms=block_ms))

    async def _earn(self, entries: Sequence[Entry]) -> int:
        if not entries:
            return 0
        earned = await self.count(entries)
        await self.consumer.ack(entries)
        return earned

    async def _programmes(self, players: set[int]) -> dict[int, dict[str, Mapping[str, int]]]:
        """The programmes `players` have joined. One query per batch while no award was made
        (a member stays one, and a definition's terms never change), not one per player: the
        batch's stakes are read after they were made, so an award they follow is seen."""
        row = await self.db.fetchone("SELECT COALESCE(MAX(id), 0) FROM bonus_awards")
        newest = int(row[0]) if row else 0
        if newest != self._newest_award or len(self._joined) > MAX_REMEMBERED:
            self._joined.clear()
            self._newest_award = newest
        for player in sorted(players - self._joined.keys()):
            rows = await self.db.fetchall(
                "SELECT a.currency, d.terms FROM bonus_awards a"
                " JOIN bonus_definitions d ON d.id = a.definition_id"
                " WHERE a.status = 'member' AND a.player_id = ?",
                (player,),
            )
            self._joined[player] = {
                str(cur): rules.parse(json.loads(str(terms))).weights for cur, terms in rows
            }
        return {player: self._joined[player] for player in players}

    async def count(self, entries: Sequence[Entry]) -> int:
        stakes = [(entry.event.id, found) for entry in entries if (found := stake_of(entry))]
        if not stakes:
            return 0
        programmes = await self._programmes({found[0] for _, found in stakes})
        # Members' stakes only: a batch with none opens no write transaction.
        stakes = [(eid, found) for eid, found in stakes if found[1] in programmes[found[0]]]
        if not stakes:
            return 0
        earned = 0
        async with self.db.transaction() as tx:
            for event_id, (player, currency, game, stake) in stakes:
                weights = programmes[player][currency]
                gained = rules.points(weights, game, stake)
                if gained <= 0:
                    continue
                # `execute`, not `insert`: the table is keyed by event_id and has no `id`
                # for PostgreSQL's RETURNING; the row count says whether it was new.
                new = await tx.execute(
                    "INSERT INTO loyalty_earned (event_id, player_id, points, created_at)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
                    (event_id, player, gained, now_ms()),
                )
                if new == 0:
                    continue
                await tx.execute(
                    "INSERT INTO loyalty_points (player_id, currency, points) VALUES (?, ?, ?)"
                    " ON CONFLICT (player_id, currency) DO UPDATE"
                    " SET points = loyalty_points.points + excluded.points",
                    (player, currency, gained),
                )
                earned += 1
        return earned
