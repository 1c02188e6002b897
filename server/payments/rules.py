"""The rules that may refuse a withdrawal before any money moves: the one seam for them.

A rule is an async function of the request that returns a `Refused` or None;
`WITHDRAWAL_RULES` is checked in order and the first refusal wins. KYC
verification, bonus wagering requirements and responsible-gambling cool-offs
plug in here (append a function), never as a second path. Funds are not a
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
