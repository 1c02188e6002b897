"""The README stays true: it documents every error code, variable and command."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from games import cards
from games.baccarat import Baccarat
from games.blackjack import Blackjack
from games.classic_slot import ClassicSlot
from games.roulette import Roulette
from games.video_slot import VideoSlot
from protocol.close_codes import CloseCode
from protocol.errors import ErrorCode
from rng import fair
from rng.fair import FairGenerator
from rng.generator import Generator
from server.cli import build_parser
from server.config import VARIABLES

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_error_code_is_in_the_readme() -> None:
    assert [code for code in ErrorCode if f"| `{code}` |" not in README] == []


def test_every_close_code_is_in_the_readme() -> None:
    assert [code for code in CloseCode if f"| {int(code)} |" not in README] == []


def test_every_configuration_variable_is_in_the_readme() -> None:
    assert [name for name in VARIABLES if f"| `{name}` |" not in README] == []


def test_every_command_is_in_the_readme() -> None:
    subcommands = next(
        action
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    assert [c for c in subcommands.choices if f"`run.py {c}" not in README] == []


def test_ci_runs_the_readme_test_command() -> None:
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "python3 run.py test" in README
    assert ci.strip().endswith("exec python3 run.py test")


def test_the_readme_verification_snippet_verifies_a_real_spin() -> None:
    snippet = README.split("```python\n", 1)[1].split("```", 1)[0]
    server_seed = bytes(range(32))
    state = ClassicSlot().start(100, FairGenerator(server_seed, "my seed", 7))
    namespace = {
        "REVEALED_SERVER_SEED": server_seed.hex(),
        "SERVER_SEED_HASH": fair.seed_hash(server_seed),
        "CLIENT_SEED": "my seed",
        "NONCE": 7,
        "OUTCOME_STOPS": list(state.stops),
    }
    exec(snippet, namespace)  # raises AssertionError on a mismatch


def test_the_readme_verification_snippet_catches_a_wrong_outcome() -> None:
    snippet = README.split("```python\n", 1)[1].split("```", 1)[0]
    server_seed = bytes(range(32))
    state = ClassicSlot().start(100, FairGenerator(server_seed, "my seed", 7))
    wrong = [(stop + 1) % 24 for stop in state.stops]
    namespace = {
        "REVEALED_SERVER_SEED": server_seed.hex(),
        "SERVER_SEED_HASH": fair.seed_hash(server_seed),
        "CLIENT_SEED": "my seed",
        "NONCE": 7,
        "OUTCOME_STOPS": wrong,
    }
    with pytest.raises(AssertionError):
        exec(snippet, namespace)


def readme_mapping() -> dict[str, Any]:
    """Both README snippets run: the first checks a real spin, the second defines every game."""
    verification, mapping = (block.split("```", 1)[0] for block in README.split("```python\n")[1:3])
    server_seed = bytes(range(32))
    state = ClassicSlot().start(100, FairGenerator(server_seed, "my seed", 7))
    namespace: dict[str, Any] = {
        "REVEALED_SERVER_SEED": server_seed.hex(),
        "SERVER_SEED_HASH": fair.seed_hash(server_seed),
        "CLIENT_SEED": "my seed",
        "NONCE": 7,
        "OUTCOME_STOPS": list(state.stops),
    }
    exec(verification, namespace)
    exec(mapping, namespace)
    return namespace


SEED = bytes.fromhex("5e" * 32)


def rounds(count: int) -> list[tuple[Generator, Any]]:
    """(the real game's stream, the README's stream) for `count` rounds of one player."""
    readme = readme_mapping()
    return [
        (FairGenerator(SEED, "by hand", nonce), readme["stream"](SEED, "by hand", nonce))
        for nonce in range(count)
    ]


def test_the_readme_maps_a_stream_to_crown_jewels_stops_free_spins_included() -> None:
    readme = readme_mapping()
    featured = 0
    for game_stream, readme_stream in rounds(400):
        outcome = VideoSlot().describe(VideoSlot().start(20, game_stream))
        stops = [spin["stops"] for spin in outcome["spins"]]
        assert readme["crown_jewels_stops"](readme_stream) == stops
        featured += len(stops) > 1
    assert featured >= 1  # at least one round with free spins was checked


def test_the_readme_maps_a_stream_to_the_roulette_pocket() -> None:
    readme = readme_mapping()
    bets = {"bets": [{"type": "red", "amount": 10}]}
    for game_stream, readme_stream in rounds(50):
        pocket = Roulette().describe(Roulette().start(10, game_stream, bets))["pocket"]
        assert readme["roulette_pocket"](readme_stream) == pocket


def test_the_readme_maps_a_stream_to_the_blackjack_shoe_and_its_deal() -> None:
    readme = readme_mapping()
    for game_stream, readme_stream in rounds(10):
        state = Blackjack().start(100, game_stream)
        shoe = readme["blackjack_shoe"](readme_stream)
        assert shoe == [cards.name(c) for c in state.shoe]
        assert [cards.name(c) for c in state.hands[0].cards] == [shoe[0], shoe[2]]
        assert [cards.name(c) for c in state.dealer[:2]] == [shoe[1], shoe[3]]


def test_the_readme_maps_a_stream_to_the_baccarat_hands() -> None:
    readme = readme_mapping()
    for game_stream, readme_stream in rounds(200):
        outcome = Baccarat().describe(Baccarat().start(100, game_stream, {"bet": "tie"}))
        player, banker = readme["baccarat_hands"](readme_stream)
        assert (player, banker) == (outcome["player"], outcome["banker"])
