"""What players did with providers, read from durable storage: for reconciliation and for
the player's own history.

`net_by_wallet` is the provider part of reconciliation's history figure: for each
player wallet, wins plus returned stakes minus stakes, summed over the
transactions table (not the ledger, which it is checked against).
"""

from __future__ import annotations

from typing import Any

from server.storage.database import Database


async def net_by_wallet(db: Database) -> dict[tuple[int, str], int]:
    """(player id, currency) -> what provider play added to the wallet (negative: lost)."""
    rows = await db.fetchall(
        "SELECT player_id, currency, SUM(CASE kind WHEN 'bet' THEN -amount"
        " WHEN 'win' THEN amount WHEN 'rollback' THEN amount ELSE 0 END)"
        " FROM provider_transactions GROUP BY player_id, currency"
    )
    return {(int(pid), str(cur)): int(net) for pid, cur, net in rows}


async def recent_rounds(db: Database, player_id: int, limit: int) -> list[dict[str, Any]]:
    rows = await db.fetchall(
        "SELECT provider_id, round_id, game_code, currency, status, bet_total, win_total,"
        " refund_total, opened_at, closed_at FROM provider_rounds WHERE player_id = ?"
        " ORDER BY opened_at DESC, round_id DESC LIMIT ?",
        (player_id, limit),
    )
    names = ("provider", "round", "game_code", "currency", "status", "bet_total", "win_total",
             "refund_total", "opened_at", "closed_at")  # fmt: skip
    return [dict(zip(names, row, strict=True)) for row in rows]
