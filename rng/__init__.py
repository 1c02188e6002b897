"""The project's only source of randomness: the OS CSPRNG, scaled without bias.

Import the functions directly (`from rng import randbelow, shuffle`) to drive the
exact production path; games receive a `Generator` so a provably fair stream can
stand in for the system one.
"""

import base64

from rng.generator import Generator, WeightedTable
from rng.system import SystemGenerator

system = SystemGenerator()

randbytes = system.randbytes
randbits = system.randbits
randbelow = system.randbelow
randint = system.randint
choice = system.choice
weighted_index = system.weighted_index
shuffle = system.shuffle
sample = system.sample
random = system.random


def token_urlsafe(nbytes: int = 32) -> str:
    """An unguessable URL-safe token (session tokens, seeds) from the system generator."""
    return base64.urlsafe_b64encode(randbytes(nbytes)).rstrip(b"=").decode("ascii")


__all__ = [
    "Generator",
    "SystemGenerator",
    "WeightedTable",
    "choice",
    "randbelow",
    "randbits",
    "randbytes",
    "randint",
    "random",
    "sample",
    "shuffle",
    "system",
    "token_urlsafe",
    "weighted_index",
]
