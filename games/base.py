"""What every game is: a pure function of (stake, options, actions, generator) to a payout.

A game holds no I/O, no clock and no global randomness: `start` and `act` draw
only from the generator they are handed, so a recorded byte stream replays a
round exactly. Money here is integer minor units; multipliers are exact fractions.

The round protocol the server drives (every game implements all of it):

    validate(stake, options)        refuse bad input with a StakeError (nothing reserved yet)
    start(stake, rng, options)      open a round; validates again, so a state is never invalid
    is_finished(state)              True once no action can change the payout
    legal_actions(state)            the actions `act` accepts now ([] for a finished round)
    extra_stake(state, action)      money `action` adds to the round, reserved by the server
                                    *before* it calls `act` (double, split, insurance)
    act(state, action, rng)         the next state; ActionError for anything not legal
    default_action(state)           what the server plays for an absent player (None if finished)
    payout(state)                   total returned, stake included (finished rounds only)
    total_stake(state)              stake plus every extra stake taken so far
    describe(state)                 the player's view as plain data: hides what the player
                                    may not see yet (hole card, the rest of the shoe)
    state_to_data(state)            everything, as plain JSON-able data, for storage only
    state_from_data(data)           the inverse; ValueError for data that does not fit

`options` is the plain dict the client sent (roulette bets, the baccarat bet);
games that take none accept None or {}. Every refusal carries a stable
UPPER_SNAKE code from STAKE_ERROR_CODES or ACTION_ERROR_CODES below, which
`protocol/` maps onto its error enum.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any, Protocol, TypeGuard

from rng.generator import Generator

# Codes a StakeError carries: what the server reports when it refuses a bet.
STAKE_ERROR_CODES: dict[str, str] = {
    "INVALID_STAKE": "not a positive integer, not a multiple of the step, or not the bets' sum",
    "STAKE_BELOW_MIN": "below the game's minimum stake",
    "STAKE_ABOVE_MAX": "above the game's maximum stake",
    "INVALID_BET": "options the game cannot accept: unknown bet type, invalid numbers, ...",
}

# Codes an ActionError carries: what the server reports when it refuses an action.
ACTION_ERROR_CODES: dict[str, str] = {
    "UNKNOWN_ACTION": "not an action of this game at all",
    "ILLEGAL_ACTION": "not allowed now: not in legal_actions(state), or the round is settled",
    "ROUND_NOT_FINISHED": "the payout of a round that is still open was asked for",
}


class Volatility(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class GameInfo:
    id: str
    name: str
    kind: str  # "slot" or "table"
    min_stake: int
    max_stake: int
    stake_step: int  # stakes must be a multiple of this (lines of a slot)
    rtp: Fraction  # stated return to player, computed exactly and checked by tests
    volatility: Volatility


class StakeError(ValueError):
    """A stake or bet the game refuses; `code` is one of STAKE_ERROR_CODES."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ActionError(ValueError):
    """An action the game refuses; `code` is one of ACTION_ERROR_CODES."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


Options = Mapping[str, Any] | None


class Game(Protocol):
    info: GameInfo

    def validate(self, stake: int, options: Options = None) -> None:
        """Raise StakeError unless `stake` with `options` is a bet this game accepts."""

    def start(self, stake: int, rng: Generator, options: Options = None) -> Any:
        """Open a round for `stake` minor units and return its state."""

    def is_finished(self, state: Any) -> bool:
        """True once no further action can change the payout."""

    def legal_actions(self, state: Any) -> list[str]:
        """The actions `act` accepts in this state; empty once finished."""

    def extra_stake(self, state: Any, action: str) -> int:
        """Minor units `action` adds to the round; ActionError if it is not legal."""

    def act(self, state: Any, action: str, rng: Generator) -> Any:
        """Apply a legal action and return the new state; ActionError otherwise."""

    def default_action(self, state: Any) -> str | None:
        """The action played for a player who is gone; None when finished."""

    def payout(self, state: Any) -> int:
        """Total paid back to the player for the round, stake included, in minor units."""

    def total_stake(self, state: Any) -> int:
        """The stake plus every extra stake the round has taken."""

    def describe(self, state: Any) -> dict[str, Any]:
        """The round as the player may see it, as plain data for the wire and for recall."""

    def state_to_data(self, state: Any) -> dict[str, Any]:
        """The whole state as plain data, for server-side storage only."""

    def state_from_data(self, data: Mapping[str, Any]) -> Any:
        """Rebuild a state from `state_to_data`; ValueError when the data does not fit."""


def check_stake(info: GameInfo, stake: int) -> None:
    """Refuse a stake outside the game's limits with the code the protocol reports."""
    # Every bet passes here twice (Round and start): a valid stake leaves after one test.
    valid = type(stake) is int and stake > 0 and info.min_stake <= stake <= info.max_stake
    if valid and not stake % info.stake_step:
        return
    if not isinstance(stake, int) or isinstance(stake, bool) or stake <= 0:
        raise StakeError("INVALID_STAKE", "stake must be a positive integer in minor units")
    if stake < info.min_stake:
        raise StakeError("STAKE_BELOW_MIN", f"minimum stake for {info.id} is {info.min_stake}")
    if stake > info.max_stake:
        raise StakeError("STAKE_ABOVE_MAX", f"maximum stake for {info.id} is {info.max_stake}")
    if stake % info.stake_step:
        raise StakeError(
            "INVALID_STAKE", f"stake for {info.id} must be a multiple of {info.stake_step}"
        )


def check_no_options(info: GameInfo, options: Options) -> None:
    """Refuse options sent to a game that takes none, so a client's mistake is not ignored."""
    if options is None:
        return
    if not isinstance(options, Mapping):
        raise StakeError("INVALID_BET", "options must be an object")
    if options:
        raise StakeError("INVALID_BET", f"{info.id} takes no options")


def is_int(value: object) -> TypeGuard[int]:
    """True for a real integer; JSON's true/false are not amounts or numbers."""
    return isinstance(value, int) and not isinstance(value, bool)


def require(condition: bool, message: str) -> None:
    """Reject stored data that does not fit a state (state_from_data)."""
    if not condition:
        raise ValueError(message)


def stored_int(data: Mapping[str, Any], key: str, low: int = 1, high: int | None = None) -> int:
    """data[key] as an integer in [low, high]; ValueError otherwise."""
    value = data.get(key)
    if not is_int(value) or value < low or (high is not None and value > high):
        raise ValueError(f"{key} must be an integer from {low} to {high or 'any'}")
    return value


def stored_list(data: Mapping[str, Any], key: str) -> list[Any]:
    """data[key] as a list; ValueError otherwise."""
    value = data.get(key)
    if not isinstance(value, list):
        raise ValueError(f"{key} must be a list")
    return value


class SingleStepGame:
    """The action half of the protocol for games settled in `start` (slots, roulette, baccarat)."""

    info: GameInfo

    def validate(self, stake: int, options: Options = None) -> None:
        check_stake(self.info, stake)
        check_no_options(self.info, options)

    def is_finished(self, state: Any) -> bool:
        return True

    def legal_actions(self, state: Any) -> list[str]:
        return []

    def extra_stake(self, state: Any, action: str) -> int:
        raise ActionError("ILLEGAL_ACTION", f"{self.info.id} rounds settle at once")

    def act(self, state: Any, action: str, rng: Generator) -> Any:
        raise ActionError("ILLEGAL_ACTION", f"{self.info.id} rounds settle at once")

    def default_action(self, state: Any) -> str | None:
        return None

    def total_stake(self, state: Any) -> int:
        stake: int = state.stake
        return stake
