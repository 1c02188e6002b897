"""Password hashing with argon2id. Hashing is CPU-bound, so it runs off the event loop.

New hashes use this process's parameters (`configure`, from CASINO_PASSWORD_HASH_*; the
argon2-cffi defaults, RFC 9106's low-memory choice, until then). A stored hash carries the
parameters it was made with, so hashes made under others still verify.
"""

from __future__ import annotations

import asyncio
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.config import PasswordHashCost

_hasher = PasswordHasher()


def configure(cost: PasswordHashCost) -> None:
    global _hasher
    _hasher = PasswordHasher(
        time_cost=cost.time_cost, memory_cost=cost.memory_kib, parallelism=cost.parallelism
    )
    _dummy_hash.cache_clear()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the login name is unknown, so both paths cost the same time.
    Made on first use, not at import: a hash costs ~0.1 s of CPU in every process that
    imports this module, most of which never check a password."""
    return _hasher.hash("not a real password, only for timing")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)
