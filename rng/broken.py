"""Deliberately broken generators, for showing that the battery catches real faults.

TEST AND DEMONSTRATION ONLY: no game, round or server path may use these.
They exist so that `run.py rng-certify --generator NAME` and the power tests
can show the battery failing on the three classic faults:

- broken-modulo: raw bytes are fine, but randbelow(n) reduces the smallest
  whole number of bytes modulo n, the textbook scaling bias (for n = 37 from
  one byte, 0..33 come up 7 times in 256 and 34..36 only 6 times).
- stuck-bit: one bit of every byte is always 1 (a failed hardware line).
- short-period: the stream repeats a fixed block of genuine random bytes, so
  every window looks random but the sequence as a whole cycles.

Each wraps a real source (the system generator unless given one), so the only
fault in the output is the one named.
"""

from __future__ import annotations

from collections.abc import Callable

from rng.generator import Generator
from rng.system import SystemGenerator

DEFAULT_PERIOD = 4096  # bytes, i.e. 32768 bits: far shorter than one test sequence


class ModuloBiasedGenerator(Generator):
    """BROKEN ON PURPOSE: randbelow(n) = (ceil(bits/8) random bytes) mod n."""

    def __init__(self, source: Generator | None = None) -> None:
        self._source = source or SystemGenerator()

    def randbytes(self, n: int) -> bytes:
        return self._source.randbytes(n)

    def randbelow(self, n: int) -> int:
        if n <= 0:
            raise ValueError("randbelow needs a positive bound")
        nbytes = max(1, ((n - 1).bit_length() + 7) // 8)
        return int.from_bytes(self._source.randbytes(nbytes), "big") % n


class StuckBitGenerator(Generator):
    """BROKEN ON PURPOSE: bit `bit` (0 = least significant) of every byte reads 1."""

    def __init__(self, source: Generator | None = None, bit: int = 0) -> None:
        if not 0 <= bit < 8:
            raise ValueError("bit is 0..7")
        self._source = source or SystemGenerator()
        self._table = bytes(b | (1 << bit) for b in range(256))

    def randbytes(self, n: int) -> bytes:
        return self._source.randbytes(n).translate(self._table)


class ShortPeriodGenerator(Generator):
    """BROKEN ON PURPOSE: cycles through one block of `period` random bytes forever."""

    def __init__(self, source: Generator | None = None, period: int = DEFAULT_PERIOD) -> None:
        if period <= 0:
            raise ValueError("period must be positive")
        self._block = (source or SystemGenerator()).randbytes(period)
        self._position = 0

    def randbytes(self, n: int) -> bytes:
        if n < 0:
            raise ValueError("number of bytes must be non-negative")
        period = len(self._block)
        start = self._position
        if start + n <= period:
            out = self._block[start : start + n]
        else:
            out = (self._block * ((start + n) // period + 1))[start : start + n]
        self._position = (start + n) % period
        return out


BROKEN_GENERATORS: dict[str, Callable[[Generator | None], Generator]] = {
    "broken-modulo": ModuloBiasedGenerator,
    "stuck-bit": StuckBitGenerator,
    "short-period": ShortPeriodGenerator,
}
