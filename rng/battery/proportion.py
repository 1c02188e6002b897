"""NIST's second-level checks over many sequences (SP 800-22 rev. 1a, section 4.2).

One test run on m sequences gives m P-values. Two things must then hold:
the proportion of sequences that pass lies within p̂ ± 3·sqrt(p̂(1-p̂)/m)
with p̂ = 1 - α (4.2.1), and the P-values are uniform over [0, 1]: a
chi-square over ten equal bins whose own P-value must be at least 0.0001
(4.2.2, judged only from 55 sequences up, as NIST advises).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rng.battery.result import ALPHA
from rng.battery.special import chi_square_p_value

UNIFORMITY_THRESHOLD = 0.0001
MIN_SEQUENCES_FOR_UNIFORMITY = 55
_BINS = 10


@dataclass(frozen=True, slots=True)
class SecondLevelResult:
    """One test over m sequences: how many passed, the acceptance interval, uniformity."""

    name: str
    sequences: int
    passed_sequences: int
    low: float
    high: float
    uniformity_p_value: float | None  # None: too few sequences to judge

    @property
    def proportion(self) -> float:
        return self.passed_sequences / self.sequences

    @property
    def proportion_ok(self) -> bool:
        return self.low <= self.proportion <= self.high

    @property
    def uniformity_ok(self) -> bool:
        return self.uniformity_p_value is None or self.uniformity_p_value >= UNIFORMITY_THRESHOLD

    @property
    def passed(self) -> bool:
        return self.proportion_ok and self.uniformity_ok

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "sequences": self.sequences,
            "passed_sequences": self.passed_sequences,
            "proportion": self.proportion,
            "interval": [self.low, self.high],
            "uniformity_p_value": self.uniformity_p_value,
            "passed": self.passed,
        }


def acceptance_interval(sequences: int, alpha: float = ALPHA) -> tuple[float, float]:
    """NIST's interval for the proportion of m sequences passing at level alpha."""
    if sequences <= 0:
        raise ValueError("at least one sequence is needed")
    p_hat = 1.0 - alpha
    half_width = 3.0 * math.sqrt(p_hat * (1.0 - p_hat) / sequences)
    return p_hat - half_width, p_hat + half_width


def uniformity_p_value(p_values: Sequence[float]) -> float:
    """NIST 4.2.2: chi-square of the P-values over ten bins [0, 0.1), ..., [0.9, 1]."""
    counts = [0] * _BINS
    for p in p_values:
        counts[min(int(p * _BINS), _BINS - 1)] += 1
    expected = len(p_values) / _BINS
    statistic = sum((c - expected) ** 2 / expected for c in counts)
    return chi_square_p_value(statistic, _BINS - 1)


def second_level(name: str, p_values: Sequence[float], alpha: float = ALPHA) -> SecondLevelResult:
    """Both second-level checks for one test's P-values over m sequences."""
    m = len(p_values)
    low, high = acceptance_interval(m, alpha)
    uniformity = uniformity_p_value(p_values) if m >= MIN_SEQUENCES_FOR_UNIFORMITY else None
    passed = sum(1 for p in p_values if p >= alpha)
    return SecondLevelResult(name, m, passed, low, high, uniformity)


def false_alarm_rate(sequences: int, alpha: float = ALPHA) -> float:
    """Chance that a perfect generator lands outside the interval (exact binomial tail).

    The 3-sigma interval is a normal approximation; the report states the exact
    rate so nobody mistakes a rare honest failure for a broken generator.
    """
    low, high = acceptance_interval(sequences, alpha)
    p = 1.0 - alpha
    outside = 0.0
    for passed in range(sequences + 1):
        if not low <= passed / sequences <= high:
            outside += math.exp(_log_binomial_pmf(sequences, passed, p))
    return outside


def _log_binomial_pmf(n: int, k: int, p: float) -> float:
    # In logs: the binomial coefficients of thousands of sequences overflow a float.
    log_coefficient = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
    return log_coefficient + k * math.log(p) + (n - k) * math.log1p(-p)
