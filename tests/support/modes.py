"""Shared pieces of the mode tests (this module holds no tests).

`live_env` is a configuration a live server accepts: a real-looking https
gateway and a live key that are not defaults, so the live tests start a real
live server, and each refusal test breaks exactly one thing in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import rng
from server.storage.redis_child import RedisChild
from tests.conftest import ServerProcess, start_server, stop_server
from tests.test_run_commands import embedded_env

# No call reaches it: a live server calls its gateway only for a payment, and none is made.
GATEWAY_URL = "https://api.acquirer-payments.com/v1"


def live_key() -> str:
    return f"sk_live_{rng.token_urlsafe(24)}"


def live_settings_env() -> dict[str, str]:
    """The variables that make a live configuration acceptable (no other variable needed)."""
    return {
        "CASINO_MODE": "live",
        "CASINO_PAYMENT_GATEWAY_URL": GATEWAY_URL,
        "CASINO_PAYMENT_GATEWAY_KEY": live_key(),
        "CASINO_KYC_KEY": rng.token_urlsafe(32),
        # OWASP's least argon2id cost, which live accepts (the suite's own is cheaper).
        "CASINO_PASSWORD_HASH_TIME_COST": "2",
        "CASINO_PASSWORD_HASH_MEMORY_KIB": "19456",
        "CASINO_PASSWORD_HASH_PARALLELISM": "1",
    }


def live_env(data_dir: Path) -> dict[str, str]:
    """`run.py serve` on its embedded Redis in `data_dir`, in live mode, acceptable."""
    return {**embedded_env(data_dir), **live_settings_env()}


__all__ = ["GATEWAY_URL", "live_env", "live_key", "live_settings_env"]


@contextmanager
def live_server(workdir: Path) -> Iterator[ServerProcess]:
    """`run.py serve` in live mode with an acceptable configuration, on a Redis of its own."""
    redis = RedisChild(workdir / "redis")
    redis.start()
    try:
        server = start_server(workdir, redis, live_settings_env())
    except BaseException:
        redis.stop()
        raise
    try:
        yield server
    finally:
        stop_server(server)
        redis.stop()
