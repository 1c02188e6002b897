"""Bit sequences and overlapping pattern counts, as the NIST tests read them."""

from __future__ import annotations

import hashlib

import pytest

from rng.battery.bits import Bits, _pattern_counts_by_slicing, pattern_counts


def deterministic_bits(n: int, label: str) -> Bits:
    stream = b"".join(hashlib.sha256(f"{label}:{i}".encode()).digest() for i in range(n // 256 + 1))
    return Bits(stream, n)


def test_from_string_reads_the_first_bit_as_most_significant() -> None:
    bits = Bits.from_string("1000 0000 01")
    assert (bits.n, bits.data, bits.value) == (10, b"\x80\x40", 0b1000000001)


def test_from_string_refuses_other_characters() -> None:
    with pytest.raises(ValueError, match="only '0' and '1'"):
        Bits.from_string("0102")


def test_text_keeps_leading_zeros() -> None:
    assert Bits(b"\x01", 8).text == "00000001"


def test_bits_beyond_n_in_the_last_byte_are_ignored() -> None:
    bits = Bits(b"\xff\xff", 12)
    assert (bits.value, bits.ones(), bits.text) == (0xFFF, 12, "1" * 12)


def test_bits_refuse_more_bits_than_the_bytes_hold() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        Bits(b"\x00", 9)


def test_pattern_counts_match_example_2_11_4() -> None:
    # SP 800-22 2.11.4: for 0011011101, v000..v111 = 0,1,1,2,1,2,2,1; v00..v11 = 1,3,3,3.
    bits = Bits.from_string("0011011101")
    assert pattern_counts(bits, 3) == [0, 1, 1, 2, 1, 2, 2, 1]
    assert pattern_counts(bits, 2) == [1, 3, 3, 3]
    assert pattern_counts(bits, 1) == [4, 6]


@pytest.mark.parametrize("n", [64, 65, 100, 1000, 4099])
@pytest.mark.parametrize("m", [1, 2, 5, 8, 13, 16])
def test_word_counting_agrees_with_the_definition(n: int, m: int) -> None:
    bits = deterministic_bits(n, "patterns")
    assert pattern_counts(bits, m) == _pattern_counts_by_slicing(bits, m)


def test_pattern_counts_refuse_patterns_wider_than_16_bits() -> None:
    with pytest.raises(ValueError, match=r"1\.\.16"):
        pattern_counts(deterministic_bits(1000, "wide"), 17)
