"""The closed loop: a withdrawal goes back to the methods that deposited, up to what each
deposited, before any other method may take money.

What a method may still take back is its completed deposits less what went to it
since (withdrawals pending or completed, refunds of its deposits). A withdrawal
to method `m` is allowed when it fits in what `m` may take, or when no other
method may take anything: the part beyond what the depositing methods are owed
is the player's winnings, free to go where the player says. A withdrawal naming
no method is allowed only when no method is owed anything (plain sandbox deposits).
"""

from __future__ import annotations

from protocol.errors import ErrorCode, Refused
from server.storage.database import Database


async def owed(db: Database, player_id: int, currency: str) -> dict[int, int]:
    """method id -> what it may still take back (only methods owed something)."""
    rows = await db.fetchall(
        "SELECT method_id, SUM(CASE WHEN kind = 'deposit' AND status = 'completed' THEN amount"
        " WHEN kind IN ('withdrawal', 'refund') AND status IN ('pending', 'completed')"
        " THEN -amount ELSE 0 END) FROM payments WHERE player_id = ? AND currency = ?"
        " AND method_id IS NOT NULL GROUP BY method_id",
        (player_id, currency),
    )
    return {int(m): int(left) for m, left in rows if int(left) > 0}


async def refusal(
    db: Database, player_id: int, currency: str, amount: int, method_id: int | None
) -> Refused | None:
    left = await owed(db, player_id, currency)
    others = sum(v for m, v in left.items() if m != method_id)
    if others == 0 or (method_id is not None and amount <= left.get(method_id, 0)):
        return None
    return Refused(
        ErrorCode.CLOSED_LOOP,
        "withdraw to the methods you deposited with first, up to what each deposited",
        methods=[{"method_id": m, "amount": v} for m, v in sorted(left.items())],
    )
