"""Every rule that can refuse a deposit, run inside the deposit's own write transaction.

The deposit paths' one seam (DESIGN.md: "a deposit limit before a deposit"): the sandbox
deposit (`server/money/wallet.py`) and a gateway deposit when its payment is created
(`server/payments/store.py`, before the gateway is asked to charge anything) both call
`refuse_deposit` after writing their row and before committing, so a refusal rolls the row
back and moves nothing, and concurrent deposits of one player meet the rule one after the
other (the write transaction is the serialisation point). Domains plug rules in at wiring
time (`plug`), by name, so wiring a second app in one process replaces instead of doubling.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from protocol.errors import Refused
from server.storage.database import Transaction


@dataclass(frozen=True, slots=True)
class DepositAttempt:
    player_id: int
    currency: str
    amount: int  # minor units of `currency`
    reference: str  # unique per deposit ("deposit:ID", "payment:ID"): a retry counts once
    at_ms: int


DepositRule = Callable[[Transaction, DepositAttempt], Awaitable[Refused | None]]

RULES: dict[str, DepositRule] = {}


def plug(name: str, rule: DepositRule) -> None:
    RULES[name] = rule


async def refuse_deposit(tx: Transaction, attempt: DepositAttempt) -> Refused | None:
    """The first rule's refusal, or None when every rule lets the deposit through."""
    for rule in RULES.values():
        refusal = await rule(tx, attempt)
        if refusal is not None:
            return refusal
    return None
