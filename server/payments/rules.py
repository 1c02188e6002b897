"""The rules that may refuse a withdrawal before any money moves: the one withdrawal seam.

A rule is an async function of the request that returns a `Refused` or None;
`WITHDRAWAL_RULES` is checked in order and the first refusal wins. KYC
verification, bonus wagering requirements, responsible-gambling cool-offs and the
second factor for a new payment method plug in here (server/app.py assigns the
list), never as a second path. Funds are not a rule here: they are checked
atomically with the lock in Redis. Deposits have their seam in money
(server/money/deposit_rules.py), inside the deposit's own write transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from protocol.errors import Refused


@dataclass(frozen=True, slots=True)
class WithdrawalRequest:
    player_id: int
    currency: str
    amount: int
    gateway: str = ""  # where the money would go: AML's closed loop checks it
    forfeit_bonus: bool = False  # the player confirmed leaving an active bonus to withdraw
    method_id: int | None = None  # the saved method it goes to (None: the plain sandbox)
    new_method: bool = False  # nothing was ever paid out to this method before
    code: str | None = None  # the player's two-factor code, when the request carried one
    key: str = ""  # the player's idempotency key: a retry of the same withdrawal carries it


Rule = Callable[[WithdrawalRequest], Awaitable[Refused | None]]

WITHDRAWAL_RULES: list[Rule] = []


async def first_refusal(
    request: WithdrawalRequest, rules: list[Rule] | None = None
) -> Refused | None:
    for rule in WITHDRAWAL_RULES if rules is None else rules:
        refusal = await rule(request)
        if refusal is not None:
            return refusal
    return None
