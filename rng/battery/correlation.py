"""Serial correlation: does each value predict the next one?

The coefficient is the one `ent` prints (Knuth, TAOCP vol. 2, 3.3.2 K):
the correlation of x[i] with x[i+1], wrapping the last value round to the
first. Under independence it is close to normal with mean -1/(n-1) and
standard deviation sqrt(n(n-3)/(n+1)) / (n-1), which gives the P-value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from operator import mul

from rng.battery.result import TestResult
from rng.battery.special import two_sided_normal_p_value


def serial_correlation(values: Sequence[int], *, name: str = "serial-correlation") -> TestResult:
    """The circular lag-1 correlation coefficient of `values` and its two-sided P-value."""
    n = len(values)
    if n < 4:
        raise ValueError("serial correlation needs at least 4 values")
    total = sum(values)
    squares = sum(map(mul, values, values))
    products = sum(map(mul, values[:-1], values[1:])) + values[-1] * values[0]
    denominator = n * squares - total * total
    if denominator == 0:
        # A constant sequence has no defined correlation and is certainly not random.
        return TestResult(name, math.nan, 0.0)
    r = (n * products - total * total) / denominator
    return TestResult(name, r, serial_correlation_p_value(r, n))


def serial_correlation_p_value(r: float, n: int) -> float:
    """Two-sided P-value of a coefficient `r` over `n` values (also used for ent's figure)."""
    if n < 4:
        raise ValueError("serial correlation needs at least 4 values")
    mean = -1.0 / (n - 1)
    deviation = math.sqrt(n * (n - 3) / (n + 1)) / (n - 1)
    return two_sided_normal_p_value((r - mean) / deviation)
