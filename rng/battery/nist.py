"""The NIST SP 800-22 rev. 1a tests the certification runs, one function each.

Each function follows the publication's section 2 step by step (the section
is named in its docstring) and returns a `TestResult`; the worked examples of
the publication are the known-answer tests. The per-bit work is pushed into
C: popcounts of big integers, `str.count`/`str.split` over '0'/'1' text, and
per-byte lookup tables, so a million bits take milliseconds, not seconds.
Choosing parameters for a given length is `rng.battery.suite`'s job.
"""

from __future__ import annotations

import math
from itertools import accumulate
from operator import add

from rng.battery.bits import Bits, pattern_counts
from rng.battery.result import TestResult
from rng.battery.special import igamc, normal_cdf

# Section 2.4: for each block length M, the run-length classes (<= first, then
# one each, >= last) and their probabilities, as in NIST's reference code.
_LONGEST_RUN_CLASSES: dict[int, tuple[int, tuple[float, ...]]] = {
    8: (1, (0.21484375, 0.3671875, 0.23046875, 0.1875)),
    128: (4, (0.1174035788, 0.242955959, 0.249363483, 0.17517706, 0.102701071, 0.112398847)),
    10_000: (10, (0.0882, 0.2092, 0.2483, 0.1933, 0.1208, 0.0675, 0.0727)),
}


def frequency(bits: Bits) -> TestResult:
    """2.1 Frequency (monobit): are ones and zeros equally common overall?"""
    n = bits.n
    s_n = 2 * bits.ones() - n
    s_obs = abs(s_n) / math.sqrt(n)
    return TestResult("frequency", s_obs, math.erfc(s_obs / math.sqrt(2.0)))


def block_frequency(bits: Bits, block_length: int) -> TestResult:
    """2.2 Frequency within a block: is each M-bit block about half ones?"""
    blocks = bits.n // block_length
    if blocks == 0:
        raise ValueError("the sequence is shorter than one block")
    text = bits.text
    deviation = sum(
        (text.count("1", i * block_length, (i + 1) * block_length) / block_length - 0.5) ** 2
        for i in range(blocks)
    )
    chi_square = 4.0 * block_length * deviation
    return TestResult("block-frequency", chi_square, igamc(blocks / 2.0, chi_square / 2.0))


def runs(bits: Bits) -> TestResult:
    """2.3 Runs: do ones and zeros alternate as often as chance says?"""
    n = bits.n
    pi = bits.ones() / n
    if abs(pi - 0.5) >= 2.0 / math.sqrt(n):
        # The frequency prerequisite failed: NIST reports P = 0 without running the test.
        return TestResult("runs", math.nan, 0.0)
    changes = (bits.value ^ (bits.value >> 1)) & ((1 << (n - 1)) - 1)
    v_obs = changes.bit_count() + 1
    spread = 2.0 * math.sqrt(2.0 * n) * pi * (1.0 - pi)
    p_value = math.erfc(abs(v_obs - 2.0 * n * pi * (1.0 - pi)) / spread)
    return TestResult("runs", float(v_obs), p_value)


def longest_run_of_ones(bits: Bits) -> TestResult:
    """2.4 Longest run of ones in a block (M = 8, 128 or 10**4 chosen by length)."""
    n = bits.n
    if n < 128:
        raise ValueError("the longest-run test needs at least 128 bits")
    block_length = 8 if n < 6272 else 128 if n < 750_000 else 10_000
    first_class, probabilities = _LONGEST_RUN_CLASSES[block_length]
    last_class = first_class + len(probabilities) - 1
    blocks = n // block_length
    text = bits.text
    frequencies = [0] * len(probabilities)
    for i in range(blocks):
        block = text[i * block_length : (i + 1) * block_length]
        longest = max(map(len, block.split("0")))
        frequencies[min(max(longest, first_class), last_class) - first_class] += 1
    chi_square = sum(
        (observed - blocks * p) ** 2 / (blocks * p)
        for observed, p in zip(frequencies, probabilities, strict=True)
    )
    k = len(probabilities) - 1
    return TestResult("longest-run", chi_square, igamc(k / 2.0, chi_square / 2.0))


def cumulative_sums(bits: Bits, *, forward: bool = True) -> TestResult:
    """2.13 Cumulative sums: does the ±1 random walk stray too far from zero?"""
    n = bits.n
    z = _largest_excursion(bits, forward=forward)
    name = "cumulative-sums-forward" if forward else "cumulative-sums-backward"
    root_n = math.sqrt(n)
    # The summation bounds use C integer division, as NIST's reference code does.
    upper = _c_div(_c_div(n, z) - 1, 4)
    total = 1.0
    for k in range(_c_div(_c_div(-n, z) + 1, 4), upper + 1):
        total -= normal_cdf((4 * k + 1) * z / root_n) - normal_cdf((4 * k - 1) * z / root_n)
    for k in range(_c_div(_c_div(-n, z) - 3, 4), upper + 1):
        total += normal_cdf((4 * k + 3) * z / root_n) - normal_cdf((4 * k + 1) * z / root_n)
    return TestResult(name, float(z), total)


def approximate_entropy(bits: Bits, m: int) -> TestResult:
    """2.12 Approximate entropy: are m- and (m+1)-bit patterns as diverse as chance says?"""
    n = bits.n
    counts_long = pattern_counts(bits, m + 1)
    counts_short = _fold(counts_long)
    apen = _phi(counts_short, n) - _phi(counts_long, n)
    chi_square = 2.0 * n * (math.log(2.0) - apen)
    return TestResult("approximate-entropy", chi_square, igamc(2.0 ** (m - 1), chi_square / 2.0))


def serial(bits: Bits, m: int) -> tuple[TestResult, TestResult]:
    """2.11 Serial: are all 2**m overlapping m-bit patterns equally common? (two P-values)"""
    if m < 2:
        raise ValueError("the serial test needs m >= 2")
    n = bits.n
    counts_m = pattern_counts(bits, m)
    counts_m1 = _fold(counts_m)
    counts_m2 = _fold(counts_m1)
    psi_m, psi_m1, psi_m2 = (_psi_squared(c, n) for c in (counts_m, counts_m1, counts_m2))
    delta = psi_m - psi_m1
    delta2 = psi_m - 2.0 * psi_m1 + psi_m2
    return (
        TestResult("serial-1", delta, igamc(2.0 ** (m - 2), delta / 2.0)),
        TestResult("serial-2", delta2, igamc(2.0 ** (m - 3), delta2 / 2.0)),
    )


def _c_div(a: int, b: int) -> int:
    """Integer division truncating towards zero, as in C."""
    quotient = abs(a) // abs(b)
    return quotient if (a < 0) == (b < 0) else -quotient


def _fold(counts: list[int]) -> list[int]:
    # Circular (m-1)-bit counts are the m-bit counts summed over the last bit.
    return [counts[i] + counts[i + 1] for i in range(0, len(counts), 2)]


def _phi(counts: list[int], n: int) -> float:
    return sum(c / n * math.log(c / n) for c in counts if c)


def _psi_squared(counts: list[int], n: int) -> float:
    return len(counts) / n * sum(c * c for c in counts) - n


def _prefix_tables(msb_first: bool) -> tuple[list[int], list[int], list[int]]:
    """Per byte value: the walk's net step and its highest and lowest partial sums."""
    net, highest, lowest = [], [], []
    for byte in range(256):
        order = range(7, -1, -1) if msb_first else range(8)
        walk = list(accumulate(1 if byte >> i & 1 else -1 for i in order))
        net.append(walk[-1])
        highest.append(max(walk))
        lowest.append(min(walk))
    return net, highest, lowest


_FORWARD = _prefix_tables(msb_first=True)
_BACKWARD = _prefix_tables(msb_first=False)


def _largest_excursion(bits: Bits, *, forward: bool) -> int:
    """max |S_k| over the walk taken from the first bit (forward) or the last (backward)."""
    full_bytes = bits.n // 8
    data = bits.data[:full_bytes]
    tail = [int(c) for c in bits.text[full_bytes * 8 :]]
    if not forward:
        tail.reverse()
        data = data[::-1]
    net, highest, lowest = _FORWARD if forward else _BACKWARD
    best = 0
    position = 0
    if not forward:  # the walk backwards meets the partial last byte first
        position, best = _walk(tail, position, best)
    if data:
        starts = list(accumulate(map(net.__getitem__, data), initial=position))
        best = max(
            best,
            max(map(add, starts, map(highest.__getitem__, data))),
            -min(map(add, starts, map(lowest.__getitem__, data))),
        )
        position = starts[-1]
    if forward:
        position, best = _walk(tail, position, best)
    return best


def _walk(steps: list[int], position: int, best: int) -> tuple[int, int]:
    for bit in steps:
        position += 1 if bit else -1
        best = max(best, abs(position))
    return position, best
