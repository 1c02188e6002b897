"""Slots: the line rules, the enumeration against sums done by hand, and the stated RTPs."""

from __future__ import annotations

from fractions import Fraction

import pytest

from games import classic_slot, reels_maths, video_slot
from games.base import StakeError
from games.reels import ReelSet, evaluate, line_pay, play_round, round_line_units
from games.simulation import simulate
from tests.test_games_generators import ScriptedGenerator, StreamGenerator

# Three one-row reels and one line: the 8 combinations can be listed by hand.
#   A A A -> 10   A A B -> 0   A W A -> 10 (wild for A)   A W B -> 0
#   B A A -> 0    B A B -> 0   B W A -> 0                 B W B -> 20 (wild for B)
TINY = ReelSet(
    reels=(("A", "B"), ("A", "W"), ("A", "B")),
    rows=1,
    paylines=((0, 0, 0),),
    pays={"A": {3: 10}, "B": {3: 20}, "W": {3: 50}},
    wild="W",
)

# With scatters and free spins. Per spin (8 combinations, one line so line stake = stake):
#   S S A, S S B -> scatter pays 1 and awards 2 free spins; A A A -> 4; the other five pay 0.
# E[Y] = 6/8, a = E[K] = 2 * 2/8 = 1/2, m = 2, so one free spin is worth
# f = m E[Y] / (1 - a) = 3 and a round returns E[Y] + a f = 3/4 + 3/2 = 9/4.
TINY_FEATURE = ReelSet(
    reels=(("S", "A"), ("S", "A"), ("A", "B")),
    rows=1,
    paylines=((0, 0, 0),),
    pays={"A": {3: 4}},
    scatter="S",
    scatter_pays={2: 1},
    free_spins={2: 2},
    free_spin_multiplier=2,
)


def test_tiny_reel_set_enumerates_to_the_hand_sum() -> None:
    stats = reels_maths.spin_stats(TINY)
    assert (stats.combinations, stats.total, stats.hits, stats.max_units) == (8, 40, 3, 20)
    assert stats.total_squares == 10**2 + 10**2 + 20**2
    assert reels_maths.round_moments(TINY).rtp == Fraction(40, 8)


def test_tiny_feature_reel_set_solves_free_spins_to_the_hand_value() -> None:
    moments = reels_maths.round_moments(TINY_FEATURE)
    assert moments.free_spin_value == 3
    assert moments.rtp == Fraction(9, 4)
    assert moments.hit_frequency == Fraction(3, 8)


def test_tiny_feature_simulation_agrees_with_the_solved_moments() -> None:
    rng = StreamGenerator(b"tiny feature")
    rounds = 20_000
    wins = [round_line_units(TINY_FEATURE, play_round(TINY_FEATURE, rng)) for _ in range(rounds)]
    mean = Fraction(sum(wins), rounds)
    variance = Fraction(sum(w * w for w in wins), rounds) - mean**2
    moments = reels_maths.round_moments(TINY_FEATURE)
    # sd is about 4.9, so the mean's standard error is about 0.035: allow four of them.
    assert abs(float(mean - moments.rtp)) < 0.14
    assert abs(float(variance / moments.variance) - 1) < 0.15


def test_dynamic_programme_matches_brute_force_on_a_small_real_shaped_reel_set() -> None:
    # Six-stop strips dense in wilds, scatters and two symbols, on the video slot's 20 lines
    # and paytable: 6**5 combinations, every kind of run, wild pay and scatter count.
    a, k, w, s = "A", "K", video_slot.WILD, video_slot.SCATTER
    small = ReelSet(
        reels=(
            (a, w, k, s, a, k),
            (k, a, w, a, s, k),
            (a, s, k, w, a, k),
            (w, a, k, a, s, k),
            (a, k, s, a, w, k),
        ),
        rows=3,
        paylines=video_slot.PAYLINES,
        pays=video_slot.PAYS,
        wild=w,
        scatter=s,
        scatter_pays=video_slot.REEL_SET.scatter_pays,
        free_spins=video_slot.REEL_SET.free_spins,
        free_spin_multiplier=3,
    )
    stats = reels_maths.spin_stats(small)
    assert stats == reels_maths.brute_force_stats(small)
    assert stats.max_units > 0 and len(stats.by_scatters) == 6


@pytest.mark.parametrize(
    ("symbols", "expected"),
    [
        (("A", "A", "A", "B", "A"), ("A", 3, 5)),
        (("W", "A", "W", "A", "B"), ("A", 4, 25)),
        (("W", "W", "W", "A", "B"), ("W", 3, 100)),  # the wilds' own pay beats A x4
        (("W", "W", "W", "W", "W"), ("W", 5, 2000)),
        (("W", "S", "A", "A", "A"), None),  # a scatter breaks the run
        (("S", "A", "A", "A", "A"), None),
        (("A", "A", "B", "A", "A"), None),
    ],
)
def test_line_pay_reads_the_longest_run_from_the_left_with_wilds(
    symbols: tuple[str, ...], expected: tuple[str, int, int] | None
) -> None:
    reel_set = ReelSet(
        reels=(),
        rows=1,
        paylines=(),
        pays={"A": {3: 5, 4: 25, 5: 100}, "W": {3: 100, 4: 500, 5: 2000}},
        wild="W",
        scatter="S",
    )
    assert line_pay(reel_set, symbols) == expected


def test_video_slot_stated_rtp_equals_enumeration_and_is_in_target() -> None:
    computed = reels_maths.round_moments(video_slot.REEL_SET).rtp
    assert video_slot.INFO.rtp == computed
    assert Fraction(94, 100) <= computed <= Fraction(97, 100)


def test_classic_slot_stated_rtp_equals_enumeration_and_is_in_target() -> None:
    assert classic_slot.INFO.rtp == classic_slot.exact_rtp() == Fraction(13199, 13824)
    assert Fraction(94, 100) <= classic_slot.INFO.rtp <= Fraction(97, 100)


def test_video_slot_has_twenty_distinct_lines_and_one_scatter_per_window() -> None:
    assert len(set(video_slot.PAYLINES)) == 20
    for reel in video_slot.REELS:
        assert reel.count(video_slot.SCATTER) == 1  # so a window never shows two


def test_video_slot_pays_line_wins_per_line_stake_and_scatter_per_total_stake() -> None:
    game = video_slot.VideoSlot()
    # Stops putting scatters on reels 1-3 at once (an award) are hard to find by hand: search.
    stops = next(
        s
        for s in ((a, b, c, 0, 0) for a in range(32) for b in range(32) for c in range(32))
        if evaluate(video_slot.REEL_SET, s).scatters == 3
    )
    base = evaluate(video_slot.REEL_SET, stops)
    assert base.scatter_multiplier == 2 and base.free_spins_awarded == 10
    # Ten free spins on stops that award nothing, scripted after the base spin.
    quiet = (0, 0, 0, 0, 0)
    assert evaluate(video_slot.REEL_SET, quiet).free_spins_awarded == 0
    script = [*stops, *(quiet * 10)]
    state = game.start(200, ScriptedGenerator(script))
    assert len(state.spins) == 11
    line_stake = 200 // 20
    quiet_units = evaluate(video_slot.REEL_SET, quiet).line_units(video_slot.REEL_SET)
    expected = line_stake * (base.line_units(video_slot.REEL_SET) + 3 * 10 * quiet_units)
    assert game.payout(state) == expected


def test_video_slot_simulation_agrees_with_enumeration() -> None:
    seen = simulate(video_slot.VideoSlot(), 4_000, StreamGenerator(b"video"), 20)
    assert seen.contains(float(video_slot.INFO.rtp))


def test_classic_slot_simulation_agrees_with_enumeration() -> None:
    seen = simulate(classic_slot.ClassicSlot(), 4_000, StreamGenerator(b"classic"), 5)
    assert seen.contains(float(classic_slot.INFO.rtp))


def test_slot_refuses_options_and_stakes_off_the_line_step() -> None:
    game = video_slot.VideoSlot()
    with pytest.raises(StakeError) as error:
        game.validate(30)
    assert error.value.code == "INVALID_STAKE"
    with pytest.raises(StakeError) as error:
        game.validate(20, {"lines": 10})
    assert error.value.code == "INVALID_BET"


def test_video_slot_state_rebuilds_from_data_and_refuses_a_cut_feature() -> None:
    game = video_slot.VideoSlot()
    rng = StreamGenerator(b"rebuild")
    state = next(s for s in (game.start(40, rng) for _ in range(2000)) if len(s.spins) > 1)
    data = game.state_to_data(state)
    again = game.state_from_data(data)
    assert game.describe(again) == game.describe(state)
    assert game.payout(again) == game.payout(state)
    with pytest.raises(ValueError):
        game.state_from_data({**data, "stops": data["stops"][:-1]})


def test_free_spin_counts_of_the_tiny_feature_are_the_hand_counts() -> None:
    # No trigger 3/4; a trigger (1/4) then two quiet free spins (3/4)**2; or one
    # retrigger in the first two free spins, either one, then two quiet ones.
    stats = reels_maths.spin_stats(TINY_FEATURE)
    counts = reels_maths.free_spin_count_distribution(TINY_FEATURE, stats, 4)
    assert counts == pytest.approx([3 / 4, 0, 9 / 64, 0, 27 / 512], abs=1e-15)


def test_free_spins_per_round_average_a_over_one_minus_a() -> None:
    # Each spin awards a = E[K] spins on average, so a round plays a + a**2 + ... = a / (1 - a).
    stats = reels_maths.spin_stats(video_slot.REEL_SET)
    n = stats.combinations
    a = sum(10 * c for k, (c, _) in stats.by_scatters.items() if k >= 3) / n
    counts = reels_maths.free_spin_count_distribution(video_slot.REEL_SET, stats, 400)
    assert sum(counts) == pytest.approx(1.0, abs=1e-12)
    assert sum(f * p for f, p in enumerate(counts)) == pytest.approx(a / (1 - a), rel=1e-9)


def test_video_slot_max_win_is_bounded_by_the_free_spins_a_round_rarely_exceeds() -> None:
    stats = reels_maths.spin_stats(video_slot.REEL_SET)
    bound = reels_maths.max_win(video_slot.REEL_SET, stats)
    assert (bound.base_spin, bound.free_spin) == (Fraction(291, 2), Fraction(873, 2))
    assert bound.free_spin == bound.base_spin * video_slot.REEL_SET.free_spin_multiplier
    assert bound.free_spins == 80 and bound.bound == Fraction(291, 2) + 80 * Fraction(873, 2)
    counts = reels_maths.free_spin_count_distribution(video_slot.REEL_SET, stats, 80)
    assert bound.beyond == pytest.approx(1 - sum(counts), abs=1e-15)
    # 80 is the smallest such count: more than 70 free spins is still likelier than 1e-9.
    assert bound.beyond < 1e-9 < 1 - sum(counts[:71])


def test_a_slot_without_free_spins_is_bounded_by_its_base_spin() -> None:
    bound = reels_maths.max_win(TINY)
    assert (bound.base_spin, bound.free_spins, bound.bound) == (Fraction(20), 0, Fraction(20))
