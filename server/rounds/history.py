"""A player's settled rounds, read from durable storage: the latest, or one by its id."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import msgspec

from protocol.messages import Proof, RoundSummary
from server.storage.database import Database

DURABLE_WAIT_S = 3.0


async def recent(
    db: Database, player_id: int, limit: int, game: str | None = None
) -> list[RoundSummary]:
    """The player's latest rounds, newest first; of one game only with `game` (what lets a
    player recall the last rounds of each game however much they play another)."""
    rows = await db.fetchall(
        "SELECT round_id, game_id, status, stake, payout, currency, balance_before,"
        " balance_after, settled_at, outcome, inputs, server_seed_hash, client_seed, nonce"
        " FROM rounds WHERE player_id = ? AND (? IS NULL OR game_id = ?)"
        " ORDER BY settled_at DESC, LENGTH(stream_id) DESC, stream_id DESC LIMIT ?",
        (player_id, game, game, limit),
    )
    return [summary(r) for r in rows]


async def one(db: Database, round_id: str) -> tuple[int, RoundSummary] | None:
    """(player id, the round) of a stored round, or None."""
    row = await db.fetchone(
        "SELECT round_id, game_id, status, stake, payout, currency, balance_before,"
        " balance_after, settled_at, outcome, inputs, server_seed_hash, client_seed, nonce,"
        " player_id FROM rounds WHERE round_id = ?",
        (round_id,),
    )
    return None if row is None else (int(row[14]), summary(row))


def summary(r: Sequence[Any]) -> RoundSummary:
    return RoundSummary(
        round_id=str(r[0]),
        game=str(r[1]),
        status=str(r[2]),
        stake=int(r[3]),
        payout=int(r[4]),
        currency=str(r[5]),
        balance_before=int(r[6]),
        balance_after=int(r[7]),
        settled_at=int(r[8]),
        outcome=msgspec.json.decode(str(r[9])),
        inputs=msgspec.json.decode(str(r[10])),
        proof=Proof(server_seed_hash=str(r[11]), client_seed=str(r[12]), nonce=int(r[13])),
    )


async def wait_until_durable(
    db: Database, round_id: str, timeout_s: float = DURABLE_WAIT_S
) -> bool:
    """Read-your-writes for history: wait (bounded) until the flusher has stored `round_id`."""
    deadline = time.monotonic() + timeout_s
    while True:
        if await db.fetchone("SELECT 1 FROM rounds WHERE round_id = ?", (round_id,)):
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.02)
