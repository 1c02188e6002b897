"""Blackjack maths: the calculated edge against the published one, and the strategy it assumes."""

from __future__ import annotations

from fractions import Fraction

import pytest

from games import blackjack, blackjack_maths
from games.blackjack import Blackjack
from games.blackjack_rules import Action
from games.blackjack_strategy import choose, decide
from games.simulation import simulate
from tests.test_games_generators import StreamGenerator

# Published house edge for these rules: 6 decks, dealer stands on soft 17, double on any two
# cards and after splits, resplit to 4 hands, no resplitting or hitting split aces, dealer
# peeks (player loses only the original bet), no surrender, blackjack 3:2: about 0.40 % with
# total-dependent basic strategy. Source: Wizard of Odds, "Blackjack House Edge Calculator"
# (wizardofodds.com/games/blackjack/calculator/). The rule-effect table of
# thecolorofblackjack.com ("Solution one") gives 0.42 % for the same rules.
PUBLISHED_EDGE = 0.0040


def test_house_edge_is_within_a_tenth_of_a_point_of_the_published_figure() -> None:
    par = blackjack_maths.basic_strategy_par()
    assert abs(par.house_edge - PUBLISHED_EDGE) < 0.001


def test_spread_and_hit_frequency_are_those_of_blackjack() -> None:
    par = blackjack_maths.basic_strategy_par()
    assert abs(par.sd - 1.15) < 0.01  # the well-known standard deviation of about 1.15 a hand
    assert 0.42 < par.hit_frequency < 0.44  # rounds won; about 8 % push
    assert par.max_payout == 16


def test_stated_rtp_is_the_calculated_one_rounded_to_a_hundredth_of_a_percent() -> None:
    calculated = Fraction(blackjack_maths.basic_strategy_par().rtp)
    assert abs(blackjack.INFO.rtp - calculated) <= Fraction(1, 20_000)


@pytest.mark.parametrize(
    ("hand", "up", "can_double", "expected"),
    [
        ((11, False, None), 1, True, Action.HIT),  # 11 v ace: hit when the dealer stands on 17
        ((11, False, None), 10, True, Action.DOUBLE),
        ((12, False, None), 4, True, Action.STAND),
        ((12, False, None), 3, True, Action.HIT),
        ((16, False, None), 10, True, Action.HIT),
        ((18, True, None), 3, True, Action.DOUBLE),
        ((18, True, None), 3, False, Action.STAND),  # soft 18: stand when it cannot double
        ((17, True, None), 3, False, Action.HIT),
        ((18, False, 9), 7, True, Action.STAND),  # 9,9 v 7 stands
        ((18, False, 9), 8, True, Action.SPLIT),
        ((20, False, 10), 6, True, Action.STAND),  # never split tens
        ((12, True, 1), 1, True, Action.SPLIT),
        ((10, False, 5), 9, True, Action.DOUBLE),  # fives play as 10
    ],
)
def test_basic_strategy_chart(
    hand: tuple[int, bool, int | None], up: int, can_double: bool, expected: Action
) -> None:
    total, soft, pair = hand
    assert decide(total, soft, pair, up, can_double, True) is expected


def test_basic_strategy_player_completes_real_rounds_near_the_calculated_return() -> None:
    rounds = 1_500
    seen = simulate(Blackjack(), rounds, StreamGenerator(b"basic"), 100, None, choose)
    assert seen.contains(blackjack_maths.basic_strategy_par().rtp)
