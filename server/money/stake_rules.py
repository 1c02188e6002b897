"""Every rule that can refuse a stake, for our own games and providers' alike: `refuse_stake`.

This is the reserve path's one seam (DESIGN.md, "Design now for what comes
later"): account restrictions today; responsible-gambling limits, time-outs
and self-exclusion, bonus max-bet and jurisdiction rules are each one more
`StakeRule` in `RULES`, and both paths that take stakes (`server/rounds/play.py`
for our games, `server/provider/rules.py` for providers' bets) meet them with no
other change. Rules run before any money moves and only for a new stake, never
for a retry of one already taken. Funds are the one rule not here: the reserve
and bet scripts check them in the same atomic step as the move, because a check
made here could be stale by the time the money moves.

A refusal is a `Refusal`; each path translates it into its own wire vocabulary
(an `ErrorCode` on the WebSocket, a provider `Status`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

HOUSE = "house"  # the `provider` of our own games


class Refusal(StrEnum):
    ACCOUNT_RESTRICTED = "ACCOUNT_RESTRICTED"


@dataclass(frozen=True, slots=True)
class StakeAttempt:
    player_id: int
    player_status: str  # accounts' `players.status`: only "active" may stake
    currency: str
    provider: str  # HOUSE, or the provider id
    game: str  # our game id, or the provider's game code
    amount: int  # minor units of `currency`


StakeRule = Callable[[StakeAttempt], Awaitable[Refusal | None]]


async def account_open(attempt: StakeAttempt) -> Refusal | None:
    return None if attempt.player_status == "active" else Refusal.ACCOUNT_RESTRICTED


RULES: tuple[StakeRule, ...] = (account_open,)


async def refuse_stake(attempt: StakeAttempt, rules: Sequence[StakeRule] = RULES) -> Refusal | None:
    """The first rule's refusal, or None when every rule lets the stake through."""
    for rule in rules:
        refusal = await rule(attempt)
        if refusal is not None:
            return refusal
    return None
