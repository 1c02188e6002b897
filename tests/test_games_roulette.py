"""European roulette: every bet returns exactly 36/37, and every malformed bet is refused."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

import pytest

from games import roulette
from games.base import StakeError
from games.roulette import Roulette
from tests.test_games_generators import ScriptedGenerator


def _bet(kind: str, amount: int = 10, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "amount": amount, **fields}


def _every_bet() -> list[dict[str, Any]]:
    """Every distinct bet the layout allows, one unit each."""
    bets = [
        _bet(kind, 1, numbers=sorted(numbers))
        for kind, sets in roulette.INSIDE.items()
        for numbers in sets
    ]
    bets += [_bet(kind, 1, index=i) for kind in roulette.OUTSIDE_INDEXED for i in (1, 2, 3)]
    bets += [_bet(kind, 1) for kind in roulette.EVEN_MONEY]
    return bets


def test_layout_has_the_standard_number_of_each_inside_bet() -> None:
    counts = {kind: len(sets) for kind, sets in roulette.INSIDE.items()}
    assert counts == {
        "straight": 37,
        "split": 60,  # 57 between numbers and 3 with zero
        "street": 12,
        "trio": 2,
        "corner": 22,
        "first_four": 1,
        "six_line": 11,
    }


def test_every_bet_of_every_type_returns_exactly_36_over_37() -> None:
    game = Roulette()
    for raw in _every_bet():
        options = {"bets": [{**raw, "amount": 10}]}
        returned = sum(
            game.payout(game.start(10, ScriptedGenerator([pocket]), options))
            for pocket in range(roulette.POCKETS)
        )
        assert Fraction(returned, 10 * roulette.POCKETS) == Fraction(36, 37), raw


def test_stated_rtp_is_36_over_37() -> None:
    assert roulette.INFO.rtp == Fraction(36, 37)


def test_several_bets_settle_independently_in_one_spin() -> None:
    game = Roulette()
    bets = [
        _bet("straight", 10, numbers=[17]),
        _bet("split", 20, numbers=[17, 20]),
        _bet("dozen", 30, index=2),
        _bet("red", 40),
        _bet("column", 50, index=1),
    ]
    state = game.start(150, ScriptedGenerator([17]), {"bets": bets})
    # 17 is black, in the second dozen and the second column.
    assert game.payout(state) == 10 * 36 + 20 * 18 + 30 * 3
    assert [b["returns"] for b in game.describe(state)["bets"]] == [360, 360, 90, 0, 0]
    assert game.describe(state)["colour"] == "black"


def test_zero_loses_every_outside_bet() -> None:
    game = Roulette()
    bets = [_bet(kind, 10) for kind in roulette.EVEN_MONEY] + [_bet("dozen", 10, index=1)]
    assert game.payout(game.start(70, ScriptedGenerator([0]), {"bets": bets})) == 0


@pytest.mark.parametrize(
    "bet",
    [
        _bet("straight", numbers=[37]),
        _bet("straight", numbers=[-1]),
        _bet("straight", numbers=[True]),
        _bet("straight", numbers=["17"]),
        _bet("split", numbers=[1, 5]),  # not adjacent
        _bet("split", numbers=[3, 4]),  # neighbours in number, not on the layout
        _bet("split", numbers=[17, 17]),
        _bet("street", numbers=[2, 3, 4]),
        _bet("corner", numbers=[3, 4, 6, 7]),  # wraps around the layout's edge
        _bet("six_line", numbers=[1, 2, 3, 4, 5, 7]),
        _bet("trio", numbers=[0, 1, 3]),
        _bet("dozen", index=4),
        _bet("column", index=0),
        _bet("dozen"),
        _bet("red", numbers=[1]),  # an even-money bet names nothing
        _bet("neighbours", numbers=[1]),
        _bet("straight", amount=0, numbers=[1]),
        _bet("straight", amount=-10, numbers=[1]),
        {"type": "red", "amount": 2.5},
        "red",
    ],
)
def test_invalid_bets_are_refused_with_invalid_bet(bet: Any) -> None:
    with pytest.raises(StakeError) as error:
        Roulette().validate(10, {"bets": [bet]})
    assert error.value.code == "INVALID_BET"


@pytest.mark.parametrize(
    "options", [None, {}, {"bets": []}, {"bets": "red"}, {"bets": [], "extra": 1}]
)
def test_missing_or_malformed_bet_lists_are_refused(options: Any) -> None:
    with pytest.raises(StakeError) as error:
        Roulette().validate(10, options)
    assert error.value.code == "INVALID_BET"


def test_too_many_bets_are_refused() -> None:
    bets = [_bet("red", 1)] * (roulette.MAX_BETS + 1)
    with pytest.raises(StakeError) as error:
        Roulette().validate(len(bets), {"bets": bets})
    assert error.value.code == "INVALID_BET"


def test_stake_that_is_not_the_sum_of_the_bets_is_refused() -> None:
    with pytest.raises(StakeError) as error:
        Roulette().validate(30, {"bets": [_bet("red", 10), _bet("black", 10)]})
    assert error.value.code == "INVALID_STAKE"


def test_start_refuses_what_validate_refuses() -> None:
    with pytest.raises(StakeError):
        Roulette().start(10, ScriptedGenerator([0]), {"bets": [_bet("straight", numbers=[40])]})


def test_table_limits_apply_to_the_total_of_the_bets() -> None:
    with pytest.raises(StakeError) as error:
        Roulette().validate(5, {"bets": [_bet("red", 5)]})
    assert error.value.code == "STAKE_BELOW_MIN"


def test_state_round_trips_through_plain_data() -> None:
    game = Roulette()
    bets = [_bet("corner", 10, numbers=[20, 17, 21, 18]), _bet("column", 5, index=3)]
    state = game.start(15, ScriptedGenerator([21]), {"bets": bets})
    data = json.loads(json.dumps(game.state_to_data(state)))
    assert game.state_from_data(data) == state
    with pytest.raises(ValueError):
        game.state_from_data({**data, "pocket": 37})
