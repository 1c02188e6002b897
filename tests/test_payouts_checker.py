"""The independent payout checker (tests/support/payouts.py) agrees with the games' own code
on every game over many proofs, so when it disagrees with the server, the server is wrong.

Also: the checker imports nothing of the server, the games or rng (its independence is the
point), and its draws match the worked example of docs/players/provably-fair.md.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from games import catalogue
from games.base import Game
from rng.fair import FairGenerator
from tests.support import payouts
from tests.support.source import parse as source_parse

SEED = bytes(range(32))
GAMES = ("classic-sevens", "crown-jewels", "european-roulette", "punto-banco", "blackjack")
BETS = [
    {"type": "straight", "numbers": [17], "amount": 10},
    {"type": "split", "numbers": [0, 2], "amount": 10},
    {"type": "street", "numbers": [4, 5, 6], "amount": 10},
    {"type": "trio", "numbers": [0, 1, 2], "amount": 10},
    {"type": "corner", "numbers": [1, 2, 4, 5], "amount": 10},
    {"type": "first_four", "numbers": [0, 1, 2, 3], "amount": 10},
    {"type": "six_line", "numbers": [31, 32, 33, 34, 35, 36], "amount": 10},
    {"type": "dozen", "index": 3, "amount": 10},
    {"type": "column", "index": 2, "amount": 10},
    *({"type": kind, "amount": 10} for kind in ("red", "black", "odd", "even", "low", "high")),
]
INPUTS: dict[str, dict[str, Any]] = {
    "classic-sevens": {"stake": 100},
    "crown-jewels": {"stake": 100},
    "european-roulette": {"stake": 150, "options": {"bets": BETS}},
    "punto-banco": {"stake": 100, "options": {"bet": "banker"}},
}


def game_of(game_id: str) -> Game:
    game = catalogue.get(game_id)
    assert game is not None
    return game


def played_blackjack(client_seed: str, nonce: int, pick: int) -> tuple[dict[str, Any], int]:
    """A blackjack round played to the end with legal actions chosen by `pick`: its inputs
    and what the game's own code pays."""
    game, rng = game_of("blackjack"), FairGenerator(SEED, client_seed, nonce)
    state = game.start(100, rng)
    actions: list[str] = []
    while not game.is_finished(state):
        legal = game.legal_actions(state)
        action = legal[(pick + len(actions)) % len(legal)]
        actions.append(action)
        state = game.act(state, action, rng)
    return {"stake": 100, "actions": actions}, game.payout(state)


@settings(max_examples=300, deadline=None)
@given(
    game_id=st.sampled_from(GAMES),
    client_seed=st.text("abcdefghij0123456789", min_size=1, max_size=12),
    nonce=st.integers(0, 10**6),
    pick=st.integers(0, 7),
)
def test_the_checker_pays_what_the_games_pay(
    game_id: str, client_seed: str, nonce: int, pick: int
) -> None:
    if game_id == "blackjack":
        inputs, paid = played_blackjack(client_seed, nonce, pick)
    else:
        inputs = INPUTS[game_id]
        game = game_of(game_id)
        state = game.start(inputs["stake"], FairGenerator(SEED, client_seed, nonce),
                           inputs.get("options"))  # fmt: skip
        paid = game.payout(state)
    assert payouts.expected_payout(game_id, inputs, SEED, client_seed, nonce) == paid


def test_the_checker_draws_the_documented_stream() -> None:
    """The first Classic Sevens stops of a proof are the games' own draws of it."""
    stream = payouts.Stream(SEED, "doc", 7)
    rng = FairGenerator(SEED, "doc", 7)
    assert [stream.below(24) for _ in range(3)] == [rng.randbelow(24) for _ in range(3)]


def test_the_checker_imports_nothing_of_the_server_the_games_or_rng() -> None:
    tree = source_parse(Path(payouts.__file__).read_text())
    imported = {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    ours = {name for name in imported if name.split(".")[0] in {"server", "games", "rng"}}
    assert ours == set()
