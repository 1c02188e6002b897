"""Exact odds of punto banco from the 8-deck shoe, by combinatorics of the cards a coup uses.

Every ordered sequence of the first four cards' points is weighed by the number
of ways the shoe can deal it (a falling product of the remaining counts), and so
on for the third cards the tableau calls for. A coup that stops after k cards is
scaled by the ways to deal the unused positions up to six, so all weights share
the denominator 416·415·...·411 and stay integers: the probabilities are exact.
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache
from math import prod

from games.baccarat import DECKS, ODDS, banker_draws, winner

_POINT_COUNTS = (16 * DECKS,) + (4 * DECKS,) * 9  # tens and pictures are 0 points
_SHOE = sum(_POINT_COUNTS)
_CARDS = 6


def _fill(used: int) -> int:
    """Ways to deal the positions a coup leaves unused, up to six cards."""
    return prod(range(_SHOE - _CARDS + 1, _SHOE - used + 1))


@cache
def outcome_probabilities() -> dict[str, Fraction]:
    """P(player wins), P(banker wins) and P(tie), exactly."""
    weights = {"player": 0, "banker": 0, "tie": 0}
    counts = list(_POINT_COUNTS)
    fill = {used: _fill(used) for used in (4, 5, 6)}

    def take(point: int) -> int:
        ways = counts[point]
        counts[point] -= 1
        return ways

    for p1 in range(10):
        w1 = take(p1)
        for b1 in range(10):
            w2 = w1 * take(b1)
            for p2 in range(10):
                w3 = w2 * take(p2)
                for b2 in range(10):
                    w4 = w3 * take(b2)
                    player, banker = (p1 + p2) % 10, (b1 + b2) % 10
                    if player >= 8 or banker >= 8:
                        weights[winner(player, banker)] += w4 * fill[4]
                    elif player >= 6:
                        if not banker_draws(banker, None):
                            weights[winner(player, banker)] += w4 * fill[4]
                        else:
                            for b3 in range(10):
                                result = winner(player, (banker + b3) % 10)
                                weights[result] += w4 * counts[b3] * fill[5]
                    else:
                        for p3 in range(10):
                            w5 = w4 * take(p3)
                            drawn = (player + p3) % 10
                            if not banker_draws(banker, p3):
                                weights[winner(drawn, banker)] += w5 * fill[5]
                            else:
                                for b3 in range(10):
                                    result = winner(drawn, (banker + b3) % 10)
                                    weights[result] += w5 * counts[b3]
                            counts[p3] += 1
                    counts[b2] += 1
                counts[p2] += 1
            counts[b1] += 1
        counts[p1] += 1
    total = prod(range(_SHOE - _CARDS + 1, _SHOE + 1))
    assert sum(weights.values()) == total
    return {result: Fraction(weight, total) for result, weight in weights.items()}


def net_outcomes(bet: str) -> dict[Fraction, Fraction]:
    """The net win per unit staked on `bet` -> its probability."""
    odds = outcome_probabilities()
    if bet == "tie":
        return {ODDS["tie"]: odds["tie"], Fraction(-1): 1 - odds["tie"]}
    other = "player" if bet == "banker" else "banker"
    return {ODDS[bet]: odds[bet], Fraction(0): odds["tie"], Fraction(-1): odds[other]}


def bet_rtp(bet: str) -> Fraction:
    return 1 + sum((net * p for net, p in net_outcomes(bet).items()), Fraction(0))


def house_edge(bet: str) -> Fraction:
    return 1 - bet_rtp(bet)
