"""Special functions behind the P-values: incomplete gamma and the normal tails.

The battery must not depend on SciPy, so the regularized incomplete gamma
functions are implemented here as in Numerical Recipes (series for x < a + 1,
Lentz's continued fraction beyond), with no iteration cap small enough to cut
the large-`a` cases short (the serial test reaches a = 2**14). `erfc` comes
from the C library through `math`, which is already accurate to the last bit.
"""

from __future__ import annotations

import math
import sys

_EPS = sys.float_info.epsilon
_TINY = 1e-300
_MAX_ITERATIONS = 1_000_000


def igamc(a: float, x: float) -> float:
    """The regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a).

    For a chi-square statistic `s` with `df` degrees of freedom the upper-tail
    P-value is `igamc(df / 2, s / 2)`.
    """
    _check(a, x)
    if x == 0.0:
        return 1.0
    if x < a + 1.0:
        return 1.0 - _lower_series(a, x)
    return _upper_continued_fraction(a, x)


def igam(a: float, x: float) -> float:
    """The regularized lower incomplete gamma function P(a, x) = 1 - Q(a, x)."""
    _check(a, x)
    if x == 0.0:
        return 0.0
    if x < a + 1.0:
        return _lower_series(a, x)
    return 1.0 - _upper_continued_fraction(a, x)


def chi_square_p_value(statistic: float, degrees_of_freedom: int) -> float:
    """P(X >= statistic) for X chi-square distributed with the given degrees of freedom."""
    if degrees_of_freedom <= 0:
        raise ValueError("degrees of freedom must be positive")
    return igamc(degrees_of_freedom / 2.0, max(statistic, 0.0) / 2.0)


def normal_cdf(z: float) -> float:
    """Φ(z), the standard normal distribution function (via erfc to keep the tails exact)."""
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def two_sided_normal_p_value(z: float) -> float:
    """P(|Z| >= |z|) for a standard normal Z."""
    return math.erfc(abs(z) / math.sqrt(2.0))


def _check(a: float, x: float) -> None:
    if a <= 0.0:
        raise ValueError("igamc needs a > 0")
    if x < 0.0 or math.isnan(x):
        raise ValueError("igamc needs x >= 0")


def _prefactor(a: float, x: float) -> float:
    # exp(-x) x**a / Γ(a), in logs so that large a and x do not overflow.
    return math.exp(-x + a * math.log(x) - math.lgamma(a))


def _lower_series(a: float, x: float) -> float:
    term = total = 1.0 / a
    denominator = a
    for _ in range(_MAX_ITERATIONS):
        denominator += 1.0
        term *= x / denominator
        total += term
        if abs(term) <= abs(total) * _EPS:
            return total * _prefactor(a, x)
    raise ArithmeticError(f"igamc series did not converge for a={a}, x={x}")


def _upper_continued_fraction(a: float, x: float) -> float:
    # Modified Lentz evaluation of the continued fraction for Γ(a, x).
    b = x + 1.0 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    for i in range(1, _MAX_ITERATIONS):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        if abs(d) < _TINY:
            d = _TINY
        c = b + an / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1.0 / d
        step = d * c
        h *= step
        if abs(step - 1.0) <= _EPS:
            return h * _prefactor(a, x)
    raise ArithmeticError(f"igamc continued fraction did not converge for a={a}, x={x}")
