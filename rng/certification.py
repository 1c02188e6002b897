"""What certification measures: the sample drawn through the production path, and its judgement.

This module owns the pure part of `run.py rng-certify`: which draws are made
(raw bytes, and the scaled draws the games really make: roulette numbers,
cards, weighted reel stops), which tests each sequence of the sample gets,
and how the per-sequence P-values become verdicts (NIST's second-level
checks, plus pooled chi-square tests over every draw). It starts no process
and touches no file; `rng.certify` does that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

import rng
from rng.battery.bits import Bits
from rng.battery.chi_square import chi_square, histogram
from rng.battery.correlation import serial_correlation
from rng.battery.proportion import SecondLevelResult, second_level
from rng.battery.result import TestResult
from rng.battery.suite import NIST_TEST_NAMES, NistParameters, nist_tests
from rng.broken import BROKEN_GENERATORS
from rng.generator import Generator, WeightedTable

PRODUCTION = "system"

# A reel-like strip: rare sevens, common blanks; the total (100) is not a power
# of two, so the draws exercise the rejection step of randbelow.
REEL_WEIGHTS: tuple[int, ...] = (1, 2, 3, 4, 6, 8, 10, 12, 14, 16, 24)

# Fewer draws per sequence than this leave the rarest reel stop below the
# chi-square minimum of 5 expected hits.
MIN_DRAWS = 5 * sum(REEL_WEIGHTS) // min(REEL_WEIGHTS)
MIN_SEQUENCE_BYTES = 5 * 256  # five expected hits per byte value


@dataclass(frozen=True, slots=True)
class ScaledRange:
    """A range the games draw from, with the weight of each outcome."""

    name: str
    label: str
    weights: tuple[int, ...]
    weighted: bool = False  # drawn through WeightedTable rather than randbelow


SCALED_RANGES: tuple[ScaledRange, ...] = (
    ScaledRange("randbelow-37", "randbelow(37), a roulette number", (1,) * 37),
    ScaledRange("randbelow-52", "randbelow(52), a card", (1,) * 52),
    ScaledRange("reel-stops", f"WeightedTable{REEL_WEIGHTS}, a reel stop", REEL_WEIGHTS, True),
)


@dataclass(frozen=True, slots=True)
class DrawPath:
    """The callables a sample is drawn through, and what to call them in a report."""

    name: str
    label: str
    randbytes: Callable[[int], bytes]
    randbelow: Callable[[int], int]
    generator: Generator  # for WeightedTable.draw

    def draw(self, scaled: ScaledRange, count: int) -> list[int]:
        if scaled.weighted:
            table = WeightedTable(scaled.weights)
            return [table.draw(self.generator) for _ in range(count)]
        bound = len(scaled.weights)
        randbelow = self.randbelow
        return [randbelow(bound) for _ in range(count)]


def generator_path(name: str, generator: Generator, label: str) -> DrawPath:
    """Draw straight from a generator object (the broken ones, or a fixed stream in tests)."""
    return DrawPath(name, label, generator.randbytes, generator.randbelow, generator)


@cache
def draw_path(name: str) -> DrawPath:
    """The named path; one per process, so a broken generator keeps its state across sequences."""
    if name == PRODUCTION:
        # The module-level functions are exactly what the games and auditors call.
        label = "rng module (os.urandom), the production path"
        return DrawPath(name, label, rng.randbytes, rng.randbelow, rng.system)
    if name in BROKEN_GENERATORS:
        broken = BROKEN_GENERATORS[name](None)
        return generator_path(name, broken, f"{name}: DELIBERATELY BROKEN, test only")
    raise ValueError(f"unknown generator {name!r}")


def check_names() -> tuple[str, ...]:
    """Every per-sequence test, in report order."""
    names = [*NIST_TEST_NAMES, "chi-square-bytes", "serial-correlation-bytes"]
    for scaled in SCALED_RANGES:
        names += [f"chi-square-{scaled.name}", f"serial-correlation-{scaled.name}"]
    return tuple(names)


@dataclass(frozen=True, slots=True)
class SequenceFindings:
    """Every test on one sequence, and the histograms kept for the pooled tests."""

    results: tuple[TestResult, ...]
    histograms: dict[str, list[int]] = field(default_factory=dict)


def examine_sequence(
    path: DrawPath, raw: bytes, draws: int, parameters: NistParameters | None = None
) -> SequenceFindings:
    """Run the battery on one sequence: `raw` bytes from the path, plus fresh scaled draws."""
    bits = Bits(raw)
    byte_counts = histogram(raw, 256)
    results = nist_tests(bits, parameters)
    results.append(chi_square(byte_counts, name="chi-square-bytes"))
    results.append(serial_correlation(raw, name="serial-correlation-bytes"))
    histograms = {"bytes": byte_counts}
    for scaled in SCALED_RANGES:
        values = path.draw(scaled, draws)
        counts = histogram(values, len(scaled.weights))
        results.append(chi_square(counts, scaled.weights, name=f"chi-square-{scaled.name}"))
        results.append(serial_correlation(values, name=f"serial-correlation-{scaled.name}"))
        histograms[scaled.name] = counts
    return SequenceFindings(tuple(results), histograms)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One sample judged: second-level results per test, pooled chi-squares per range."""

    families: tuple[SecondLevelResult, ...]
    pooled: tuple[TestResult, ...]
    p_values: dict[str, list[float]]
    statistics: dict[str, list[float]]

    @property
    def failures(self) -> frozenset[str]:
        failed = {f.name for f in self.families if not f.passed}
        return frozenset(failed | {p.name for p in self.pooled if not p.passed})

    @property
    def passed(self) -> bool:
        return not self.failures


def evaluate(findings: Iterable[SequenceFindings]) -> Evaluation:
    """NIST's second-level checks for every test, and a pooled chi-square per range."""
    p_values: dict[str, list[float]] = {name: [] for name in check_names()}
    statistics: dict[str, list[float]] = {name: [] for name in check_names()}
    pooled_counts: dict[str, list[int]] = {}
    for finding in findings:
        for result in finding.results:
            p_values[result.name].append(result.p_value)
            statistics[result.name].append(result.statistic)
        for name, counts in finding.histograms.items():
            total = pooled_counts.setdefault(name, [0] * len(counts))
            for i, c in enumerate(counts):
                total[i] += c
    if not p_values["frequency"]:
        raise ValueError("no sequences to evaluate")
    families = tuple(second_level(name, values) for name, values in p_values.items())
    pooled = [chi_square(pooled_counts["bytes"], name="pooled-chi-square-bytes")]
    for scaled in SCALED_RANGES:
        counts = pooled_counts[scaled.name]
        pooled.append(chi_square(counts, scaled.weights, name=f"pooled-chi-square-{scaled.name}"))
    return Evaluation(families, tuple(pooled), p_values, statistics)


def split(sample: bytes, sequences: int) -> list[bytes]:
    """Cut the raw sample into `sequences` consecutive equal parts (a remainder is dropped)."""
    size = len(sample) // sequences
    return [sample[i * size : (i + 1) * size] for i in range(sequences)]


def examine_all(
    path: DrawPath, sample: bytes, sequences: int, draws: int
) -> Sequence[SequenceFindings]:
    """The whole battery in this process (the command line spreads it over processes)."""
    parts = split(sample, sequences)
    parameters = NistParameters.for_length(len(parts[0]) * 8)
    return [examine_sequence(path, part, draws, parameters) for part in parts]
