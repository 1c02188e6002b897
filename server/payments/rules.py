"""The rules that may refuse a withdrawal or a deposit before any money moves: the one seam.

A rule is an async function of the request that returns a `Refused` or None;
`WITHDRAWAL_RULES` is checked in order and the first refusal wins. KYC
verification, bonus wagering requirements and responsible-gambling cool-offs
plug in here (append a function), never as a second path. `DEPOSIT_RULES` is the
same for deposits through the gateway (responsible-gambling deposit limits, the
AML threshold), checked before the payment is created, so a refused deposit
never reaches the gateway. Funds are not a
rule here: they are checked atomically with the lock in Redis.
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


@dataclass(frozen=True, slots=True)
class DepositRequest:
    player_id: int
    currency: str
    amount: int
    method_type: str | None  # card, ewallet, bank_transfer; None: the plain sandbox


Rule = Callable[[WithdrawalRequest], Awaitable[Refused | None]]
DepositRule = Callable[[DepositRequest], Awaitable[Refused | None]]

WITHDRAWAL_RULES: list[Rule] = []
DEPOSIT_RULES: list[DepositRule] = []


async def first_deposit_refusal(
    request: DepositRequest, rules: list[DepositRule] | None = None
) -> Refused | None:
    for rule in DEPOSIT_RULES if rules is None else rules:
        refusal = await rule(request)
        if refusal is not None:
            return refusal
    return None


async def first_refusal(
    request: WithdrawalRequest, rules: list[Rule] | None = None
) -> Refused | None:
    for rule in WITHDRAWAL_RULES if rules is None else rules:
        refusal = await rule(request)
        if refusal is not None:
            return refusal
    return None
