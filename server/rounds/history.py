"""A player's settled rounds, read from durable storage: a page at a time (of one game or
all), or one by its id."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from protocol.errors import ErrorCode, Refused
from protocol.messages import Proof, RoundSummary
from server.storage.database import Database

DURABLE_WAIT_S = 3.0


# A cursor names the last round of a page, by the order pages are read in: "SETTLED_AT.STREAM_ID"
# (the round's settle time in ms and the flusher's stream entry id). Clients treat it as opaque.
CURSOR_MAX = 64
_CURSOR = re.compile(r"^(\d{1,19})\.(\d{1,20}-\d{1,20})$")


@dataclass(frozen=True, slots=True)
class Page:
    rounds: list[RoundSummary]
    next_cursor: str | None  # None on the last page


def parse_cursor(text: str) -> tuple[int, str]:
    """(settled_at, stream_id) of a cursor this server gave; VALIDATION_FAILED otherwise."""
    found = _CURSOR.fullmatch(text) if len(text) <= CURSOR_MAX else None
    if found is None:
        raise Refused(ErrorCode.VALIDATION_FAILED, "cursor is not one a history page gave")
    return int(found[1]), found[2]


async def page(
    db: Database,
    player_id: int,
    limit: int,
    cursor: str | None = None,
    game: str | None = None,
) -> Page:
    """Up to `limit` rounds, newest first, after `cursor` (from the start when None); of one
    game only with `game` (what lets a player recall the last rounds of each game however
    much they play another).

    Keyset paging on the same order as the index-backed listing: rounds settled while a
    player pages never shift a page, so following `next_cursor` reaches every round once.
    """
    settled_at, stream_id = parse_cursor(cursor) if cursor is not None else (None, None)
    length = None if stream_id is None else len(stream_id)
    rows = await db.fetchall(
        "SELECT round_id, game_id, status, stake, payout, currency, balance_before,"
        " balance_after, settled_at, outcome, inputs, server_seed_hash, client_seed, nonce,"
        " stream_id FROM rounds WHERE player_id = ?"
        " AND (CAST(? AS TEXT) IS NULL OR game_id = ?)"
        " AND (CAST(? AS BIGINT) IS NULL OR settled_at < ?"
        " OR (settled_at = ? AND (LENGTH(stream_id) < ?"
        " OR (LENGTH(stream_id) = ? AND stream_id < ?))))"
        " ORDER BY settled_at DESC, LENGTH(stream_id) DESC, stream_id DESC LIMIT ?",
        (player_id, game, game, settled_at, settled_at, settled_at, length, length, stream_id,
         limit + 1),
    )  # fmt: skip
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = f"{int(rows[-1][8])}.{rows[-1][14]}" if more else None
    return Page([summary(r) for r in rows], next_cursor)


async def recent(
    db: Database, player_id: int, limit: int, game: str | None = None
) -> list[RoundSummary]:
    """The player's latest rounds, newest first (of one game only with `game`)."""
    return (await page(db, player_id, limit, game=game)).rounds


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
