"""Every rule that can refuse a provider bet, behind one function: `refuse_bet`.

A provider bet first meets the stake rules every stake meets
(`server/money/stake_rules.py`: account restrictions, responsible-gambling,
self-exclusion, bonus and jurisdiction rules), then the rules only a provider bet
has: `RULES` here (the game's maximum stake), then those other domains plug in at
wiring time (`plug`: the jurisdiction profile's slot stake cap and cycle spacing,
which need the game's categories and round, server/wiring.py). Rules
run before any money moves and only for new bets, never for a retry of an
accepted one. Funds are checked by the bet script in the same atomic step as
the debit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from server.money import stake_rules
from server.money.stake_rules import StakeAttempt
from server.provider.catalogue import ProviderGame
from server.provider.status import Status, for_refusal


class Player(Protocol):
    """What the provider wallet reads of an account holder (`accounts.service.Player` is
    one): the provider domain never imports the accounts domain, it is handed this view."""

    @property
    def id(self) -> int: ...
    @property
    def currency(self) -> str: ...
    @property
    def country(self) -> str: ...
    @property
    def status(self) -> str: ...


class Players(Protocol):
    """Looks an account holder up by id (`accounts.service.Accounts` is one)."""

    async def player(self, player_id: int) -> Player | None: ...


@dataclass(frozen=True, slots=True)
class BetAttempt:
    player: Player
    game: ProviderGame
    amount: int
    currency: str
    is_free: bool
    round: str = ""  # the provider's round id: one game cycle, however many bets it takes


BetRule = Callable[[BetAttempt], Awaitable[Status | None]]


async def within_game_limits(attempt: BetAttempt) -> Status | None:
    """No bet above the game's maximum stake, free or not (a free round, `is_free`, is paid
    by the player's bonus free rounds, in the bet script). No minimum per
    transaction: a round may be several bets (side bets, a double), each below the minimum."""
    if attempt.amount > attempt.game.max_stake:
        return Status.LIMIT_REACHED
    return None


RULES: tuple[BetRule, ...] = (within_game_limits,)
# Rules other domains plug in at wiring time, by name (a second app in one process replaces a
# rule instead of running it twice). They run after `RULES`.
PLUGGED: dict[str, BetRule] = {}


def plug(name: str, rule: BetRule) -> None:
    PLUGGED[name] = rule


async def refuse_bet(attempt: BetAttempt, rules: Sequence[BetRule] | None = None) -> Status | None:
    """The first rule's refusal, or None when every rule lets the bet through."""
    stake = StakeAttempt(
        attempt.player.id,
        attempt.player.status,
        attempt.currency,
        attempt.game.provider_id,
        attempt.game.game_code,
        attempt.amount,
    )
    shared = await stake_rules.refuse_stake(stake)
    if shared is not None:
        return for_refusal(shared.code)
    for rule in (*RULES, *PLUGGED.values()) if rules is None else rules:
        refusal = await rule(attempt)
        if refusal is not None:
            return refusal
    return None
