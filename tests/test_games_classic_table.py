"""Classic Sevens' table-driven spin against the reference evaluation, for every stop combination.

`window` and `evaluate` are the specification (and what `exact_rtp` enumerates);
`spin` reads a table built at import. The two must agree on all 24**3 stops.
"""

from __future__ import annotations

from itertools import product

from games import classic_slot
from games.classic_slot import ClassicSlot, evaluate, spin, window

STAKE = 25  # line stake 5, so a payout shows the multiplier times five


def test_table_spin_equals_the_reference_evaluation_for_every_stop_combination() -> None:
    combinations = 0
    for stops in product(*(range(len(reel)) for reel in classic_slot.REELS)):
        state = spin(STAKE, stops)
        grid = window(stops)
        wins, multiplier = evaluate(grid)
        assert (state.stake, state.stops, state.grid) == (STAKE, stops, grid)
        assert (state.wins, state.payout) == (wins, 5 * multiplier)
        combinations += 1
    assert combinations == 13_824


def test_described_outcomes_are_fresh_objects_even_where_the_table_shares_its_parts() -> None:
    game = ClassicSlot()
    stops = (1, 3, 5)  # three cherries on the middle line
    first = game.describe(spin(STAKE, stops))
    assert first["wins"] == [{"line": 0, "symbol": "CHERRY", "count": 3, "multiplier": 50}]
    first["grid"][0][0] = "changed"
    first["wins"][0]["multiplier"] = 0
    first["stops"].append(99)
    again = game.describe(spin(STAKE, stops))
    assert again == {
        "stops": [1, 3, 5],
        "grid": [["-", "CHERRY", "LEMON"], ["PLUM", "CHERRY", "BAR"], ["-", "CHERRY", "BAR"]],
        "wins": [{"line": 0, "symbol": "CHERRY", "count": 3, "multiplier": 50}],
    }


def test_a_losing_spin_describes_a_fresh_empty_win_list() -> None:
    game = ClassicSlot()
    first = game.describe(spin(STAKE, (3, 0, 0)))
    assert first["wins"] == []
    first["wins"].append("changed")
    assert game.describe(spin(STAKE, (3, 0, 0)))["wins"] == []
