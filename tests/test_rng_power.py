"""The battery's power: each deliberately broken generator fails it, a sound stream passes.

Every generator here draws from a fixed provably fair stream, so the whole
battery is deterministic and its findings are asserted exactly. Each sample
is 16 sequences of 64,000 bits plus, per sequence, 8,000 draws of each
randbelow range and 100 shuffles of each shoe.
"""

from __future__ import annotations

import pytest

from rng.broken import ModuloBiasedGenerator, ShortPeriodGenerator, StuckBitGenerator
from rng.certification import Evaluation, evaluate, examine_all, generator_path
from rng.fair import FairGenerator
from rng.generator import Generator

SEQUENCES = 16
SEQUENCE_BYTES = 8000
DRAWS = 8000
SHUFFLES = 100
RAW_BIT_TESTS = {
    "frequency",
    "block-frequency",
    "runs",
    "longest-run",
    "cumulative-sums-forward",
    "cumulative-sums-backward",
    "approximate-entropy",
    "serial-1",
    "serial-2",
    "chi-square-bytes",
    "serial-correlation-bytes",
}


def fixed_stream() -> Generator:
    return FairGenerator(bytes(32), "power", 0)


def battery(generator: Generator) -> Evaluation:
    path = generator_path("under test", generator, "under test")
    sample = path.randbytes(SEQUENCES * SEQUENCE_BYTES)
    return evaluate(examine_all(path, sample, SEQUENCES, DRAWS, SHUFFLES))


@pytest.fixture(scope="module")
def sound() -> Evaluation:
    return battery(fixed_stream())


@pytest.fixture(scope="module")
def modulo() -> Evaluation:
    return battery(ModuloBiasedGenerator(fixed_stream()))


@pytest.fixture(scope="module")
def stuck_bit() -> Evaluation:
    return battery(StuckBitGenerator(fixed_stream()))


@pytest.fixture(scope="module")
def short_period() -> Evaluation:
    return battery(ShortPeriodGenerator(fixed_stream()))


def test_a_sound_stream_passes_every_check(sound: Evaluation) -> None:
    assert sound.failures == frozenset()
    # At alpha = 0.01 a sound stream fails about one sequence in a hundred per
    # test; this fixed stream fails one of its sixteen on two shoe tests.
    short = {f.name: f.passed_sequences for f in sound.families if f.passed_sequences < SEQUENCES}
    assert short == {
        "chi-square-shoe-6x52-first-rank": 15,
        "serial-correlation-shoe-6x52-first-rank": 15,
    }


def test_modulo_bias_fails_the_scaled_ranges(modulo: Evaluation) -> None:
    # One byte mod 24 favours 0..15 by 11/256 to 10/256; mod 37, 0..33 by 7 to 6.
    assert modulo.failures == {
        "chi-square-randbelow-24",
        "pooled-chi-square-randbelow-24",
        "pooled-chi-square-randbelow-37",
    }


def test_modulo_bias_is_invisible_in_the_raw_bytes(modulo: Evaluation) -> None:
    # The bytes are sound; only the scaling is wrong, which is why scaled draws are tested.
    assert not modulo.failures & RAW_BIT_TESTS


def test_modulo_bias_cannot_touch_a_32_symbol_strip(modulo: Evaluation) -> None:
    # 32 divides 256, so one byte mod 32 is exactly uniform: only bounds that do
    # not divide a power of two show the bias.
    strip = next(p for p in modulo.pooled if p.name == "pooled-chi-square-randbelow-32")
    assert (strip.passed, round(strip.p_value, 6)) == (True, 0.98119)


def test_a_stuck_bit_fails_the_raw_bit_tests(stuck_bit: Evaluation) -> None:
    assert stuck_bit.failures == {
        "frequency",
        "block-frequency",
        "runs",
        "longest-run",
        "cumulative-sums-forward",
        "cumulative-sums-backward",
        "approximate-entropy",
        "serial-1",
        "chi-square-bytes",
        "pooled-chi-square-bytes",
    }


def test_a_stuck_low_bit_fails_every_sequence_on_frequency(stuck_bit: Evaluation) -> None:
    frequency = next(f for f in stuck_bit.families if f.name == "frequency")
    assert frequency.passed_sequences == 0


def test_a_short_period_fails_the_pattern_tests_and_the_pooled_draws(
    short_period: Evaluation,
) -> None:
    assert short_period.failures == {
        "block-frequency",
        "longest-run",
        "approximate-entropy",
        "serial-1",
        "serial-2",
        "chi-square-bytes",
        "chi-square-randbelow-24",
        "chi-square-randbelow-32",
        "chi-square-randbelow-37",
        "chi-square-shoe-6x52-first-rank",
        "pooled-chi-square-bytes",
        "pooled-chi-square-randbelow-24",
        "pooled-chi-square-randbelow-32",
        "pooled-chi-square-randbelow-37",
        "pooled-chi-square-shoe-6x52-first-rank",
        "pooled-chi-square-shoe-8x52-first-rank",
    }
