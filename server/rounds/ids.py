"""Round ids: time-ordered (so the rounds table appends) and unguessable (so a client
can never name another's round). 12 hex digits of milliseconds, 20 of CSPRNG."""

from __future__ import annotations

import time

import rng


def new_round_id() -> str:
    return f"{time.time_ns() // 1_000_000:012x}{rng.randbytes(10).hex()}"
