"""Deterministic generators for the game tests, and the checks that they are what they claim.

`StreamGenerator` turns a seed into a SHA-256 counter-mode byte stream, so it
goes through every scaling of `rng.Generator` exactly as production bytes do;
`ScriptedGenerator` answers `randbelow` from a list, to arrange a shuffle or a
spin. Other game tests import them from here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import pytest

from rng.generator import Generator


class StreamGenerator(Generator):
    """Bytes of SHA-256(seed || counter), block after block: reproducible, and unbiased enough."""

    def __init__(self, seed: bytes) -> None:
        self._seed = seed
        self._counter = 0
        self._buffer = b""

    def randbytes(self, n: int) -> bytes:
        while len(self._buffer) < n:
            block = hashlib.sha256(self._seed + self._counter.to_bytes(8, "big")).digest()
            self._counter += 1
            self._buffer += block
        chunk, self._buffer = self._buffer[:n], self._buffer[n:]
        return chunk


class ScriptedGenerator(Generator):
    """`randbelow` replays the given values in order (each must fit its bound)."""

    def __init__(self, values: Iterable[int]) -> None:
        self._values = list(values)
        self.used = 0

    def randbytes(self, n: int) -> bytes:
        raise AssertionError("a scripted generator only answers randbelow")

    def randbelow(self, n: int) -> int:
        value = self._values[self.used]
        assert 0 <= value < n, f"scripted value {value} does not fit randbelow({n})"
        self.used += 1
        return value


def shuffle_script(start: Sequence[int], target: Sequence[int]) -> list[int]:
    """The randbelow answers that make `Generator.shuffle(start)` produce `target`.

    Fisher-Yates fixes position i (from the end) by swapping in items[j], j <= i:
    so j is wherever the wanted item sits among the first i + 1.
    """
    items = list(start)
    script = []
    for i in range(len(items) - 1, 0, -1):
        j = items.index(target[i], 0, i + 1)
        script.append(j)
        items[i], items[j] = items[j], items[i]
    assert items == list(target), "target is not a permutation of start"
    return script


def test_stream_generator_repeats_for_a_seed_and_differs_across_seeds() -> None:
    first = [StreamGenerator(b"seed").randbelow(1000) for _ in range(3)]
    again = [StreamGenerator(b"seed").randbelow(1000) for _ in range(3)]
    assert first == again
    a, b = StreamGenerator(b"a"), StreamGenerator(b"b")
    assert [a.randbelow(10**9) for _ in range(4)] != [b.randbelow(10**9) for _ in range(4)]


def test_shuffle_script_makes_the_real_shuffle_produce_the_target() -> None:
    start = [0, 1, 2, 3, 3, 4, 5]
    target = [3, 5, 0, 3, 4, 2, 1]
    items = list(start)
    ScriptedGenerator(shuffle_script(start, target)).shuffle(items)
    assert items == target


def test_scripted_generator_refuses_a_value_outside_the_bound() -> None:
    with pytest.raises(AssertionError):
        ScriptedGenerator([5]).randbelow(5)
