"""A round as a sans-I/O state machine: events in, money commands out.

Like the `websockets` library's protocol object, a `Round` never touches
Redis or a socket. The caller feeds it what happened (the stake was held or
refused, an action arrived, a step was stored) and executes the command it
returns: `Reserve` the stake, `Save` the state of a round waiting for the
player, `Step` (hold an action's extra stake and store the new state, one
atomic write), `Settle` with the payout. Every rule about *when* money may
move lives here and is tested without I/O; an event in the wrong phase raises
`IllegalTransition`, an action the game refuses raises its `ActionError`.

`inputs` (stake, options, actions) is everything needed, with the round's
provably fair stream, to replay it exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from games.base import Game, Options
from rng.generator import Generator


class Phase(StrEnum):
    NEW = "new"
    RESERVING = "reserving"  # stake asked for, not yet held
    PLAYING = "playing"  # stake held, waiting for the player's next action
    STEPPING = "stepping"  # an action's new state (and extra stake) being stored
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
class Save:
    """Store the state of a round that waits for the player (nothing more is held)."""

    state: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Step:
    """Hold `extra` more stake and store `state`, atomically, if nothing changed meanwhile."""

    action: str
    extra: int
    state: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Settle:
    payout: int
    outcome: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Release:
    reason: str


# The members as plain module names: reading `Phase.NEW` goes through the enum class's
# attribute machinery (about 0.1 us on Python 3.11), and a spin reads a phase eight times.
_NEW, _RESERVING, _PLAYING, _STEPPING = Phase.NEW, Phase.RESERVING, Phase.PLAYING, Phase.STEPPING
_SETTLING, _SETTLED, _VOIDED = Phase.SETTLING, Phase.SETTLED, Phase.VOIDED


class Round:
    __slots__ = ("_next_state", "actions", "game", "options", "phase", "round_id", "stake", "state")

    def __init__(self, round_id: str, game: Game, stake: int, options: Options = None) -> None:
        game.validate(stake, options)  # a refused bet never becomes a round
        self.round_id = round_id
        self.game = game
        self.stake = stake
        self.options = dict(options) if options else None
        self.actions: list[str] = []
        self.phase = _NEW
        self.state: Any = None
        self._next_state: Any = None

    @classmethod
    def restore(
        cls, round_id: str, game: Game, inputs: dict[str, Any], state_data: dict[str, Any]
    ) -> Round:
        """A round waiting for the player, rebuilt from what `Save`/`Step` stored."""
        round_ = cls(round_id, game, int(inputs["stake"]), inputs.get("options"))
        round_.actions = [str(action) for action in inputs.get("actions", [])]
        round_.state = game.state_from_data(state_data)
        round_.phase = _PLAYING
        return round_

    @property
    def inputs(self) -> dict[str, Any]:
        return {"stake": self.stake, "options": self.options, "actions": list(self.actions)}

    def view(self) -> dict[str, Any]:
        """What the player sees of the round now."""
        return self.game.describe(self.state) if self.state is not None else {}

    def legal_actions(self) -> list[str]:
        if self.phase is not _PLAYING:
            return []
        return self.game.legal_actions(self.state)

    def _expect(self, event: str, *phases: Phase) -> None:
        if self.phase not in phases:
            raise IllegalTransition(event, self.phase)

    def begin(self) -> Reserve:
        self._expect("begin", _NEW)
        self.phase = _RESERVING
        return Reserve(self.stake)

    def refused(self) -> None:
        """The wallet would not hold the stake: the round ends having moved nothing. A round
        settled in the same atomic step as its reserve (one-step games) is refused while
        settling."""
        self._expect("refused", _RESERVING, _SETTLING)
        self.phase = _VOIDED

    def reserved(self, rng: Generator) -> Settle | Save:
        """The stake is held: deal. Settles at once unless the game waits for the player."""
        self._expect("reserved", _RESERVING)
        self.phase = _PLAYING  # before start(): a game that fails can still be abandoned
        self.state = self.game.start(self.stake, rng, self.options)
        return self._settle_if_finished() or Save(self.game.state_to_data(self.state))

    def act(self, action: str, rng: Generator) -> Step:
        """The player's action: computed now, applied once `stepped` confirms it was stored."""
        self._expect("act", _PLAYING)
        extra = self.game.extra_stake(self.state, action)
        self._next_state = self.game.act(self.state, action, rng)
        self.phase = _STEPPING
        self.actions.append(action)
        return Step(action, extra, self.game.state_to_data(self._next_state))

    def step_refused(self) -> None:
        """The step was not stored (funds for the extra stake, a concurrent action)."""
        self._expect("step_refused", _STEPPING)
        self.actions.pop()
        self._next_state = None
        self.phase = _PLAYING

    def stepped(self) -> Settle | None:
        self._expect("stepped", _STEPPING)
        self.state, self._next_state = self._next_state, None
        self.phase = _PLAYING
        return self._settle_if_finished()

    def _settle_if_finished(self) -> Settle | None:
        if not self.game.is_finished(self.state):
            return None
        self.phase = _SETTLING
        return Settle(self.game.payout(self.state), self.game.describe(self.state))

    def settled(self) -> None:
        self._expect("settled", _SETTLING)
        self.phase = _SETTLED

    def abandon(self) -> Release:
        """Give the held stake back (the game failed before an outcome existed)."""
        self._expect("abandon", _PLAYING)
        self.phase = _VOIDED
        return Release("voided")


def replay(game: Game, inputs: dict[str, Any], rng: Generator) -> dict[str, Any]:
    """The outcome a round's inputs produce on a given stream: how a round is verified."""
    state = game.start(int(inputs["stake"]), rng, inputs.get("options"))
    for action in inputs.get("actions", []):
        state = game.act(state, str(action), rng)
    return game.describe(state)
