"""A round as a sans-I/O state machine: events in, money commands out.

Like the `websockets` library's protocol object, a `Round` never touches
Redis or a socket. The caller feeds it what happened (the stake was reserved,
refused, settled) and executes the command it returns (`Reserve`, `Settle`,
`Release`). Every rule about *when* money may move lives here and is tested
without any I/O; an event in the wrong phase raises `IllegalTransition`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from games.base import Game, check_stake
from rng.generator import Generator


class Phase(StrEnum):
    NEW = "new"
    RESERVING = "reserving"  # stake asked for, not yet held
    PLAYING = "playing"  # stake held, game in progress
    SETTLING = "settling"  # outcome known, payout being posted
    SETTLED = "settled"
    VOIDED = "voided"


class IllegalTransition(RuntimeError):
    def __init__(self, event: str, phase: Phase) -> None:
        super().__init__(f"{event} is not allowed while the round is {phase}")
        self.event = event
        self.phase = phase


@dataclass(frozen=True, slots=True)
class Reserve:
    amount: int


@dataclass(frozen=True, slots=True)
class Settle:
    payout: int
    outcome: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Release:
    reason: str


class Round:
    def __init__(self, round_id: str, game: Game, stake: int) -> None:
        check_stake(game.info, stake)  # a refused stake never becomes a round
        self.round_id = round_id
        self.game = game
        self.stake = stake
        self.phase = Phase.NEW
        self.state: Any = None

    def _expect(self, event: str, *phases: Phase) -> None:
        if self.phase not in phases:
            raise IllegalTransition(event, self.phase)

    def begin(self) -> Reserve:
        self._expect("begin", Phase.NEW)
        self.phase = Phase.RESERVING
        return Reserve(self.stake)

    def refused(self) -> None:
        """The wallet would not hold the stake: the round ends having moved nothing."""
        self._expect("refused", Phase.RESERVING)
        self.phase = Phase.VOIDED

    def reserved(self, rng: Generator) -> Settle | None:
        """The stake is held: play. Returns `Settle` once the game needs nothing more."""
        self._expect("reserved", Phase.RESERVING)
        self.phase = Phase.PLAYING  # before start(): a game that fails can still be abandoned
        self.state = self.game.start(self.stake, rng)
        return self._settle_if_finished()

    def _settle_if_finished(self) -> Settle | None:
        if not self.game.is_finished(self.state):
            return None
        self.phase = Phase.SETTLING
        return Settle(self.game.payout(self.state), self.game.describe(self.state))

    def settled(self) -> None:
        self._expect("settled", Phase.SETTLING)
        self.phase = Phase.SETTLED

    def abandon(self) -> Release:
        """Give the held stake back (the game failed before an outcome existed)."""
        self._expect("abandon", Phase.PLAYING)
        self.phase = Phase.VOIDED
        return Release("voided")
