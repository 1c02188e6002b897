"""The one shape every statistical test in the battery reports in.

A test yields a statistic and the P-value of that statistic under the
hypothesis that the input is random; it passes when the P-value is at least
the significance level `ALPHA` (0.01, as NIST SP 800-22 recommends). Nothing
here computes anything: the tests own their maths, the report owns the prose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

ALPHA = 0.01


@dataclass(frozen=True, slots=True)
class TestResult:
    """One test on one input: its name, statistic, P-value and verdict at `alpha`."""

    __test__: ClassVar[bool] = False  # pytest must not mistake this for a test class

    name: str
    statistic: float
    p_value: float
    alpha: float = ALPHA

    @property
    def passed(self) -> bool:
        return self.p_value >= self.alpha

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "alpha": self.alpha,
            "passed": self.passed,
        }
