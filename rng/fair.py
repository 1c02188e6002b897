"""Provably fair rounds: a committed server seed, a player's client seed, a nonce.

This module owns the provably fair byte stream and its verification. It never
stores seeds or decides when to rotate them (the server does); it is the
exact algorithm a player re-implements to check a round, written out here so
that nobody needs to read Python to do so.

The algorithm, frozen by the known-answer tests in tests/test_rng_fair.py:

1. Before play the server draws a secret 32-byte `server_seed` and shows
   `seed_hash = hex(SHA-256(server_seed))` (64 lowercase hex digits). The
   player picks a `client_seed`: 1 to 64 printable ASCII characters
   (0x20 to 0x7E) other than ':'. Each round uses the next `nonce`
   (0, 1, 2, ... in decimal, no leading zeros).
2. The round's byte stream is the concatenation, for counter = 0, 1, 2, ...,
   of the 32-byte blocks
       HMAC-SHA256(key = server_seed, message = ASCII "{client_seed}:{nonce}:{counter}")
   Bytes are consumed strictly in order; what is left of a block is used
   before the next block is computed.
3. Outcomes are taken from the stream as follows (the scalings of
   `rng.generator.Generator`, shared with the production generator):
   - randbelow(n), a uniform integer in [0, n): if n == 1 the result is 0 and
     no byte is consumed. Otherwise k = bit_length(n - 1), the number of bits
     of n - 1; take the next ceil(k / 8) bytes as a big-endian integer, keep
     its top k bits (shift right by 8 * ceil(k / 8) - k); if the value is
     >= n, discard it and repeat; otherwise it is the result.
     Example: n = 37 gives k = 6: take one byte b, value = b >> 2, retry
     while value >= 37.
   - randint(a, b) = a + randbelow(b - a + 1).
   - choice(items) = items[randbelow(len(items))].
   - weighted_index(weights) with integer weights: r = randbelow(sum(weights));
     the result is the first index i with weights[0] + ... + weights[i] > r.
   - shuffle(items), Fisher-Yates from the end: for i = len - 1 down to 1,
     j = randbelow(i + 1), swap items[i] and items[j].
   - random(), a float in [0, 1): the top 53 bits of the next 7 bytes
     (big-endian, shifted right by 3), divided by 2**53.
4. After the seed is rotated the server reveals `server_seed`; anyone checks
   SHA-256(server_seed) == seed_hash and replays each round from
   (server_seed, client_seed, nonce).

In Python the whole stream is:

    def stream(server_seed: bytes, client_seed: str, nonce: int):
        counter = 0
        while True:
            message = f"{client_seed}:{nonce}:{counter}".encode("ascii")
            yield from hmac.new(server_seed, message, "sha256").digest()
            counter += 1
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

from rng.generator import Generator
from rng.system import SystemGenerator

T = TypeVar("T")

SEED_BYTES = 32
CLIENT_SEED_MAX = 64

# Seeds come straight from the OS, never through the buffered shared generator,
# so a seed shares no buffer with any other draw.
_seed_source = SystemGenerator(block_size=SEED_BYTES)


class Verdict(StrEnum):
    """What verifying a round found."""

    MATCH = "match"
    SEED_MISMATCH = "seed-mismatch"  # the revealed seed does not hash to the commitment
    OUTCOME_MISMATCH = "outcome-mismatch"  # the replayed outcome differs from the recorded one


def new_server_seed() -> bytes:
    """A fresh secret server seed: 32 bytes from the operating system's CSPRNG."""
    return _seed_source.randbytes(SEED_BYTES)


def seed_hash(server_seed: bytes) -> str:
    """The commitment shown before play: hex SHA-256 of the raw seed bytes."""
    _check_server_seed(server_seed)
    return hashlib.sha256(server_seed).hexdigest()


def verify_commitment(server_seed: bytes, expected_hash: str) -> bool:
    """True when the revealed seed hashes to the commitment (compared in constant time)."""
    if len(server_seed) != SEED_BYTES:
        return False
    actual = hashlib.sha256(server_seed).hexdigest().encode("ascii")
    return hmac.compare_digest(actual, expected_hash.strip().lower().encode("utf-8"))


def validate_client_seed(client_seed: str) -> str:
    """Return `client_seed` if it is 1..64 printable ASCII characters without ':'.

    ':' separates the fields of the HMAC message, so forbidding it keeps every
    (client seed, nonce, counter) triple a distinct message.
    """
    if not 1 <= len(client_seed) <= CLIENT_SEED_MAX:
        raise ValueError(f"a client seed has 1 to {CLIENT_SEED_MAX} characters")
    # For ASCII, str.isprintable() is exactly 0x20..0x7E: three C-level scans instead of a
    # Python loop per character, run once per round (a test checks every code point).
    if not (client_seed.isascii() and client_seed.isprintable()) or ":" in client_seed:
        raise ValueError("a client seed holds printable ASCII characters other than ':'")
    return client_seed


class FairGenerator(Generator):
    """The byte stream of one provably fair round; the scalings come from `Generator`.

    The stream is held as the current block (`_pending`) and a read position in it, so a
    draw reads bytes in place instead of re-slicing the rest of the block each time.
    """

    __slots__ = ("_counter", "_key", "_offset", "_pending", "_prefix")

    def __init__(self, server_seed: bytes, client_seed: str, nonce: int) -> None:
        _check_server_seed(server_seed)
        if type(nonce) is not int and (isinstance(nonce, bool) or not isinstance(nonce, int)):
            raise ValueError("a nonce is a non-negative integer")
        if nonce < 0:
            raise ValueError("a nonce is a non-negative integer")
        self._key = bytes(server_seed)
        self._prefix = f"{validate_client_seed(client_seed)}:{nonce}:"
        self._counter = 0
        self._pending = b""
        self._offset = 0  # bytes of _pending already handed out

    @property
    def blocks_used(self) -> int:
        """How many HMAC blocks the round has consumed so far (part of the round's record)."""
        return self._counter

    def randbytes(self, n: int) -> bytes:
        if n < 0:
            raise ValueError("number of bytes must be non-negative")
        start = self._offset
        end = start + n
        if end <= len(self._pending):
            self._offset = end
            return self._pending[start:end]
        # Collected in a list: growing one bytes object would copy it per block.
        blocks = [self._pending[start:]]
        have = len(blocks[0])
        while have < n:
            blocks.append(self._block(self._counter))
            self._counter += 1
            have += len(blocks[-1])
        self._pending = b"".join(blocks)
        self._offset = n
        return self._pending[:n]

    def randbelow(self, n: int) -> int:
        """`Generator.randbelow` exactly; bounds up to 256 (reels, wheels, decks) take one
        byte per try, read in place, without the randbits/randbytes calls per try."""
        if n <= 1 or n > 256:
            return super().randbelow(n)
        shift = 8 - (n - 1).bit_length()
        pending, offset = self._pending, self._offset
        while True:
            if offset == len(pending):
                pending, offset = self._block(self._counter), 0
                self._counter += 1
                self._pending = pending
            value = pending[offset] >> shift
            offset += 1
            if value < n:
                self._offset = offset
                return value

    def _block(self, counter: int) -> bytes:
        message = f"{self._prefix}{counter}".encode("ascii")
        return hmac.digest(self._key, message, "sha256")


def replay(server_seed: bytes, client_seed: str, nonce: int, draw: Callable[[Generator], T]) -> T:
    """Recompute a round's outcome: run `draw` (the game's pure draw) on the round's stream."""
    return draw(FairGenerator(server_seed, client_seed, nonce))


def verify_round(
    server_seed: bytes,
    committed_hash: str,
    client_seed: str,
    nonce: int,
    draw: Callable[[Generator], T],
    recorded: T,
) -> Verdict:
    """Check a settled round against its revealed seed: commitment first, then the outcome.

    A `draw` that raises ValueError could not replay the recorded inputs on
    this stream (a blackjack action that is illegal on the cards it deals):
    the stream cannot have produced the recorded round, a mismatch as well.
    """
    if not verify_commitment(server_seed, committed_hash):
        return Verdict.SEED_MISMATCH
    try:
        replayed = replay(server_seed, client_seed, nonce, draw)
    except ValueError:
        return Verdict.OUTCOME_MISMATCH
    if replayed != recorded:
        return Verdict.OUTCOME_MISMATCH
    return Verdict.MATCH


def _check_server_seed(server_seed: bytes) -> None:
    if not isinstance(server_seed, (bytes, bytearray)) or len(server_seed) != SEED_BYTES:
        raise ValueError(f"a server seed is exactly {SEED_BYTES} bytes")
