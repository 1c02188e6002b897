"""Every rule that can refuse a provider bet, behind one function: `refuse_bet`.

This is the provider path's seam for the reserve rules of DESIGN.md: a new rule
(responsible-gambling limits, self-exclusion, bonus max-bet, jurisdiction) is
one more `BetRule` in `RULES`, and no other code changes. Rules run before any
money moves and only for new bets, never for a retry of an accepted one.
Funds are the one rule not here: they are checked by the bet script in the
same atomic step as the debit, because a check made here could be stale by the
time the money moves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from server.accounts.service import Player
from server.provider.catalogue import ProviderGame
from server.provider.status import Status


@dataclass(frozen=True, slots=True)
class BetAttempt:
    player: Player
    game: ProviderGame
    amount: int
    currency: str
    is_free: bool


BetRule = Callable[[BetAttempt], Awaitable[Status | None]]


async def account_open(attempt: BetAttempt) -> Status | None:
    return None if attempt.player.status == "active" else Status.USER_DISABLED


async def within_game_limits(attempt: BetAttempt) -> Status | None:
    """No bet above the game's maximum stake, free or not (`is_free` only labels a bet: the
    amount is what is debited, 0 for a provider-funded free round). No minimum per
    transaction: a round may be several bets (side bets, a double), each below the minimum."""
    if attempt.amount > attempt.game.max_stake:
        return Status.LIMIT_REACHED
    return None


RULES: tuple[BetRule, ...] = (account_open, within_game_limits)


async def refuse_bet(attempt: BetAttempt, rules: Sequence[BetRule] = RULES) -> Status | None:
    """The first rule's refusal, or None when every rule lets the bet through."""
    for rule in rules:
        refusal = await rule(attempt)
        if refusal is not None:
            return refusal
    return None
