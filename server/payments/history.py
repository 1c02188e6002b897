"""Withdrawals as the payments table tells them, for reconciliation (independent of the ledger)."""

from __future__ import annotations

from server.storage.database import Database


async def withdrawals_by_wallet(db: Database) -> dict[tuple[int, str], tuple[int, int]]:
    """(player, currency) -> (taken out of cash, still locked) by withdrawals.

    A withdrawal leaves cash when it is locked and comes back only when declined;
    it stays locked while pending, and leaves the player's accounts when completed.
    """
    rows = await db.fetchall(
        "SELECT player_id, currency,"
        " SUM(CASE WHEN status IN ('pending', 'completed') THEN amount ELSE 0 END),"
        " SUM(CASE WHEN status = 'pending' THEN amount ELSE 0 END)"
        " FROM payments WHERE kind = 'withdrawal' AND locked_at IS NOT NULL"
        " GROUP BY player_id, currency"
    )
    return {(int(p), str(c)): (int(out), int(locked)) for p, c, out, locked in rows}
