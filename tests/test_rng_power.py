"""The battery's power: each deliberately broken generator fails it, a sound stream passes.

Every generator here draws from a fixed provably fair stream, so the whole
battery is deterministic and its findings are asserted exactly. Each sample
is 16 sequences of 64,000 bits plus 2,000 draws per scaled range per sequence.
"""

from __future__ import annotations

import pytest

from rng.broken import ModuloBiasedGenerator, ShortPeriodGenerator, StuckBitGenerator
from rng.certification import Evaluation, evaluate, examine_all, generator_path
from rng.fair import FairGenerator
from rng.generator import Generator

SEQUENCES = 16
SEQUENCE_BYTES = 8000
DRAWS = 2000
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
    return evaluate(examine_all(path, sample, SEQUENCES, DRAWS))


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
    assert all(f.passed_sequences == SEQUENCES for f in sound.families)


def test_modulo_bias_fails_the_scaled_ranges(modulo: Evaluation) -> None:
    assert modulo.failures == {
        "chi-square-reel-stops",
        "pooled-chi-square-randbelow-37",
        "pooled-chi-square-randbelow-52",
        "pooled-chi-square-reel-stops",
    }


def test_modulo_bias_is_invisible_in_the_raw_bytes(modulo: Evaluation) -> None:
    # The bytes are sound; only the scaling is wrong, which is why scaled draws are tested.
    assert not modulo.failures & RAW_BIT_TESTS


def test_modulo_bias_fails_every_reel_sequence(modulo: Evaluation) -> None:
    reel = next(f for f in modulo.families if f.name == "chi-square-reel-stops")
    assert reel.passed_sequences == 0


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
        "pooled-chi-square-bytes",
        "pooled-chi-square-randbelow-37",
        "pooled-chi-square-randbelow-52",
        "pooled-chi-square-reel-stops",
    }
