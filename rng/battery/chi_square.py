"""Chi-square goodness of fit: do draws over a range land as often as they should?

Used on every scaled range the games draw from (roulette numbers, cards,
weighted reel stops) and on raw bytes. Expected counts come from integer
weights, so a weighted reel strip is tested against its own weights, not
against uniformity. The P-value is the upper tail of the chi-square
distribution, through `igamc` in `rng.battery.special`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from rng.battery.result import TestResult
from rng.battery.special import chi_square_p_value

# Below this expected count per bin the chi-square approximation misleads.
MIN_EXPECTED = 5.0


def histogram(values: Iterable[int], bins: int) -> list[int]:
    """How often each of 0 .. bins-1 occurs in `values`; anything else is an error."""
    counted = Counter(values)
    if any(not (isinstance(v, int) and 0 <= v < bins) for v in counted):
        raise ValueError(f"a value falls outside 0..{bins - 1}")
    return [counted[v] for v in range(bins)]


def chi_square(
    observed: Sequence[int],
    weights: Sequence[int] | None = None,
    *,
    name: str = "chi-square",
) -> TestResult:
    """Pearson's test of `observed` counts against probabilities weights[i] / sum(weights).

    Without weights every bin is equally likely. A bin of weight zero must stay
    empty: one hit there is impossible under the hypothesis, so P = 0.
    """
    if weights is None:
        weights = [1] * len(observed)
    if len(weights) != len(observed):
        raise ValueError("one weight per bin")
    if any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError("weights must be non-negative and not all zero")
    total = sum(observed)
    weight_sum = sum(weights)
    statistic = 0.0
    bins = 0
    for count, weight in zip(observed, weights, strict=True):
        if weight == 0:
            if count:
                return TestResult(name, float("inf"), 0.0)
            continue
        expected = total * weight / weight_sum
        if expected < MIN_EXPECTED:
            raise ValueError(f"{name}: expected count {expected:.2f} is below {MIN_EXPECTED}")
        statistic += (count - expected) ** 2 / expected
        bins += 1
    if bins < 2:
        raise ValueError("a goodness-of-fit test needs at least two possible outcomes")
    return TestResult(name, statistic, chi_square_p_value(statistic, bins - 1))
