"""What certification measures: the sample drawn through the production path, and its judgement.

This module owns the pure part of `run.py rng-certify`: which draws are made
(raw bytes, and the scaled draws the games really make: reel stops of each
strip length, roulette pockets, and whole shoe shuffles), which tests each
sequence of the sample gets, and how the per-sequence P-values become verdicts (NIST's second-level
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
from rng.generator import Generator

PRODUCTION = "system"

# The bounds the games really draw: each slot reel stops at randbelow(len(strip))
# (Classic Sevens' strips hold 24 symbols, Crown Jewels' 32) and a roulette ball
# at randbelow(37). tests/test_rng_certify.py holds these equal to games/.
SLOT_STRIP_LENGTHS: tuple[int, ...] = (24, 32)
ROULETTE_POCKETS = 37
# The shoes the card games shuffle: blackjack 6 decks, baccarat 8.
SHOE_DECKS: tuple[int, ...] = (6, 8)
RANKS = 13

# Fewer draws per sequence than this leave a roulette pocket below the
# chi-square minimum of 5 expected hits; fewer shuffles, a card rank.
MIN_DRAWS = 5 * ROULETTE_POCKETS
MIN_SHUFFLES = 5 * RANKS
MIN_SEQUENCE_BYTES = 5 * 256  # five expected hits per byte value


def shoe(decks: int) -> list[int]:
    """An unshuffled shoe as games.cards builds it: card c = suit * 13 + rank, deck after deck."""
    return [card for _ in range(decks) for card in range(52)]


@dataclass(frozen=True, slots=True)
class ScaledRange:
    """A draw the games make, reduced to one outcome in range(bins), uniform when unbiased.

    `shoe_decks` is set for a shoe: each outcome is then the rank of the first
    card dealt from one fresh shuffle, drawn exactly as the game draws it: a
    full Fisher-Yates (blackjack), or with `partial` the six cards a coup can
    use, `sample(shoe, 6)` (baccarat).
    """

    name: str
    label: str
    bins: int
    shoe_decks: int = 0
    partial: bool = False

    @property
    def weights(self) -> tuple[int, ...]:
        return (1,) * self.bins


SCALED_RANGES: tuple[ScaledRange, ...] = (
    *(
        ScaledRange(f"randbelow-{n}", f"randbelow({n}), a stop of a {n}-symbol reel strip", n)
        for n in SLOT_STRIP_LENGTHS
    ),
    ScaledRange(
        f"randbelow-{ROULETTE_POCKETS}",
        f"randbelow({ROULETTE_POCKETS}), a roulette pocket",
        ROULETTE_POCKETS,
    ),
    ScaledRange(
        "shoe-6x52-first-rank",
        "rank of the first card of a 6x52 shoe after a full Fisher-Yates shuffle (blackjack)",
        RANKS,
        6,
    ),
    ScaledRange(
        "shoe-8x52-first-rank",
        "rank of the first card of an 8x52 shoe, sample(shoe, 6) as baccarat deals it",
        RANKS,
        8,
        partial=True,
    ),
)


@dataclass(frozen=True, slots=True)
class DrawPath:
    """The callables a sample is drawn through, and what to call them in a report."""

    name: str
    label: str
    randbytes: Callable[[int], bytes]
    randbelow: Callable[[int], int]
    shuffle: Callable[[list[int]], None]
    sample: Callable[[Sequence[int], int], list[int]]

    def draw(self, scaled: ScaledRange, count: int) -> list[int]:
        if scaled.shoe_decks and scaled.partial:
            cards = tuple(shoe(scaled.shoe_decks))
            return [self.sample(cards, 6)[0] % RANKS for _ in range(count)]
        if scaled.shoe_decks:
            return [self._first_rank_shuffled(scaled.shoe_decks) for _ in range(count)]
        randbelow = self.randbelow
        return [randbelow(scaled.bins) for _ in range(count)]

    def _first_rank_shuffled(self, decks: int) -> int:
        # Blackjack deals from position 0, which the last Fisher-Yates swap
        # decides, so every draw of the shuffle bears on this card.
        cards = shoe(decks)
        self.shuffle(cards)
        return cards[0] % RANKS


def generator_path(name: str, generator: Generator, label: str) -> DrawPath:
    """Draw straight from a generator object (the broken ones, or a fixed stream in tests)."""
    return DrawPath(
        name, label, generator.randbytes, generator.randbelow, generator.shuffle, generator.sample
    )


@cache
def draw_path(name: str) -> DrawPath:
    """The named path; one per process, so a broken generator keeps its state across sequences."""
    if name == PRODUCTION:
        # The module-level functions are exactly what the games and auditors call.
        label = "rng module (os.urandom), the production path"
        return DrawPath(name, label, rng.randbytes, rng.randbelow, rng.shuffle, rng.sample)
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
    path: DrawPath,
    raw: bytes,
    draws: int,
    shuffles: int,
    parameters: NistParameters | None = None,
) -> SequenceFindings:
    """Run the battery on one sequence: `raw` bytes from the path, plus fresh scaled draws.

    `draws` values of each randbelow range, `shuffles` whole shoes of each shoe range.
    """
    bits = Bits(raw)
    byte_counts = histogram(raw, 256)
    results = nist_tests(bits, parameters)
    results.append(chi_square(byte_counts, name="chi-square-bytes"))
    results.append(serial_correlation(raw, name="serial-correlation-bytes"))
    histograms = {"bytes": byte_counts}
    for scaled in SCALED_RANGES:
        values = path.draw(scaled, shuffles if scaled.shoe_decks else draws)
        counts = histogram(values, scaled.bins)
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
    path: DrawPath, sample: bytes, sequences: int, draws: int, shuffles: int
) -> Sequence[SequenceFindings]:
    """The whole battery in this process (the command line spreads it over processes)."""
    parts = split(sample, sequences)
    parameters = NistParameters.for_length(len(parts[0]) * 8)
    return [examine_sequence(path, part, draws, shuffles, parameters) for part in parts]
