"""What players did with providers, read from durable storage for the player's own history.

(Reconciliation's provider figure is money's: `server/money/reconcile.py` reads
`provider_transactions`, the table money's journal writes.)
"""

from __future__ import annotations

from typing import Any

from server.storage.database import Database


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
