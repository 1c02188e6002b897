"""Every catalogued game keeps the round protocol the server drives (see games/base.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from games import catalogue
from games.base import ACTION_ERROR_CODES, STAKE_ERROR_CODES, ActionError, Game, StakeError
from games.blackjack_strategy import choose
from games.rtp import ROULETTE_SPREAD
from tests.test_games_generators import StreamGenerator

OPTIONS: dict[str, dict[str, Any] | None] = {
    "classic-sevens": None,
    "crown-jewels": None,
    "european-roulette": ROULETTE_SPREAD,
    "blackjack": None,
    "punto-banco": {"bet": "banker"},
}


def _stake(game: Game) -> int:
    if game.info.id == "european-roulette":
        return sum(bet["amount"] for bet in ROULETTE_SPREAD["bets"])
    return game.info.min_stake


def test_catalogue_holds_the_five_games() -> None:
    assert sorted(catalogue.GAMES) == sorted(OPTIONS)
    for game_id, game in catalogue.GAMES.items():
        info = game.info
        assert info.id == game_id and info.kind in ("slot", "table")
        assert info.min_stake % info.stake_step == 0 and info.min_stake <= info.max_stake


@pytest.mark.parametrize("game_id", sorted(OPTIONS))
def test_stake_limits_are_refused_with_stable_codes(game_id: str) -> None:
    game = catalogue.GAMES[game_id]
    codes = []
    for stake in (0, True, game.info.max_stake + game.info.stake_step):
        with pytest.raises(StakeError) as error:
            game.validate(stake, OPTIONS[game_id])
        codes.append(error.value.code)
    assert codes == ["INVALID_STAKE", "INVALID_STAKE", "STAKE_ABOVE_MAX"]
    assert set(codes) <= set(STAKE_ERROR_CODES)


@pytest.mark.parametrize("game_id", sorted(OPTIONS))
def test_rounds_play_to_settlement_and_round_trip_through_json(game_id: str) -> None:
    game = catalogue.GAMES[game_id]
    rng = StreamGenerator(game_id.encode())
    for _ in range(30):
        state = game.start(_stake(game), rng, OPTIONS[game_id])
        while not game.is_finished(state):
            stored = json.loads(json.dumps(game.state_to_data(state)))
            assert game.describe(game.state_from_data(stored)) == game.describe(state)
            action = choose(state)
            assert action in game.legal_actions(state)
            state = game.act(state, action, rng)
        assert game.legal_actions(state) == [] and game.default_action(state) is None
        assert game.payout(state) >= 0 and game.total_stake(state) >= _stake(game)
        json.dumps(game.describe(state))
        stored = json.loads(json.dumps(game.state_to_data(state)))
        again = game.state_from_data(stored)
        assert game.payout(again) == game.payout(state)
        assert game.describe(again) == game.describe(state)


@pytest.mark.parametrize("game_id", ["classic-sevens", "crown-jewels", "european-roulette"])
def test_single_step_games_refuse_every_action(game_id: str) -> None:
    game = catalogue.GAMES[game_id]
    state = game.start(_stake(game), StreamGenerator(b"x"), OPTIONS[game_id])
    for call in (lambda: game.act(state, "hit", StreamGenerator(b"y")),
                 lambda: game.extra_stake(state, "hit")):  # fmt: skip
        with pytest.raises(ActionError) as error:
            call()
        assert error.value.code in ACTION_ERROR_CODES


@pytest.mark.parametrize("game_id", sorted(OPTIONS))
def test_state_from_data_refuses_garbage(game_id: str) -> None:
    game = catalogue.GAMES[game_id]
    for data in ({}, {"stake": -1}, {"stake": "100"}):
        with pytest.raises(ValueError):
            game.state_from_data(data)


def test_stated_rtps_match_the_computed_ones() -> None:
    from games import rtp

    assert rtp.stated_mismatches({g: rtp.SHEETS[g]() for g in rtp.SHEETS}) == []
