"""The deposit rule of a closed account: a closed account takes no deposit.

Accounts own `players.status`; money's deposit seam (server/money/deposit_rules.py) runs this
inside the deposit's own write transaction, so a deposit racing the closure either commits
before the status changed (and the balance it adds is still on the account, shown to staff)
or is refused and moves nothing. A closed player cannot log in to ask for one; this keeps
every other path (a script with an old token, a gateway deposit created before) shut too.
"""

from __future__ import annotations

from protocol.errors import ErrorCode, Refused
from server.accounts.service import CLOSED
from server.money.deposit_rules import DepositAttempt
from server.storage.database import Transaction


async def refuse_deposit(tx: Transaction, attempt: DepositAttempt) -> Refused | None:
    row = await tx.fetchone("SELECT status FROM players WHERE id = ?", (attempt.player_id,))
    if row is not None and str(row[0]) == CLOSED:
        return Refused(ErrorCode.ACCOUNT_CLOSED, "this account is closed: no deposits")
    return None
