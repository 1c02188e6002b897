"""Settings from environment variables, validated once at start-up.

Every variable is listed in `VARIABLES` with its default and meaning; the
README table mirrors it. A bad value fails fast with the variable's name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


class ConfigError(ValueError):
    pass


# name -> (default, description)
VARIABLES: dict[str, tuple[str, str]] = {
    "CASINO_HOST": ("127.0.0.1", "Address `run.py serve` listens on (also --host)."),
    "CASINO_PORT": ("8000", "Port for HTTP and WebSocket (also --port)."),
    "CASINO_DATA_DIR": ("./data", "Where the embedded SQLite file and Redis AOF live."),
    "CASINO_REDIS_URL": ("", "Use this Redis instead of starting a private redis-server."),
    "CASINO_DATABASE_URL": ("", "sqlite:///path/to/file.db; default: DATA_DIR/casino.db."),
    "CASINO_SESSION_TTL_SECONDS": ("86400", "How long a login session token stays valid."),
    "CASINO_RESERVATION_TTL_SECONDS": ("60", "A stake reservation never settled is voided after."),
    "CASINO_ROUND_TIMEOUT_SECONDS": (
        "300",
        "An unfinished blackjack hand is completed (stand) after.",
    ),
    "CASINO_MAX_FRAME_BYTES": ("16384", "Largest WebSocket message answered normally."),
    "CASINO_FLUSH_BATCH": ("500", "Most settled rounds written to the database per commit."),
    "CASINO_FLUSH_BLOCK_MS": ("50", "How long the flusher waits for new rounds per read."),
    "CASINO_MIN_AGE": ("18", "Minimum player age at registration."),
    "CASINO_MAX_DEPOSIT": ("100000000", "Largest single sandbox deposit, minor units."),
    "CASINO_NO_BOOTSTRAP": ("", "Set to 1 to skip run.py's venv and apt-get set-up."),
}


def _int(env: Mapping[str, str], name: str, minimum: int = 1) -> int:
    raw = env.get(name) or VARIABLES[name][0]
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    redis_url: str
    database_path: Path
    session_ttl_s: int
    reservation_ttl_s: int
    round_timeout_s: int
    max_frame_bytes: int
    flush_batch: int
    flush_block_ms: int
    min_age: int
    max_deposit: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("CASINO_DATA_DIR") or VARIABLES["CASINO_DATA_DIR"][0])
        database_url = env.get("CASINO_DATABASE_URL", "")
        if not database_url:
            database_path = data_dir / "casino.db"
        elif database_url.startswith("sqlite:///"):
            database_path = Path(database_url.removeprefix("sqlite:///"))
        else:
            scheme = database_url.split(":", 1)[0]  # never echo the rest: it may hold a password
            raise ConfigError(f"CASINO_DATABASE_URL must start with sqlite:/// (got {scheme}:)")
        redis_url = env.get("CASINO_REDIS_URL", "")
        if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError("CASINO_REDIS_URL must start with redis://, rediss:// or unix://")
        return cls(
            data_dir=data_dir,
            redis_url=redis_url,
            database_path=database_path,
            session_ttl_s=_int(env, "CASINO_SESSION_TTL_SECONDS"),
            reservation_ttl_s=_int(env, "CASINO_RESERVATION_TTL_SECONDS"),
            round_timeout_s=_int(env, "CASINO_ROUND_TIMEOUT_SECONDS"),
            max_frame_bytes=_int(env, "CASINO_MAX_FRAME_BYTES", minimum=256),
            flush_batch=_int(env, "CASINO_FLUSH_BATCH"),
            flush_block_ms=_int(env, "CASINO_FLUSH_BLOCK_MS"),
            min_age=_int(env, "CASINO_MIN_AGE"),
            max_deposit=_int(env, "CASINO_MAX_DEPOSIT"),
        )
