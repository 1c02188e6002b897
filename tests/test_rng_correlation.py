"""Serial correlation, computed as ent and Knuth compute it."""

from __future__ import annotations

import hashlib
import math

import pytest

from rng.battery.correlation import serial_correlation, serial_correlation_p_value


def test_coefficient_wraps_the_last_value_round_to_the_first() -> None:
    # n=4: sum=10, squares=30, products 1*2+2*3+3*4+4*1=24: r=(96-100)/(120-100).
    assert serial_correlation([1, 2, 3, 4]).statistic == pytest.approx(-0.2)


def test_p_value_uses_knuths_mean_and_deviation() -> None:
    n, r = 4, -0.2
    z = (r + 1 / (n - 1)) / (math.sqrt(n * (n - 3) / (n + 1)) / (n - 1))
    assert serial_correlation_p_value(r, n) == pytest.approx(math.erfc(abs(z) / math.sqrt(2)))


def test_alternating_values_are_perfectly_anticorrelated() -> None:
    result = serial_correlation([0, 255] * 50)
    assert result.statistic == pytest.approx(-1.0)
    assert result.p_value < 1e-15


def test_a_constant_sequence_fails() -> None:
    result = serial_correlation([7] * 10)
    assert math.isnan(result.statistic)
    assert result.p_value == 0.0


def test_coefficient_reproduces_ent() -> None:
    # `ent -t` prints Serial-Correlation 0.574867 for "abcabcabcabcxyz" and
    # -0.000869 for the 100,000-byte SHA-256 chain below.
    assert round(serial_correlation(b"abcabcabcabcxyz").statistic, 6) == 0.574867
    data = bytearray()
    digest = b"ent known answer"
    while len(data) < 100_000:
        digest = hashlib.sha256(digest).digest()
        data += digest
    assert round(serial_correlation(bytes(data[:100_000])).statistic, 6) == -0.000869
