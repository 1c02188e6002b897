"""Provably fair rounds: the frozen algorithm, seed rules, and verification of rounds.

The known answers below freeze the byte stream and the scalings documented in
rng/fair.py: changing either breaks every proof players already hold. The
stand-alone reference functions re-implement the documented algorithm from
the docstring alone, as a player would.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

import pytest

from rng.fair import (
    FairGenerator,
    Verdict,
    new_server_seed,
    replay,
    seed_hash,
    validate_client_seed,
    verify_commitment,
    verify_round,
)
from rng.generator import Generator

SEED = bytes(range(32))
CLIENT = "player-chosen seed"
REEL_LENGTHS = (24, 24, 24)


def reference_stream(server_seed: bytes, client_seed: str, nonce: int) -> Iterator[int]:
    counter = 0
    while True:
        message = f"{client_seed}:{nonce}:{counter}".encode("ascii")
        yield from hmac.new(server_seed, message, "sha256").digest()
        counter += 1


def reference_randbelow(stream: Iterator[int], n: int) -> int:
    if n == 1:
        return 0
    k = (n - 1).bit_length()
    nbytes = (k + 7) // 8
    while True:
        value = int.from_bytes(bytes(next(stream) for _ in range(nbytes)), "big")
        value >>= nbytes * 8 - k
        if value < n:
            return value


def spin(rng: Generator) -> tuple[int, ...]:
    """A round's draw as a slot game makes it: one stop per reel."""
    return tuple(rng.randbelow(length) for length in REEL_LENGTHS)


def test_seed_hash_is_hex_sha256_of_the_raw_seed() -> None:
    # SHA-256 of the bytes 0x00..0x1f, a published test vector.
    expected = "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd"
    assert seed_hash(SEED) == expected


def test_stream_is_frozen_for_a_known_seed_client_seed_and_nonce() -> None:
    assert FairGenerator(SEED, CLIENT, 0).randbytes(64).hex() == (
        "79f0a3a140503b0ca41c76791b411632c9c3fa0d93a80918a0f6377c4a4b9323"
        "17447026522f7ef95180ab105164314ee6892f87fe19c1da8098907db1781d74"
    )


def test_first_block_is_hmac_sha256_of_client_seed_nonce_and_counter_zero() -> None:
    block = hmac.new(SEED, b"player-chosen seed:0:0", hashlib.sha256).digest()
    assert FairGenerator(SEED, CLIENT, 0).randbytes(32) == block


def test_leftover_bytes_of_a_block_are_used_before_the_next_block() -> None:
    generator = FairGenerator(SEED, CLIENT, 5)
    pieces = b"".join(generator.randbytes(size) for size in (1, 30, 3, 0, 40, 26))
    stream = reference_stream(SEED, CLIENT, 5)
    assert pieces == bytes(next(stream) for _ in range(100))
    assert generator.blocks_used == 4


def test_randbelow_37_is_frozen() -> None:
    generator = FairGenerator(SEED, CLIENT, 0)
    # Bytes 79 f0 a3 a1 40 ...: 0x79>>2 = 30; 0xf0>>2, 0xa3>>2, 0xa1>>2 are >= 37, rejected.
    drawn = [generator.randbelow(37) for _ in range(12)]
    assert drawn == [30, 16, 20, 14, 3, 7, 29, 30, 6, 16, 5, 12]


def test_randbelow_52_is_frozen() -> None:
    generator = FairGenerator(SEED, CLIENT, 1)
    drawn = [generator.randbelow(52) for _ in range(12)]
    assert drawn == [45, 46, 45, 5, 44, 46, 6, 29, 49, 7, 27, 11]


def test_shuffle_of_a_deck_is_frozen() -> None:
    deck = list(range(52))
    FairGenerator(SEED, CLIENT, 7).shuffle(deck)
    assert deck[:10] == [50, 27, 49, 32, 33, 41, 25, 29, 17, 9]


def test_float_wide_bound_and_weighted_draws_are_frozen() -> None:
    generator = FairGenerator(SEED, CLIENT, 2)
    assert generator.random() == 0.4145986892814655
    assert generator.randbelow(2**31 + 1) == 229356217
    assert generator.weighted_index([1, 2, 3, 4, 6, 8, 10, 12, 14, 16, 24]) == 7


@pytest.mark.parametrize("n", [1, 2, 3, 37, 52, 100, 256, 257, 2**31 + 1, 10**30])
def test_randbelow_follows_the_documented_algorithm(n: int) -> None:
    generator = FairGenerator(SEED, CLIENT, n % 1000)
    stream = reference_stream(SEED, CLIENT, n % 1000)
    assert [generator.randbelow(n) for _ in range(50)] == [
        reference_randbelow(stream, n) for _ in range(50)
    ]


def test_changing_the_nonce_changes_the_stream() -> None:
    assert FairGenerator(SEED, CLIENT, 0).randbytes(32) != FairGenerator(SEED, CLIENT, 1).randbytes(
        32
    )


def test_new_server_seeds_are_32_fresh_bytes() -> None:
    first, second = new_server_seed(), new_server_seed()
    assert (len(first), len(second)) == (32, 32)
    assert first != second


@pytest.mark.parametrize("client_seed", ["a", " spaces are printable ", "~" * 64, "x!#$%&()*+,-./"])
def test_printable_client_seeds_are_accepted(client_seed: str) -> None:
    assert validate_client_seed(client_seed) == client_seed


@pytest.mark.parametrize("client_seed", ["", "x" * 65, "a:b", "café", "tab\there", "new\nline"])
def test_other_client_seeds_are_refused(client_seed: str) -> None:
    with pytest.raises(ValueError, match="client seed"):
        FairGenerator(SEED, client_seed, 0)


@pytest.mark.parametrize("nonce", [-1, True])
def test_a_nonce_must_be_a_non_negative_integer(nonce: int) -> None:
    with pytest.raises(ValueError, match="nonce"):
        FairGenerator(SEED, CLIENT, nonce)


@pytest.mark.parametrize("server_seed", [b"", bytes(31), bytes(33), SEED.hex().encode()])
def test_a_server_seed_must_be_exactly_32_bytes(server_seed: bytes) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        FairGenerator(server_seed, CLIENT, 0)


def test_commitment_verifies_for_the_revealed_seed() -> None:
    seed = new_server_seed()
    assert verify_commitment(seed, seed_hash(seed))
    assert verify_commitment(seed, seed_hash(seed).upper())


def test_commitment_fails_for_any_other_seed() -> None:
    seed = new_server_seed()
    altered = bytes([seed[0] ^ 1]) + seed[1:]
    assert not verify_commitment(altered, seed_hash(seed))
    assert not verify_commitment(seed[:31], seed_hash(seed))
    assert not verify_commitment(seed, "é" * 64)


def test_replay_recomputes_the_rounds_outcome() -> None:
    assert replay(SEED, CLIENT, 0, spin) == spin(FairGenerator(SEED, CLIENT, 0))


def test_a_real_round_verifies() -> None:
    seed = new_server_seed()
    committed = seed_hash(seed)
    outcome = spin(FairGenerator(seed, "my lucky seed", 41))
    assert verify_round(seed, committed, "my lucky seed", 41, spin, outcome) is Verdict.MATCH


def test_verification_fails_when_the_seed_is_altered() -> None:
    seed = new_server_seed()
    outcome = spin(FairGenerator(seed, CLIENT, 3))
    other = new_server_seed()
    assert verify_round(other, seed_hash(seed), CLIENT, 3, spin, outcome) is Verdict.SEED_MISMATCH


def test_verification_fails_when_the_client_seed_is_altered() -> None:
    outcome = spin(FairGenerator(SEED, CLIENT, 3))
    verdict = verify_round(SEED, seed_hash(SEED), CLIENT + "!", 3, spin, outcome)
    assert verdict is Verdict.OUTCOME_MISMATCH


def test_verification_fails_when_the_nonce_is_altered() -> None:
    outcome = spin(FairGenerator(SEED, CLIENT, 3))
    verdict = verify_round(SEED, seed_hash(SEED), CLIENT, 4, spin, outcome)
    assert verdict is Verdict.OUTCOME_MISMATCH


def test_verification_fails_when_the_outcome_is_altered() -> None:
    stops = spin(FairGenerator(SEED, CLIENT, 3))
    altered = ((stops[0] + 1) % 24, *stops[1:])
    verdict = verify_round(SEED, seed_hash(SEED), CLIENT, 3, spin, altered)
    assert verdict is Verdict.OUTCOME_MISMATCH


def test_a_replay_that_refuses_the_recorded_inputs_is_an_outcome_mismatch() -> None:
    def refusing(stream: Generator) -> int:
        if stream.randbelow(2):
            raise ValueError("stand is not allowed: the round is settled")
        return 0

    nonce = next(n for n in range(64) if FairGenerator(SEED, CLIENT, n).randbelow(2))
    verdict = verify_round(SEED, seed_hash(SEED), CLIENT, nonce, refusing, 0)
    assert verdict is Verdict.OUTCOME_MISMATCH
