"""The NIST part of the battery as one call, with parameters chosen by length.

SP 800-22 recommends parameters per sequence length n rather than fixed
values: block frequency M >= 20, M > n/100 and fewer than 100 blocks (2.2.7);
approximate entropy m < floor(log2 n) - 5 (2.12.7); serial
m < floor(log2 n) - 2 (2.11.7). We follow the first rule as written but keep
wider margins for m, capped at the reference code's defaults (10 and 16):
at NIST's bound the approximate entropy statistic is not yet chi-square
(measured here: m = 10 on 10**5-bit sequences failed 1.6 % of 4000 random
sequences at alpha = 0.01, with P-values piling up near 0), which would make
the proportion check reject good generators. So every (m+1)-bit pattern is
expected at least 256 times (approximate entropy), and every m-bit pattern
at least 16 times (serial).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rng.battery import nist
from rng.battery.bits import Bits
from rng.battery.result import TestResult

MIN_BITS = 128  # the longest-run test's minimum

NIST_TEST_NAMES = (
    "frequency",
    "block-frequency",
    "runs",
    "longest-run",
    "cumulative-sums-forward",
    "cumulative-sums-backward",
    "approximate-entropy",
    "serial-1",
    "serial-2",
)


@dataclass(frozen=True, slots=True)
class NistParameters:
    block_length: int
    approximate_entropy_m: int
    serial_m: int

    @classmethod
    def for_length(cls, n: int) -> NistParameters:
        if n < MIN_BITS:
            raise ValueError(f"the NIST battery needs at least {MIN_BITS} bits")
        log2_n = math.floor(math.log2(n))
        return cls(
            block_length=max(20, n // 100 + 1),
            approximate_entropy_m=max(1, min(10, log2_n - 9)),
            serial_m=max(2, min(16, log2_n - 4)),
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "block_frequency_block_length": self.block_length,
            "approximate_entropy_m": self.approximate_entropy_m,
            "serial_m": self.serial_m,
        }


def nist_tests(bits: Bits, parameters: NistParameters | None = None) -> list[TestResult]:
    """Every NIST test of the battery on one sequence, in `NIST_TEST_NAMES` order."""
    p = parameters or NistParameters.for_length(bits.n)
    return [
        nist.frequency(bits),
        nist.block_frequency(bits, p.block_length),
        nist.runs(bits),
        nist.longest_run_of_ones(bits),
        nist.cumulative_sums(bits, forward=True),
        nist.cumulative_sums(bits, forward=False),
        nist.approximate_entropy(bits, p.approximate_entropy_m),
        *nist.serial(bits, p.serial_m),
    ]
