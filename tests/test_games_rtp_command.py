"""The `run.py rtp` command: the PAR table, the restriction to one game, the simulation check."""

from __future__ import annotations

import pytest

import rng
from games import rtp
from tests.test_games_generators import StreamGenerator


def test_table_lists_every_game_and_succeeds(capsys: pytest.CaptureFixture[str]) -> None:
    assert rtp.main([]) == 0
    out = capsys.readouterr().out
    for game_id in rtp.SHEETS:
        assert game_id in out
    assert "36/37" in out and "13199/13824" in out


def test_game_option_restricts_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert rtp.main(["--game", "punto-banco"]) == 0
    out = capsys.readouterr().out
    assert "punto-banco" in out and "blackjack" not in out
    assert "1.0579" in out and "1.2351" in out and "14.3596" in out


def test_simulation_prints_the_interval_and_whether_it_holds_the_exact_value(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rng, "SystemGenerator", lambda: StreamGenerator(b"rtp command"))
    assert rtp.main(["--game", "european-roulette", "--simulate", "500"]) == 0
    out = capsys.readouterr().out
    assert "every bet type" in out and "observed" in out and " ok " in out


def test_simulation_of_one_round_is_refused() -> None:
    with pytest.raises(SystemExit):
        rtp.main(["--simulate", "1"])


def test_video_slot_max_win_counts_free_spins_and_says_how_it_is_bounded(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert rtp.main(["--game", "crown-jewels"]) == 0
    out = capsys.readouterr().out
    assert "35065.50  enumeration + free spins solved (max: base + 80 free spins)" in out
    assert "a round with F free spins pays at most 145.5 + 436.5·F x" in out
    assert "Retriggers are unbounded" in out and "more than 80 free spins" in out
