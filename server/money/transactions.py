"""A player's transactions, read from the ledger: every movement of their money that is not
a game's stake or win (those are the round history), newest first, a page at a time.

Each ledger transfer that touches one of the player's accounts is one line: what it was
(`kind`), its amount, which of the player's accounts it left and which it reached (`cash`,
`bonus`, `locked` for a pending withdrawal, `debt` for what a lost chargeback left owed; any
other side is the operator's or a payment gateway's, `outside`), and `change`: what it did to
the player's spendable funds (cash and bonus), so a withdrawal's lock shows -amount and its
payment 0, and a bonus conversion 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.storage.database import Database

SIDES = {
    "player_cash": "cash",
    "player_bonus": "bonus",
    "withdrawal_locked": "locked",
    "player_debt": "debt",
}
SPENDABLE = frozenset({"cash", "bonus"})


@dataclass(frozen=True, slots=True)
class Line:
    id: int
    at_ms: int
    kind: str
    amount: int
    currency: str
    source: str
    target: str
    change: int
    reference: str

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id, "at_ms": self.at_ms, "kind": self.kind, "amount": self.amount,
            "currency": self.currency, "from": self.source, "to": self.target,
            "change": self.change, "reference": self.reference,
        }  # fmt: skip


def _side(kind: str, owner: int | None, player_id: int) -> str:
    return SIDES.get(kind, "outside") if owner == player_id else "outside"


async def page(
    db: Database, player_id: int, limit: int, before: int | None = None
) -> tuple[list[Line], int | None]:
    """Up to `limit` lines older than transfer id `before` (the newest when None), and the
    cursor of the next page (None on the last)."""
    rows = await db.fetchall(
        "SELECT t.id, t.created_at, t.kind, t.amount, t.currency, t.reference,"
        " d.kind, d.player_id, c.kind, c.player_id FROM ledger_transfers t"
        " JOIN ledger_accounts d ON d.id = t.debit_account_id"
        " JOIN ledger_accounts c ON c.id = t.credit_account_id"
        " WHERE (d.player_id = ? OR c.player_id = ?)"
        # A game's stakes and wins, ours and providers': the round history shows those.
        " AND t.kind NOT IN ('stake', 'payout', 'bet', 'win', 'rollback')"
        " AND (CAST(? AS BIGINT) IS NULL OR t.id < ?)"
        " ORDER BY t.id DESC LIMIT ?",
        (player_id, player_id, before, before, limit + 1),
    )
    lines = []
    for row in rows[:limit]:
        source = _side(str(row[6]), row[7], player_id)
        target = _side(str(row[8]), row[9], player_id)
        amount = int(row[3])
        change = (amount if target in SPENDABLE else 0) - (amount if source in SPENDABLE else 0)
        lines.append(
            Line(int(row[0]), int(row[1]), str(row[2]), amount, str(row[4]), source, target,
                 change, str(row[5]))
        )  # fmt: skip
    return lines, (lines[-1].id if len(rows) > limit and lines else None)
