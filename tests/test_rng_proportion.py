"""NIST's second-level checks over many sequences (SP 800-22 section 4.2)."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

import pytest

from rng.battery.proportion import (
    acceptance_interval,
    false_alarm_rate,
    second_level,
    uniformity_p_value,
)


def test_acceptance_interval_for_1000_sequences() -> None:
    low, high = acceptance_interval(1000)
    assert (round(low, 6), round(high, 6)) == (0.980561, 0.999439)


def test_acceptance_interval_for_100_sequences_is_nists_0_96_example() -> None:
    # Section 4.2.1: for m = 100 the range is 0.99 ± 0.0298 (0.9602 .. 1.0198).
    low, high = acceptance_interval(100)
    assert (round(low, 4), round(high, 4)) == (0.9602, 1.0198)


def test_96_of_100_passing_is_outside_the_interval() -> None:
    p_values = [0.5] * 96 + [0.001] * 4
    assert not second_level("t", p_values).proportion_ok


def test_97_of_100_passing_is_inside_the_interval() -> None:
    p_values = [0.5] * 97 + [0.001] * 3
    assert second_level("t", p_values).proportion_ok


def test_evenly_spread_p_values_are_perfectly_uniform() -> None:
    p_values = [(i + 0.5) / 100 for i in range(100)]
    assert uniformity_p_value(p_values) == 1.0


def test_p_values_in_one_bin_are_not_uniform() -> None:
    assert uniformity_p_value([0.55] * 100) < 1e-100


def test_a_p_value_of_one_falls_in_the_top_bin() -> None:
    assert uniformity_p_value([1.0] * 10 + [(i + 0.5) / 10 for i in range(9)] * 10) == 1.0


def test_uniformity_is_not_judged_below_55_sequences() -> None:
    result = second_level("t", [0.55] * 54)
    assert result.uniformity_p_value is None
    assert result.passed


def test_uniformity_below_0_0001_fails_the_test() -> None:
    result = second_level("t", [0.55] * 100)
    assert result.proportion_ok
    assert not result.passed


def exact_tail(sequences: int, rejected: Callable[[int], bool]) -> float:
    """P(a perfect generator's failure count is rejected), in exact rational arithmetic."""
    total = sum(
        math.comb(sequences, f) * 99 ** (sequences - f) for f in range(sequences + 1) if rejected(f)
    )
    return float(Fraction(total, 100**sequences))


def test_false_alarm_rate_for_100_sequences_is_four_or_more_failures() -> None:
    assert false_alarm_rate(100) == pytest.approx(exact_tail(100, lambda f: f >= 4), rel=1e-12)


def test_false_alarm_rate_for_1000_sequences_counts_both_ends() -> None:
    # Below 980.56 passes, or all 1000 (1.0 is above the upper bound 0.999439).
    expected = exact_tail(1000, lambda f: f >= 20 or f == 0)
    assert false_alarm_rate(1000) == pytest.approx(expected, rel=1e-10)
