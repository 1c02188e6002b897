"""A player's money movements in a time window, read from the ledger: what AML rules judge.

Read-only. Each ledger transfer touching one of the player's accounts becomes one
`Movement` named by what it was for the player: a deposit (and through which gateway),
a withdrawal locked or returned, a stake or a win (our rounds and providers' alike).
Transfers between the player's own accounts other than a withdrawal are left out.
Rounds reach the ledger through the flusher, so a win settled in the last moments may
not be here yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.storage.database import Database, Transaction

# ledger transfer kind -> what it is for the player
KINDS = {
    "deposit": "deposit",
    "withdrawal_lock": "withdrawal",
    "withdrawal_return": "withdrawal_returned",
    "stake": "stake",
    "bet": "stake",
    "payout": "win",
    "win": "win",
}


@dataclass(frozen=True, slots=True)
class Movement:
    kind: str  # deposit, withdrawal, withdrawal_returned, stake, win
    amount: int
    currency: str
    at_ms: int
    gateway: str  # a deposit's gateway; "" for the rest


async def of_player(db: Database | Transaction, player_id: int, since_ms: int) -> list[Movement]:
    """The player's movements at or after `since_ms`, oldest first."""
    accounts = await db.fetchall("SELECT id FROM ledger_accounts WHERE player_id = ?", (player_id,))
    if not accounts:
        return []
    ids = [int(row[0]) for row in accounts]
    marks = ", ".join("?" for _ in ids)
    # Only placeholders are formatted into the statement.
    sql = (
        "SELECT t.kind, t.amount, t.currency, t.created_at, d.code FROM ledger_transfers t"  # noqa: S608
        " JOIN ledger_accounts d ON d.id = t.debit_account_id"
        f" WHERE (t.debit_account_id IN ({marks}) OR t.credit_account_id IN ({marks}))"
        " AND t.created_at >= ? ORDER BY t.id"
    )
    rows = await db.fetchall(
        sql,
        (*ids, *ids, since_ms),
    )
    found = []
    for kind, amount, currency, at_ms, debit_code in rows:
        named = KINDS.get(str(kind))
        if named is None:
            continue
        code = str(debit_code)
        gateway = code.split(":")[1] if named == "deposit" and code.startswith("clearing:") else ""
        found.append(Movement(named, int(amount), str(currency), int(at_ms), gateway))
    return found
