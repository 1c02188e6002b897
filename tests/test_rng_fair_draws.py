"""The provably fair stream's fast paths against the plain definitions they shortcut.

`FairGenerator.randbelow` reads one byte per try in place for bounds up to
256, and `validate_client_seed` uses str methods instead of a loop over
characters; both must give exactly what the documented rules give.
"""

from __future__ import annotations

import pytest

from rng.fair import CLIENT_SEED_MAX, FairGenerator, validate_client_seed
from rng.generator import Generator

SEED = bytes(range(32))
CLIENT = "player-chosen seed"
# The documented rule for a client seed's characters: printable ASCII other than ':'.
PRINTABLE = frozenset(chr(c) for c in range(0x20, 0x7F)) - {":"}


class PlainStream(Generator):
    """The same byte stream, drawn only through `Generator`'s own scalings."""

    def __init__(self, nonce: int) -> None:
        self._stream = FairGenerator(SEED, CLIENT, nonce)

    def randbytes(self, n: int) -> bytes:
        return self._stream.randbytes(n)


def test_randbelow_equals_the_generic_scaling_for_every_bound_up_to_300() -> None:
    fast, plain = FairGenerator(SEED, CLIENT, 11), PlainStream(11)
    drawn = [(n, fast.randbelow(n)) for n in range(1, 301) for _ in range(3)]
    assert drawn == [(n, plain.randbelow(n)) for n in range(1, 301) for _ in range(3)]


def test_randbelow_and_randbytes_interleaved_read_one_stream_in_order() -> None:
    fast, plain = FairGenerator(SEED, CLIENT, 12), PlainStream(12)
    steps = [24, 5, 37, 0, 256, 31, 2**20, 24, 33, 52, 1, 24, 64]
    for _ in range(20):
        for step in steps:
            if step in (0, 5, 31, 33, 64):
                assert fast.randbytes(step) == plain.randbytes(step)
            else:
                assert fast.randbelow(step) == plain.randbelow(step)
    assert fast.blocks_used == plain._stream.blocks_used == 90


def test_three_reel_stops_are_frozen_across_a_block_boundary() -> None:
    # Taken from the byte-slicing implementation before the in-place reads: one byte per try,
    # a quarter of tries rejected, so 14 spins of three 24-stop reels run into a second block.
    generator = FairGenerator(SEED, CLIENT, 0)
    stops = [tuple(generator.randbelow(24) for _ in range(3)) for _ in range(14)]
    assert stops == [
        (15, 20, 20), (8, 10, 7), (1, 20, 3), (14, 15, 3), (8, 2, 6), (1, 18, 21), (1, 3, 20),
        (6, 15, 9), (9, 18, 4), (2, 8, 14), (4, 10, 5), (15, 10, 16), (21, 2, 10), (12, 6, 9),
    ]  # fmt: skip
    assert generator.blocks_used == 2


@pytest.mark.parametrize("n", [0, -1])
def test_randbelow_of_a_bound_below_one_is_refused(n: int) -> None:
    with pytest.raises(ValueError, match="positive bound"):
        FairGenerator(SEED, CLIENT, 0).randbelow(n)


def test_client_seed_characters_follow_the_documented_rule_for_every_code_point() -> None:
    refused = []
    for code in [*range(0x3000), 0xFFFD, 0x1F600, 0x10FFFF]:
        character = chr(code)
        try:
            validate_client_seed(f"a{character}b")
        except ValueError:
            refused.append(character)
    assert set(refused).isdisjoint(PRINTABLE)
    assert len(refused) == 0x3000 + 3 - len(PRINTABLE)


def test_client_seed_lengths_from_one_to_the_maximum_are_accepted() -> None:
    assert validate_client_seed("x") == "x"
    assert validate_client_seed("x" * CLIENT_SEED_MAX) == "x" * CLIENT_SEED_MAX
    with pytest.raises(ValueError, match="1 to 64 characters"):
        validate_client_seed("x" * (CLIENT_SEED_MAX + 1))
