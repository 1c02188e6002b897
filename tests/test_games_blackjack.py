"""Blackjack rules: legal and illegal actions, payouts, the peek, insurance, and storage."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from games import blackjack_rules as rules
from games import cards
from games.base import ActionError, StakeError
from games.blackjack import Blackjack
from games.blackjack_rules import BlackjackState, Phase, deal
from tests.test_games_generators import ScriptedGenerator, StreamGenerator, shuffle_script

GAME = Blackjack()
NO_RNG = ScriptedGenerator([])  # blackjack actions never draw: the shoe is shuffled at start


def shoe(*names: str) -> tuple[int, ...]:
    """A full six-deck shoe whose top cards are `names` in order: player, up, player, hole, ..."""
    top = [cards.parse(n) for n in names]
    rest = Counter(cards.new_shoe(rules.DECKS))
    rest.subtract(top)
    return (*top, *sorted(rest.elements()))


def play(state: BlackjackState, *actions: str) -> BlackjackState:
    for action in actions:
        state = GAME.act(state, action, NO_RNG)
    return state


def refused(state: BlackjackState, action: str) -> str:
    with pytest.raises(ActionError) as error:
        GAME.act(state, action, NO_RNG)
    with pytest.raises(ActionError):
        GAME.extra_stake(state, action)
    return error.value.code


def test_hit_after_stand_is_refused() -> None:
    state = play(deal(100, shoe("TS", "9H", "6S", "8H")), "stand")
    assert GAME.is_finished(state)
    assert refused(state, "hit") == "ILLEGAL_ACTION"


def test_split_of_unequal_cards_is_refused() -> None:
    state = deal(100, shoe("8S", "9H", "9S", "8H"))
    assert "split" not in GAME.legal_actions(state)
    assert refused(state, "split") == "ILLEGAL_ACTION"


def test_double_after_three_cards_is_refused() -> None:
    state = play(deal(100, shoe("2S", "9H", "3S", "8H", "4D")), "hit")
    assert len(state.hands[0].cards) == 3 and not GAME.is_finished(state)
    assert GAME.legal_actions(state) == ["hit", "stand"]
    assert refused(state, "double") == "ILLEGAL_ACTION"


def test_surrender_and_garbage_are_unknown_actions() -> None:
    state = deal(100, shoe("TS", "9H", "6S", "8H"))
    for action in ("surrender", "", "HIT", None, 3):
        assert refused(state, action) == "UNKNOWN_ACTION"  # type: ignore[arg-type]


def test_insurance_is_offered_only_under_an_ace() -> None:
    state = deal(100, shoe("TS", "9H", "6S", "8H"))
    assert refused(state, "insurance") == "ILLEGAL_ACTION"


def test_ten_valued_cards_of_different_rank_split() -> None:
    state = deal(100, shoe("KS", "6H", "QD", "8H"))
    assert "split" in GAME.legal_actions(state)


def test_split_aces_take_one_card_each_and_cannot_resplit() -> None:
    state = deal(100, shoe("AS", "6H", "AD", "TH", "AC", "9C", "TD"))
    assert GAME.extra_stake(state, "split") == 100
    state = play(state, "split")
    # Dealer 6+10 = 16 draws the last card: 26, bust; both soft hands (A,A = 12; A,9 = 20) win.
    assert GAME.is_finished(state)
    assert [cards.name(c) for h in state.hands for c in h.cards] == ["AS", "AC", "AD", "9C"]
    assert GAME.payout(state) == 400 and GAME.total_stake(state) == 200


def test_split_to_four_hands_at_most_with_double_after_split() -> None:
    # Each split hand takes its second card when played: 8C and 8H make resplits, 3C stays.
    state = deal(100, shoe("8S", "6H", "8D", "TH", "8C", "8H", "3C", "8C"))
    state = play(state, "split", "split", "split")
    assert len(state.hands) == 4
    assert [cards.name(c) for c in state.hands[0].cards] == ["8S", "3C"]
    assert "double" in GAME.legal_actions(state)  # double after split
    state = play(state, "stand")
    assert [cards.name(c) for c in state.hands[1].cards] == ["8H", "8C"]
    assert GAME.legal_actions(state) == ["hit", "stand", "double"]  # no fifth hand
    assert refused(state, "split") == "ILLEGAL_ACTION"


def test_blackjack_pays_three_to_two_at_once() -> None:
    state = deal(100, shoe("AS", "9H", "KS", "8H"))
    assert GAME.is_finished(state)
    assert GAME.payout(state) == 250


def test_dealer_peeks_under_a_ten_and_takes_only_the_original_stake() -> None:
    state = deal(100, shoe("9S", "KH", "9D", "AH"))
    assert GAME.is_finished(state) and GAME.legal_actions(state) == []
    assert (GAME.payout(state), GAME.total_stake(state)) == (0, 100)


def test_blackjack_against_dealer_blackjack_pushes() -> None:
    state = deal(100, shoe("AS", "KH", "QS", "AH"))
    assert GAME.payout(state) == 100


def test_insurance_pays_two_to_one_when_the_dealer_has_blackjack() -> None:
    state = deal(100, shoe("TS", "AH", "9S", "KH"))
    assert state.phase is Phase.INSURANCE
    assert GAME.legal_actions(state) == ["insurance", "no_insurance"]
    assert GAME.extra_stake(state, "insurance") == 50
    state = play(state, "insurance")
    assert GAME.is_finished(state)
    assert (GAME.payout(state), GAME.total_stake(state)) == (150, 150)


def test_declined_insurance_and_no_dealer_blackjack_continues_play() -> None:
    state = play(deal(100, shoe("TS", "AH", "9S", "6H")), "no_insurance")
    assert state.phase is Phase.PLAYING and GAME.total_stake(state) == 100
    assert "hit" in GAME.legal_actions(state)


def test_dealer_stands_on_soft_17() -> None:
    state = play(deal(100, shoe("TS", "6H", "8S", "AH", "5C")), "stand")
    assert len(state.dealer) == 2  # A,6 is soft 17: no card drawn
    assert GAME.payout(state) == 200


def test_dealer_draws_to_hard_17_and_busts() -> None:
    state = play(deal(100, shoe("TS", "6H", "7S", "TH", "9C")), "stand")
    assert [cards.name(c) for c in state.dealer] == ["6H", "TH", "9C"]
    assert GAME.payout(state) == 200


def test_double_takes_one_card_and_doubles_the_stake() -> None:
    state = deal(100, shoe("5S", "6H", "6S", "TH", "TC", "9C"))
    assert GAME.extra_stake(state, "double") == 100
    state = play(state, "double")
    assert GAME.is_finished(state) and state.hands[0].doubled
    assert (GAME.payout(state), GAME.total_stake(state)) == (400, 200)  # 21 v dealer bust


def test_a_hand_that_reaches_21_stands_by_itself() -> None:
    state = play(deal(100, shoe("5S", "9H", "6S", "8H", "TC")), "hit")
    assert GAME.is_finished(state)
    assert GAME.payout(state) == 200


def test_when_every_hand_busts_the_dealer_does_not_draw() -> None:
    state = play(deal(100, shoe("TS", "6H", "6S", "TH", "KC", "5C")), "hit")
    assert len(state.dealer) == 2 and GAME.payout(state) == 0


def test_default_action_is_stand_or_declining_insurance() -> None:
    assert GAME.default_action(deal(100, shoe("TS", "AH", "6S", "6H"))) == "no_insurance"
    assert GAME.default_action(deal(100, shoe("TS", "9H", "6S", "6H"))) == "stand"
    assert GAME.default_action(deal(100, shoe("AS", "9H", "KS", "6H"))) is None


def test_payout_of_an_open_round_is_refused() -> None:
    with pytest.raises(ActionError) as error:
        GAME.payout(deal(100, shoe("TS", "9H", "6S", "8H")))
    assert error.value.code == "ROUND_NOT_FINISHED"


def test_describe_hides_the_hole_card_until_the_round_settles() -> None:
    state = deal(100, shoe("TS", "9H", "6S", "8D"))
    view = GAME.describe(state)
    assert view["dealer"] == ["9H"] and view["hole_card_hidden"]
    assert "8D" not in json.dumps(view)
    settled = GAME.describe(play(state, "stand"))
    assert settled["dealer"] == ["9H", "8D"] and settled["payout"] == 0


def test_open_round_round_trips_through_plain_data() -> None:
    state = play(deal(100, shoe("8S", "6H", "8D", "TH", "3C", "2C")), "split", "hit")
    assert not GAME.is_finished(state)
    data = json.loads(json.dumps(GAME.state_to_data(state)))
    again = GAME.state_from_data(data)
    assert again == state
    assert GAME.describe(play(again, "stand")) == GAME.describe(play(state, "stand"))


def test_stored_data_that_the_rules_cannot_replay_is_refused() -> None:
    data = GAME.state_to_data(deal(100, shoe("8S", "6H", "9D", "TH")))
    with pytest.raises(ValueError):
        GAME.state_from_data({**data, "actions": ["split"]})
    with pytest.raises(ValueError):
        GAME.state_from_data({**data, "shoe": data["shoe"][:-1]})
    with pytest.raises(ValueError):
        GAME.state_from_data({**data, "shoe": ["AS", *data["shoe"][1:]]})


def test_start_shuffles_six_decks_through_the_generator() -> None:
    target = shoe("TS", "9H", "6S", "8H")
    script = shuffle_script(cards.new_shoe(rules.DECKS), target)
    state = GAME.start(100, ScriptedGenerator(script))
    assert state.shoe == target and state.dealt == 4


def test_stake_must_be_even_and_options_empty() -> None:
    with pytest.raises(StakeError) as error:
        GAME.validate(101)
    assert error.value.code == "INVALID_STAKE"
    with pytest.raises(StakeError) as error:
        GAME.start(100, StreamGenerator(b"x"), {"side_bet": 5})
    assert error.value.code == "INVALID_BET"
