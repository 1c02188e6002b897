"""Play a game's real code many times and measure its return, with a confidence interval.

A simulation drives the same `start`/`act` the server drives, so it checks the
game code against its maths, not the maths against itself. A multi-step game
needs a player: a function choosing the action in an open round (blackjack's
basic strategy). The return is measured per unit of *original* stake, extra
stakes (doubles, splits, insurance) counted as money paid in:
RTP = 1 + sum(payout - total stake) / sum(original stake).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from math import sqrt
from typing import Any

from games.base import Game
from rng.generator import Generator

Z_99 = 2.5758293035489  # two-sided 99 % quantile of the normal distribution

Player = Callable[[Any], str]


@dataclass(frozen=True, slots=True)
class Observed:
    rounds: int
    rtp: float
    sd: float  # per unit of original stake, of one round
    low: float  # 99 % confidence interval of the RTP
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def play_round(
    game: Game, stake: int, rng: Generator, options: Mapping[str, Any] | None, player: Player | None
) -> Any:
    """One round from start to settlement, the player choosing every action."""
    state = game.start(stake, rng, options)
    while not game.is_finished(state):
        if player is None:
            raise ValueError(f"{game.info.id} needs a player to finish a round")
        state = game.act(state, player(state), rng)
    return state


def simulate(
    game: Game,
    rounds: int,
    rng: Generator,
    stake: int,
    options: Mapping[str, Any] | None = None,
    player: Player | None = None,
) -> Observed:
    if rounds < 2:
        raise ValueError("a confidence interval needs at least two rounds")
    total = squares = 0
    for _ in range(rounds):
        state = play_round(game, stake, rng, options, player)
        net = game.payout(state) - game.total_stake(state)
        total += net
        squares += net * net
    # Integer sums keep the mean exact however many rounds; only the division is float.
    mean = total / (rounds * stake)
    variance = (squares - total * total / rounds) / (rounds - 1) / (stake * stake)
    sd = sqrt(max(variance, 0.0))
    half = Z_99 * sd / sqrt(rounds)
    return Observed(rounds, 1 + mean, sd, 1 + mean - half, 1 + mean + half)
