"""Known answers for whole slot rounds: a (server seed, client seed, nonce) gives one outcome.

The values were taken from the straightforward implementation before the spin
path was made table-driven; a faster path must hand players exactly the same
payouts and outcome dicts, or every proof they hold stops verifying.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from games import classic_slot, video_slot
from games.base import Game
from games.round import Round, Settle
from rng.fair import FairGenerator

SEED = bytes(range(32))
CLIENT = "player-chosen seed"


def settle(game: Game, stake: int, nonce: int) -> tuple[Settle, int]:
    """A round played as the server plays one: the settle command and the HMAC blocks used."""
    round_ = Round("frozen", game, stake)
    round_.begin()
    stream = FairGenerator(SEED, CLIENT, nonce)
    command = round_.reserved(stream)
    assert isinstance(command, Settle)
    round_.settled()
    return command, stream.blocks_used


def digest(outcome: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(outcome, sort_keys=True).encode()).hexdigest()


def test_classic_sevens_nonce_0_is_a_frozen_losing_spin() -> None:
    command, blocks = settle(classic_slot.ClassicSlot(), 10, 0)
    assert (command.payout, blocks) == (0, 1)
    assert command.outcome == {
        "stops": [15, 20, 20],
        "grid": [["BELL", "LEMON", "-"], ["PLUM", "-", "LEMON"], ["BELL", "CHERRY", "PLUM"]],
        "wins": [],
    }


def test_classic_sevens_nonce_4_is_a_frozen_two_line_cherry_win() -> None:
    command, blocks = settle(classic_slot.ClassicSlot(), 10, 4)
    assert (command.payout, blocks) == (8, 1)
    assert command.outcome == {
        "stops": [17, 19, 15],
        "grid": [["-", "PLUM", "CHERRY"], ["CHERRY", "PLUM", "-"], ["PLUM", "-", "BAR"]],
        "wins": [
            {"line": 2, "symbol": "CHERRY", "count": 1, "multiplier": 2},
            {"line": 4, "symbol": "CHERRY", "count": 1, "multiplier": 2},
        ],
    }


def test_crown_jewels_nonce_13_is_a_frozen_base_spin_with_a_wild() -> None:
    command, blocks = settle(video_slot.VideoSlot(), 40, 13)
    assert (command.payout, blocks) == (96, 1)
    assert command.outcome == {
        "spins": [
            {
                "stops": [22, 9, 19, 22, 1],
                "grid": [
                    ["10", "J", "A"],
                    ["J", "WILD", "A"],
                    ["J", "K", "A"],
                    ["RUBY", "J", "Q"],
                    ["J", "10", "A"],
                ],
                "wins": [
                    {"line": 2, "symbol": "A", "count": 3, "multiplier": 10},
                    {"line": 7, "symbol": "J", "count": 3, "multiplier": 8},
                    {"line": 14, "symbol": "A", "count": 3, "multiplier": 10},
                    {"line": 15, "symbol": "J", "count": 4, "multiplier": 20},
                ],
                "scatters": 0,
                "scatter_multiplier": 0,
                "free_spins_awarded": 0,
            }
        ],
        "free_spin_multiplier": 3,
    }


def test_crown_jewels_nonce_613_is_a_frozen_free_spin_feature() -> None:
    command, blocks = settle(video_slot.VideoSlot(), 40, 613)
    assert (command.payout, blocks) == (1704, 2)
    assert [spin["stops"] for spin in command.outcome["spins"]] == [
        [9, 31, 3, 2, 2], [20, 14, 28, 23, 21], [20, 23, 13, 16, 4], [18, 17, 8, 12, 7],
        [20, 20, 11, 15, 14], [13, 4, 12, 29, 30], [11, 18, 26, 9, 17], [6, 11, 20, 18, 11],
        [18, 26, 1, 2, 10], [9, 0, 25, 17, 26], [13, 8, 11, 24, 29],
    ]  # fmt: skip
    # The whole dict (grids, wins, scatters of all 11 spins), canonical JSON hashed.
    assert digest(command.outcome) == (
        "6ab33db3539f5123e97ac4c8753d9052d1220dda2ffc4556ed7c06f50737d2e3"
    )
