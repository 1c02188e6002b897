"""The incomplete gamma functions behind every P-value, against closed forms."""

from __future__ import annotations

import math

import pytest

from rng.battery.special import (
    chi_square_p_value,
    igam,
    igamc,
    normal_cdf,
    two_sided_normal_p_value,
)


def poisson_below(a: int, x: float) -> float:
    """Q(a, x) for whole a is P(Poisson(x) < a): an independent closed form."""
    return math.fsum(math.exp(-x + i * math.log(x) - math.lgamma(i + 1)) for i in range(a))


@pytest.mark.parametrize("x", [0.25, 1.5, 3.0, 40.0])
def test_igamc_of_one_is_the_exponential_tail(x: float) -> None:
    assert igamc(1.0, x) == pytest.approx(math.exp(-x), rel=1e-13)


@pytest.mark.parametrize("x", [0.01, 0.7, 2.0, 9.0])
def test_igamc_of_one_half_is_erfc_of_the_root(x: float) -> None:
    assert igamc(0.5, x) == pytest.approx(math.erfc(math.sqrt(x)), rel=1e-12)


@pytest.mark.parametrize(("a", "x"), [(5, 2.0), (5, 7.5), (36, 30.0), (36, 58.6), (128, 140.0)])
def test_igamc_matches_the_poisson_sum_for_whole_a(a: int, x: float) -> None:
    assert igamc(a, x) == pytest.approx(poisson_below(a, x), rel=1e-11)


@pytest.mark.parametrize("x", [16000.0, 16384.0, 16600.0])
def test_igamc_converges_for_the_serial_tests_large_a(x: float) -> None:
    # a = 2**14 is the serial test's degrees of freedom / 2 at m = 16.
    assert igamc(16384, x) == pytest.approx(poisson_below(16384, x), rel=1e-9)


def test_igam_and_igamc_sum_to_one() -> None:
    assert igam(3.5, 2.25) + igamc(3.5, 2.25) == pytest.approx(1.0, abs=1e-15)


def test_igamc_at_zero_is_one() -> None:
    assert igamc(4.0, 0.0) == 1.0


def test_igamc_refuses_a_non_positive_shape() -> None:
    with pytest.raises(ValueError, match="a > 0"):
        igamc(0.0, 1.0)


def test_igamc_refuses_a_negative_argument() -> None:
    with pytest.raises(ValueError, match="x >= 0"):
        igamc(1.0, -0.5)


def test_chi_square_critical_values_give_alpha() -> None:
    # Upper 1 % points for 1, 2 (exactly 2 ln 100) and 10 degrees of freedom.
    assert chi_square_p_value(6.634896601021214, 1) == pytest.approx(0.01, rel=1e-9)
    assert chi_square_p_value(2 * math.log(100), 2) == pytest.approx(0.01, rel=1e-14)
    assert chi_square_p_value(23.209251158954356, 10) == pytest.approx(0.01, rel=1e-9)


def test_normal_cdf_is_one_half_at_zero_and_0_975_at_1_96() -> None:
    assert normal_cdf(0.0) == 0.5
    assert normal_cdf(1.959963984540054) == pytest.approx(0.975, rel=1e-14)


def test_two_sided_normal_p_value_is_0_05_at_1_96() -> None:
    assert two_sided_normal_p_value(-1.959963984540054) == pytest.approx(0.05, rel=1e-13)
