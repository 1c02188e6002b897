"""Open liabilities: what the operator owes players, per currency, read from the ledger.

The players' side is the sum of their cash, bonus and withdrawal-locked accounts, and of what
closed accounts are still owed (`closed_accounts_payable`: cash no payment method took). The
operator's side is the liability the rest of the ledger carries for it: every other account
(game revenue, bonus cost, payment clearing, chargeback losses, and the players' debts,
which are owed to the operator) with its sign turned. Double entry makes each currency sum
to zero, so the two sides are equal; a report shows both so that a difference, should one
ever appear, is seen where the money is reported. Reads only; never on the hot path.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.storage.database import Database

# The player accounts that hold money the operator owes (a debt is owed the other way).
OWED_KINDS = ("player_cash", "player_bonus", "withdrawal_locked", "closed_accounts_payable")


@dataclass(frozen=True, slots=True)
class Liability:
    currency: str
    cash: int
    bonus: int
    locked: int
    closed: int  # owed to closed accounts, held apart from any player's account
    players: int  # players with cash, bonus or locked money
    operator: int  # the operator's liability: minus every other account's balance

    @property
    def owed(self) -> int:
        return self.cash + self.bonus + self.locked + self.closed


async def by_currency(db: Database) -> list[Liability]:
    rows = await db.fetchall(
        "SELECT currency,"
        " COALESCE(SUM(CASE kind WHEN 'player_cash' THEN balance ELSE 0 END), 0),"
        " COALESCE(SUM(CASE kind WHEN 'player_bonus' THEN balance ELSE 0 END), 0),"
        " COALESCE(SUM(CASE kind WHEN 'withdrawal_locked' THEN balance ELSE 0 END), 0),"
        " COALESCE(SUM(CASE kind WHEN 'closed_accounts_payable' THEN balance ELSE 0 END), 0),"
        " COUNT(DISTINCT CASE WHEN kind IN ('player_cash', 'player_bonus', 'withdrawal_locked')"
        "   AND balance <> 0 THEN player_id END),"
        " -COALESCE(SUM(CASE WHEN kind IN ('player_cash', 'player_bonus', 'withdrawal_locked',"
        "   'closed_accounts_payable') THEN 0 ELSE balance END), 0)"
        " FROM ledger_accounts GROUP BY currency ORDER BY currency"
    )
    return [
        Liability(
            str(cur), int(cash), int(bonus), int(locked), int(closed), int(players), int(operator)
        )
        for cur, cash, bonus, locked, closed, players, operator in rows
    ]
