"""The reel-slot `SpinTable` against the reference `evaluate`, which checks every line.

The table decides from the first reels' stops which lines can still pay; every
such prefix of Crown Jewels is checked, each with the last two stops drawn
from a fixed stream, and the small test reel sets are checked exhaustively.
"""

from __future__ import annotations

from itertools import product

from games import video_slot
from games.reels import LineWin, ReelSet, SpinTable, evaluate, play_round
from tests.test_games_generators import StreamGenerator
from tests.test_games_slots import TINY, TINY_FEATURE


def test_crown_jewels_table_equals_evaluate_for_every_three_reel_prefix() -> None:
    table, reels = video_slot.SPIN_TABLE, video_slot.REELS
    assert table.shortest == 3
    rest = StreamGenerator(b"spin table")
    prefixes = product(*(range(len(reel)) for reel in reels[:3]))
    checked = 0
    for prefix in prefixes:
        stops = (*prefix, rest.randbelow(len(reels[3])), rest.randbelow(len(reels[4])))
        assert table.spin(stops) == evaluate(video_slot.REEL_SET, stops)
        checked += 1
    assert checked == 32**3


def test_small_reel_set_tables_equal_evaluate_for_every_stop_combination() -> None:
    for reel_set in (TINY, TINY_FEATURE):
        table = SpinTable(reel_set)
        for stops in product(*(range(len(reel)) for reel in reel_set.reels)):
            assert table.spin(stops) == evaluate(reel_set, stops)


def test_a_pay_for_a_run_of_one_makes_every_line_a_candidate() -> None:
    single = ReelSet(reels=(("A", "B"), ("B", "A")), rows=1, paylines=((0, 0),), pays={"A": {1: 3}})
    table = SpinTable(single)
    assert table.shortest == 1
    assert table.spin((0, 0)).wins == (LineWin(0, "A", 1, 3),) == evaluate(single, (0, 0)).wins
    assert table.spin((1, 0)).wins == () == evaluate(single, (1, 0)).wins


def test_a_round_played_through_the_table_equals_one_played_through_evaluate() -> None:
    for seed in (b"round 1", b"round 2", b"round 3"):
        tabled = play_round(video_slot.REEL_SET, StreamGenerator(seed), video_slot.SPIN_TABLE)
        assert tabled == play_round(video_slot.REEL_SET, StreamGenerator(seed))
