"""Punto banco: the published house edges, the tableau, the payouts and the bet options."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

import pytest

from games import baccarat, baccarat_maths, cards
from games.baccarat import Baccarat, deal
from games.base import StakeError
from games.simulation import simulate
from tests.test_games_generators import ScriptedGenerator, StreamGenerator


def _top(*names: str) -> tuple[int, ...]:
    """The top of the shoe, padded to six cards (padding the tableau must not use)."""
    padded = [*names, *(["KC"] * (6 - len(names)))]
    return tuple(cards.parse(n) for n in padded)


def _names(hand: tuple[int, ...]) -> list[str]:
    return [cards.name(c) for c in hand]


# Published house edges for 8 decks, banker paying 0.95 and tie 8:1 (Wizard of Odds,
# "Baccarat": banker 1.0579 %, player 1.2351 %, tie 14.3596 %).
@pytest.mark.parametrize(
    ("bet", "edge"), [("banker", 1.0579), ("player", 1.2351), ("tie", 14.3596)]
)
def test_house_edges_match_the_published_figures(bet: str, edge: float) -> None:
    assert round(float(baccarat_maths.house_edge(bet)) * 100, 4) == edge


def test_outcome_probabilities_are_exact_and_sum_to_one() -> None:
    odds = baccarat_maths.outcome_probabilities()
    assert sum(odds.values()) == 1
    assert round(float(odds["tie"]), 6) == 0.095156


def test_stated_rtp_is_the_banker_bet_exactly() -> None:
    assert baccarat.INFO.rtp == baccarat_maths.bet_rtp("banker")


def test_natural_stops_both_hands() -> None:
    state = deal(100, "player", _top("3S", "4H", "5S", "3H", "9C", "9D"))
    assert (_names(state.player), _names(state.banker)) == (["3S", "5S"], ["4H", "3H"])
    assert state.result == "player"
    assert Baccarat().payout(state) == 200


def test_banker_on_3_stands_when_the_players_third_card_is_an_8() -> None:
    state = deal(100, "tie", _top("2S", "TH", "3S", "3D", "8C", "9D"))
    assert _names(state.player) == ["2S", "3S", "8C"] and len(state.banker) == 2
    assert (state.player_total, state.banker_total, state.result) == (3, 3, "tie")
    assert Baccarat().payout(state) == 900


def test_banker_on_6_draws_when_the_players_third_card_is_a_7() -> None:
    state = deal(100, "banker", _top("2S", "3H", "2D", "3D", "7C", "9D"))
    assert _names(state.banker) == ["3H", "3D", "9D"]
    assert (state.player_total, state.banker_total) == (1, 5)
    assert Baccarat().payout(state) == 195  # 0.95 to 1, exact thanks to the stake step


def test_banker_draws_on_5_when_the_player_stands() -> None:
    state = deal(100, "banker", _top("3S", "2H", "4S", "3H", "2D", "9D"))
    assert len(state.player) == 2 and _names(state.banker) == ["2H", "3H", "2D"]
    assert state.result == "tie"
    assert Baccarat().payout(state) == 100  # banker and player bets push on a tie


@pytest.mark.parametrize(
    ("banker", "third", "draws"),
    [(3, 8, False), (3, 9, True), (4, 1, False), (4, 2, True), (5, 3, False), (5, 4, True),
     (6, 5, False), (6, 6, True), (7, 7, False), (2, 8, True), (6, None, False)],
)  # fmt: skip
def test_banker_tableau_edges(banker: int, third: int | None, draws: bool) -> None:
    assert baccarat.banker_draws(banker, third) is draws


@pytest.mark.parametrize("bet", ["banker", "player"])
def test_banker_and_player_bets_push_on_a_tie(bet: str) -> None:
    # Both hands 9-and-K naturals: 9 to 9, a tie on the first four cards.
    state = deal(500, bet, _top("9S", "9H", "KS", "KH"))
    assert (state.player_total, state.banker_total, state.result) == (9, 9, "tie")
    assert Baccarat().payout(state) == 500
    assert baccarat.returns(bet, 500, "tie") == 500


@pytest.mark.parametrize(
    "options", [None, {}, {"bet": "dragon"}, {"bet": "tie", "side": "pair"}, {"bet": 1}]
)
def test_options_must_name_one_known_bet(options: Any) -> None:
    with pytest.raises(StakeError) as error:
        Baccarat().validate(100, options)
    assert error.value.code == "INVALID_BET"


def test_stake_must_be_a_multiple_of_twenty() -> None:
    with pytest.raises(StakeError) as error:
        Baccarat().validate(110, {"bet": "banker"})
    assert error.value.code == "INVALID_STAKE"
    assert Fraction(95, 100) * baccarat.INFO.stake_step == 19


def test_start_deals_the_top_of_a_shuffled_shoe() -> None:
    # rng.sample is a partial Fisher-Yates: answering 0 six times keeps the unshuffled order,
    # AS 2S 3S 4S 5S 6S. Player 1+3 = 4 draws the 5S; banker on 6 draws only on a 6 or 7.
    state = Baccarat().start(100, ScriptedGenerator([0] * 6), {"bet": "banker"})
    assert (_names(state.player), _names(state.banker)) == (["AS", "3S", "5S"], ["2S", "4S"])
    assert (state.player_total, state.banker_total, state.result) == (9, 6, "player")


def test_state_round_trips_and_refuses_cards_the_tableau_would_not_deal() -> None:
    game = Baccarat()
    state = game.start(200, StreamGenerator(b"baccarat"), {"bet": "tie"})
    data = json.loads(json.dumps(game.state_to_data(state)))
    assert game.state_from_data(data) == state
    natural = deal(100, "player", _top("3S", "4H", "5S", "3H"))
    bad = {**game.state_to_data(natural), "player": ["3S", "5S", "2C"]}
    with pytest.raises(ValueError):
        game.state_from_data(bad)


def test_simulation_agrees_with_the_exact_odds() -> None:
    seen = simulate(Baccarat(), 3_000, StreamGenerator(b"punto"), 100, {"bet": "banker"})
    assert seen.contains(float(baccarat.INFO.rtp))
