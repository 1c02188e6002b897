"""Chi-square goodness of fit over histograms of draws."""

from __future__ import annotations

import hashlib
import math

import pytest

from rng.battery.chi_square import chi_square, histogram


def test_histogram_counts_every_value_of_the_range() -> None:
    assert histogram([0, 2, 2, 3, 0, 2], 4) == [2, 0, 3, 1]


def test_histogram_refuses_values_outside_the_range() -> None:
    with pytest.raises(ValueError, match=r"outside 0\.\.3"):
        histogram([0, 4], 4)


def test_uniform_fit_gives_pearsons_statistic_and_its_tail() -> None:
    result = chi_square([10, 20, 30])
    assert result.statistic == pytest.approx(10.0)
    assert result.p_value == pytest.approx(math.exp(-5.0), rel=1e-13)  # 2 df: exp(-x/2)
    assert not result.passed


def test_weighted_fit_uses_the_weights_as_expected_proportions() -> None:
    result = chi_square([10, 30], [1, 3])
    assert (result.statistic, result.p_value) == (0.0, 1.0)


def test_a_bin_of_weight_zero_is_left_out_of_the_degrees_of_freedom() -> None:
    result = chi_square([5, 0, 15], [1, 0, 1])
    assert result.statistic == pytest.approx(5.0)
    assert result.p_value == pytest.approx(math.erfc(math.sqrt(2.5)), rel=1e-12)


def test_a_hit_on_a_weight_zero_bin_is_impossible() -> None:
    assert chi_square([5, 1, 15], [1, 0, 1]).p_value == 0.0


def test_too_few_expected_per_bin_is_refused() -> None:
    with pytest.raises(ValueError, match="below 5"):
        chi_square([3, 4, 2])


def test_byte_chi_square_reproduces_ent() -> None:
    # `ent -t` on these 100,000 bytes prints Chi-square 257.863680; `ent` says
    # "would exceed this value 43.81 percent of the times".
    data = bytearray()
    digest = b"ent known answer"
    while len(data) < 100_000:
        digest = hashlib.sha256(digest).digest()
        data += digest
    result = chi_square(histogram(bytes(data[:100_000]), 256))
    assert round(result.statistic, 6) == 257.863680
    assert round(result.p_value * 100, 2) == 43.81
