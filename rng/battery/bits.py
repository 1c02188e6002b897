"""A bit sequence as the NIST tests see it, kept in forms Python counts fast.

The sequence ε1 ε2 ... εn is stored as bytes, most significant bit of each
byte first (the order NIST's reference code reads binary files in), and on
demand as one big integer or as '0'/'1' text: popcounts, shifts and
`str.count` then do the per-bit work in C. It also owns the counting of
overlapping m-bit patterns that the approximate entropy and serial tests share.
"""

from __future__ import annotations

import sys
from array import array
from collections import Counter

# Widest pattern the fast counter handles; NIST's recommendations never need
# more below 2**19 bits, and 16-bit words keep the counting in C.
MAX_PATTERN_BITS = 16
_WORD = 16


class Bits:
    """An immutable sequence of `n` bits, first bit = most significant bit of `data[0]`."""

    __slots__ = ("_data", "_text", "_value", "n")

    def __init__(self, data: bytes, n: int | None = None) -> None:
        available = len(data) * 8
        if n is None:
            n = available
        if not 0 <= n <= available:
            raise ValueError(f"{n} bits do not fit in {len(data)} bytes")
        self._data = bytes(data[: (n + 7) // 8])
        self.n = n
        self._value: int | None = None
        self._text: str | None = None

    @classmethod
    def from_string(cls, text: str) -> Bits:
        """Bits from '0'/'1' characters; whitespace (as in the NIST examples) is ignored."""
        digits = "".join(text.split())
        if digits.strip("01"):
            raise ValueError("a bit string holds only '0' and '1'")
        n = len(digits)
        padding = -n % 8
        value = int(digits, 2) << padding if n else 0
        return cls(value.to_bytes((n + padding) // 8, "big"), n)

    @property
    def data(self) -> bytes:
        """The bytes holding the bits; bits past `n` in the last byte are meaningless."""
        return self._data

    def __len__(self) -> int:
        return self.n

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bits) and self.n == other.n and self.value == other.value

    def __hash__(self) -> int:
        return hash((self.n, self.value))

    @property
    def value(self) -> int:
        """The sequence as an integer whose most significant of `n` bits is ε1."""
        if self._value is None:
            whole = int.from_bytes(self._data, "big")
            self._value = whole >> (len(self._data) * 8 - self.n)
        return self._value

    @property
    def text(self) -> str:
        """The sequence as '0'/'1' text."""
        if self._text is None:
            self._text = format(self.value, "b").zfill(self.n) if self.n else ""
        return self._text

    def ones(self) -> int:
        return self.value.bit_count()


def pattern_counts(bits: Bits, m: int) -> list[int]:
    """Occurrences of each m-bit pattern among the n overlapping windows, wrapping at the end.

    Index i of the result counts the pattern whose bits spell i in binary,
    first bit most significant; the counts sum to n (NIST's augmented sequence).
    """
    if not 1 <= m <= MAX_PATTERN_BITS:
        raise ValueError(f"pattern length must be 1..{MAX_PATTERN_BITS}")
    if bits.n < 4 * _WORD:
        return _pattern_counts_by_slicing(bits, m)
    wide = _word_window_counts(bits)
    counts = [0] * (1 << m)
    shift = _WORD - m
    for word, count in wide.items():
        counts[word >> shift] += count
    return counts


def _pattern_counts_by_slicing(bits: Bits, m: int) -> list[int]:
    # The definition, letter for letter: fine for the short textbook examples.
    text = bits.text
    wrapped = text + (text * (m // max(bits.n, 1) + 1))[: m - 1]
    counts = [0] * (1 << m)
    for i in range(bits.n):
        counts[int(wrapped[i : i + m], 2)] += 1
    return counts


def _word_window_counts(bits: Bits) -> Counter[int]:
    """Counts of the 16-bit window starting at every position (wrapping), as integers.

    Any m <= 16 pattern at position i is the top m bits of the 16-bit window at
    i, so one pass serves every m. The windows starting at positions j, j+16,
    j+32, ... are whole 16-bit words of the sequence shifted by j bits, so each
    of the 16 offsets becomes one bytes-to-array conversion counted in C.
    """
    n = bits.n
    extended = (bits.value << (_WORD - 1)) | (bits.value >> (n - (_WORD - 1)))
    length = n + _WORD - 1
    counts: Counter[int] = Counter()
    for offset in range(_WORD):
        tail_length = length - offset
        tail = extended & ((1 << tail_length) - 1)
        padding = -tail_length % _WORD
        words = array("H", (tail << padding).to_bytes((tail_length + padding) // 8, "big"))
        if sys.byteorder == "little":
            words.byteswap()
        windows = (n - offset + _WORD - 1) // _WORD
        counts.update(words[:windows])
    return counts
