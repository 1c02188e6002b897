"""Unbiased draws on top of any byte source.

This module owns the *scaling* of random bytes into the values games use:
integers below a bound, weighted picks, shuffles, samples and floats. Every
scaling is exact: integers come from rejection sampling, never from a modulo
or a float multiply, so no outcome is favoured by even one part in 2**64.
It never chooses where the bytes come from; subclasses do (the OS CSPRNG in
`rng.system`, a provably fair HMAC stream later).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from bisect import bisect_right
from collections.abc import MutableSequence, Sequence
from itertools import accumulate
from typing import TypeVar

T = TypeVar("T")

_FLOAT_BITS = 53


class Generator(ABC):
    """A source of random bytes plus the unbiased scalings built on it."""

    @abstractmethod
    def randbytes(self, n: int) -> bytes:
        """Return `n` random bytes."""

    def randbits(self, k: int) -> int:
        """A uniform integer in [0, 2**k)."""
        if k < 0:
            raise ValueError("number of bits must be non-negative")
        if k == 0:
            return 0
        nbytes = (k + 7) // 8
        value = int.from_bytes(self.randbytes(nbytes), "big")
        return value >> (nbytes * 8 - k)

    def randbelow(self, n: int) -> int:
        """A uniform integer in [0, n), by rejection: draw bit_length(n-1) bits, retry if >= n."""
        if n <= 0:
            raise ValueError("randbelow needs a positive bound")
        if n == 1:
            return 0
        k = (n - 1).bit_length()
        while True:
            value = self.randbits(k)
            if value < n:
                return value

    def randint(self, low: int, high: int) -> int:
        """A uniform integer in [low, high], both ends included."""
        if high < low:
            raise ValueError("randint needs low <= high")
        return low + self.randbelow(high - low + 1)

    def choice(self, items: Sequence[T]) -> T:
        if not items:
            raise IndexError("cannot choose from an empty sequence")
        return items[self.randbelow(len(items))]

    def weighted_index(self, weights: Sequence[int]) -> int:
        """An index drawn with probability weights[i] / sum(weights); weights are integers."""
        return WeightedTable(weights).draw(self)

    def shuffle(self, items: MutableSequence[T]) -> None:
        """Fisher-Yates in place, each swap index from `randbelow`."""
        for i in range(len(items) - 1, 0, -1):
            j = self.randbelow(i + 1)
            items[i], items[j] = items[j], items[i]

    def sample(self, items: Sequence[T], k: int) -> list[T]:
        """`k` distinct positions of `items`, in draw order (a partial Fisher-Yates).

        Step i swaps position i with i + randbelow(len - i) and keeps position
        i. Only the swapped positions are remembered, so sampling from a huge
        sequence (a `range`) costs O(k), with the same draws as a full list.
        """
        n = len(items)
        if not 0 <= k <= n:
            raise ValueError("sample size out of range")
        moved: dict[int, int] = {}  # position -> index of the item now there, where swapped
        chosen = []
        for i in range(k):
            j = i + self.randbelow(n - i)
            chosen.append(items[moved.get(j, j)])
            moved[j] = moved.get(i, i)
        return chosen

    def random(self) -> float:
        """A uniform float in [0, 1) with 53 random bits: every value is a multiple of 2**-53."""
        return self.randbits(_FLOAT_BITS) / (1 << _FLOAT_BITS)


class WeightedTable:
    """Integer weights prepared once (a reel strip), drawn many times without bias."""

    __slots__ = ("_cumulative", "total")

    def __init__(self, weights: Sequence[int]) -> None:
        if not weights:
            raise ValueError("weights must not be empty")
        for w in weights:
            if not isinstance(w, int) or isinstance(w, bool) or w < 0:
                raise ValueError("weights must be non-negative integers")
        self._cumulative = list(accumulate(weights))
        self.total = self._cumulative[-1]
        if self.total <= 0:
            raise ValueError("weights must not all be zero")

    def draw(self, rng: Generator) -> int:
        return bisect_right(self._cumulative, rng.randbelow(self.total))
