"""Withdrawals, refunds and chargebacks as the payments tables tell them: the payments
domain's `History` for reconciliation (server/money/reconcile.py), independent of the
ledger, registered in `server/wiring.py`."""

from __future__ import annotations

from server.money.reconcile import Movements
from server.storage.database import Database


async def withdrawals_by_wallet(db: Database) -> dict[tuple[int, str], Movements]:
    """(player, currency) -> cash taken out by withdrawals (and refunds, which leave the same
    way), and the part still locked.

    A withdrawal leaves cash when it is locked and comes back only when declined;
    it stays locked while pending, and leaves the player's accounts when completed.
    """
    rows = await db.fetchall(
        "SELECT player_id, currency,"
        " SUM(CASE WHEN status IN ('pending', 'completed') THEN amount ELSE 0 END),"
        " SUM(CASE WHEN status = 'pending' THEN amount ELSE 0 END)"
        " FROM payments WHERE kind IN ('withdrawal', 'refund') AND locked_at IS NOT NULL"
        " GROUP BY player_id, currency"
    )
    return {
        (int(p), str(c)): Movements(cash=-int(out), locked=int(locked))
        for p, c, out, locked in rows
    }


async def chargebacks_by_wallet(db: Database) -> dict[tuple[int, str], Movements]:
    """(player, currency) -> the cash lost disputes' chargebacks took (their debt is no cash)."""
    rows = await db.fetchall(
        "SELECT player_id, currency, SUM(taken) FROM payment_disputes WHERE taken IS NOT NULL"
        " GROUP BY player_id, currency"
    )
    return {(int(p), str(c)): Movements(cash=-int(t)) for p, c, t in rows}
