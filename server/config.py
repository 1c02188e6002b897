"""Settings from environment variables, validated once at start-up.

Every variable is listed in `VARIABLES` with its default and meaning; the
README table mirrors it. A bad value fails fast with the variable's name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
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
    "CASINO_PING_INTERVAL_SECONDS": ("20", "The server pings every WebSocket this often."),
    "CASINO_PING_TIMEOUT_SECONDS": ("20", "A peer silent this long after a ping is closed (1011)."),
    "CASINO_IDLE_TIMEOUT_SECONDS": ("900", "A session with no request this long is closed (4002)."),
    "CASINO_MAX_SESSIONS_PER_PLAYER": ("5", "Open WebSocket sessions one player may have at once."),
    "CASINO_MAX_CONNECTIONS_PER_IP": ("100", "WebSockets one address may hold open, per process."),
    "CASINO_RATE_PER_SECOND": ("20", "Requests per second a connection may sustain."),
    "CASINO_RATE_BURST": ("40", "Requests a connection may send in a burst above the rate."),
    "CASINO_MAX_PENDING": ("8", "Requests of one connection in progress at once."),
    "CASINO_MAX_VIOLATIONS": ("20", "Refused frames (limits) before the socket is closed (1008)."),
    "CASINO_SHUTDOWN_GRACE_SECONDS": ("5", "On SIGTERM, how long in-flight requests may finish."),
    "CASINO_MAX_STREAM_BACKLOG": (
        "50000",
        "Settled rounds not yet durable before bets are refused.",
    ),
    "CASINO_REDIS_APPENDFSYNC": (
        "always",
        "The embedded Redis's AOF fsync: always, or everysec (see Durability).",
    ),
    "CASINO_MAX_STREAM_LAG_MS": (
        "5000",
        "Age of the oldest round not yet durable before bets are refused.",
    ),
    "CASINO_FLUSH_BATCH": ("2000", "Most settled rounds written to the database per commit."),
    "CASINO_FLUSH_BLOCK_MS": ("50", "How long the flusher waits for new rounds per read."),
    "CASINO_MIN_AGE": ("18", "Minimum player age at registration."),
    "CASINO_MAX_DEPOSIT": ("100000000", "Largest single sandbox deposit, minor units."),
    "CASINO_NO_BOOTSTRAP": ("", "Set to 1 to skip run.py's venv and apt-get set-up."),
    "CASINO_LOG_LEVEL": ("INFO", "Log level of every logger: DEBUG, INFO, WARNING, ERROR."),
    "CASINO_LOG_LEVELS": ("", "Per-logger levels: server.rounds=DEBUG,uvicorn.access=WARNING."),
    "CASINO_READY_MAX_FLUSH_LAG_SECONDS": ("30", "/ready answers 503 when rounds wait longer."),
    "CASINO_METRICS_TOKEN": ("", "When set, /metrics requires Authorization: Bearer <token>."),
    "CASINO_PAYMENT_GATEWAY_URL": ("", "Payment gateway base URL; unset: payments are off."),
    "CASINO_PAYMENT_TIMEOUT_MS": ("2000", "Per-attempt connect/read timeout of a gateway call."),
    "CASINO_PAYMENT_RETRIES": ("3", "Gateway call retries after the first, with the same key."),
    "CASINO_PAYMENT_BACKOFF_MS": ("100", "Wait before the first retry; doubled each time."),
    "CASINO_PAYMENT_RECOVERY_SECONDS": ("30", "How often pending payments are resolved."),
    "CASINO_LOGIN_MAX_FAILURES": ("5", "Failed logins of one account before it is locked."),
    "CASINO_LOGIN_MAX_FAILURES_PER_ADDRESS": (
        "50",
        "Failed logins from one client address before it is locked.",
    ),
    "CASINO_LOGIN_LOCK_SECONDS": ("900", "Window the failures count in, and the lock's length."),
    "CASINO_KYC_MAX_DOCUMENT_BYTES": ("5242880", "Largest KYC document upload, in bytes."),
    "CASINO_CORS_ORIGINS": ("", "Origins allowed cross-origin (comma-separated); unset: none."),
}

# Variables whose values hold credentials: `run.py config` never prints them (for URLs, only
# the password part is hidden).
SECRETS = frozenset({"CASINO_REDIS_URL", "CASINO_DATABASE_URL", "CASINO_METRICS_TOKEN"})
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
_LOGGER_NAME = re.compile(r"^[A-Za-z_][\w.-]*$")


def _int(env: Mapping[str, str], name: str, minimum: int = 1, maximum: int | None = None) -> int:
    raw = env.get(name) or VARIABLES[name][0]
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name} must be at most {maximum}, got {value}")
    return value


APPENDFSYNC = ("always", "everysec")


def _appendfsync(raw: str) -> str:
    # "no" is not offered: it leaves the AOF to the OS, which may lose acknowledged rounds.
    if raw not in APPENDFSYNC:
        raise ConfigError(f"CASINO_REDIS_APPENDFSYNC must be always or everysec, got {raw!r}")
    return raw


def _level(name: str, raw: str) -> str:
    level = raw.strip().upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"{name} must be one of {', '.join(LOG_LEVELS)}, got {raw!r}")
    return level


def _log_levels(env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """CASINO_LOG_LEVELS: `logger=LEVEL` pairs separated by commas."""
    name = "CASINO_LOG_LEVELS"
    pairs = []
    for item in filter(None, (part.strip() for part in env.get(name, "").split(","))):
        logger, sep, level = item.partition("=")
        if not sep or not _LOGGER_NAME.match(logger.strip()):
            raise ConfigError(f"{name} must be logger=LEVEL pairs, comma-separated; got {item!r}")
        pairs.append((logger.strip(), _level(name, level)))
    return tuple(pairs)


def _gateway_url(env: Mapping[str, str]) -> str:
    url = env.get("CASINO_PAYMENT_GATEWAY_URL", "")
    if url and not url.startswith(("http://", "https://")):
        raise ConfigError("CASINO_PAYMENT_GATEWAY_URL must start with http:// or https://")
    return url


def _cors_origins(env: Mapping[str, str]) -> tuple[str, ...]:
    """CASINO_CORS_ORIGINS: exact origins (scheme://host[:port]); `*` is refused on purpose."""
    name = "CASINO_CORS_ORIGINS"
    origins = tuple(filter(None, (part.strip() for part in env.get(name, "").split(","))))
    for origin in origins:
        if not _ORIGIN.match(origin):
            raise ConfigError(f"{name} must list origins like https://example.com, got {origin!r}")
    return origins


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    redis_url: str
    database_path: Path
    session_ttl_s: int
    reservation_ttl_s: int
    round_timeout_s: int
    max_frame_bytes: int
    ping_interval_s: int
    ping_timeout_s: int
    idle_timeout_s: int
    max_sessions_per_player: int
    max_connections_per_ip: int
    rate_per_second: int
    rate_burst: int
    max_pending: int
    max_violations: int
    shutdown_grace_s: int
    max_stream_backlog: int
    max_stream_lag_ms: int
    redis_appendfsync: str
    flush_batch: int
    flush_block_ms: int
    min_age: int
    max_deposit: int
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    log_levels: tuple[tuple[str, str], ...] = ()
    ready_max_flush_lag_s: int = 30
    metrics_token: str = field(default="", repr=False)
    payment_gateway_url: str = ""
    payment_timeout_ms: int = 2000
    payment_retries: int = 3
    payment_backoff_ms: int = 100
    payment_recovery_s: int = 30
    login_max_failures: int = 5
    login_max_failures_per_address: int = 50
    login_lock_s: int = 900
    kyc_max_document_bytes: int = 5 * 1024 * 1024
    cors_origins: tuple[str, ...] = ()

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
            ping_interval_s=_int(env, "CASINO_PING_INTERVAL_SECONDS"),
            ping_timeout_s=_int(env, "CASINO_PING_TIMEOUT_SECONDS"),
            idle_timeout_s=_int(env, "CASINO_IDLE_TIMEOUT_SECONDS"),
            max_sessions_per_player=_int(env, "CASINO_MAX_SESSIONS_PER_PLAYER"),
            max_connections_per_ip=_int(env, "CASINO_MAX_CONNECTIONS_PER_IP"),
            rate_per_second=_int(env, "CASINO_RATE_PER_SECOND"),
            rate_burst=_int(env, "CASINO_RATE_BURST"),
            max_pending=_int(env, "CASINO_MAX_PENDING"),
            max_violations=_int(env, "CASINO_MAX_VIOLATIONS"),
            shutdown_grace_s=_int(env, "CASINO_SHUTDOWN_GRACE_SECONDS", minimum=0),
            max_stream_backlog=_int(env, "CASINO_MAX_STREAM_BACKLOG"),
            max_stream_lag_ms=_int(env, "CASINO_MAX_STREAM_LAG_MS"),
            redis_appendfsync=_appendfsync(env.get("CASINO_REDIS_APPENDFSYNC") or "always"),
            flush_batch=_int(env, "CASINO_FLUSH_BATCH"),
            flush_block_ms=_int(env, "CASINO_FLUSH_BLOCK_MS"),
            min_age=_int(env, "CASINO_MIN_AGE"),
            max_deposit=_int(env, "CASINO_MAX_DEPOSIT"),
            host=env.get("CASINO_HOST") or VARIABLES["CASINO_HOST"][0],
            port=_int(env, "CASINO_PORT", maximum=65535),
            log_level=_level("CASINO_LOG_LEVEL", env.get("CASINO_LOG_LEVEL") or "INFO"),
            log_levels=_log_levels(env),
            ready_max_flush_lag_s=_int(env, "CASINO_READY_MAX_FLUSH_LAG_SECONDS"),
            metrics_token=env.get("CASINO_METRICS_TOKEN", ""),
            payment_gateway_url=_gateway_url(env),
            payment_timeout_ms=_int(env, "CASINO_PAYMENT_TIMEOUT_MS"),
            payment_retries=_int(env, "CASINO_PAYMENT_RETRIES", minimum=0, maximum=10),
            payment_backoff_ms=_int(env, "CASINO_PAYMENT_BACKOFF_MS", minimum=0),
            payment_recovery_s=_int(env, "CASINO_PAYMENT_RECOVERY_SECONDS"),
            login_max_failures=_int(env, "CASINO_LOGIN_MAX_FAILURES"),
            login_max_failures_per_address=_int(env, "CASINO_LOGIN_MAX_FAILURES_PER_ADDRESS"),
            login_lock_s=_int(env, "CASINO_LOGIN_LOCK_SECONDS"),
            kyc_max_document_bytes=_int(env, "CASINO_KYC_MAX_DOCUMENT_BYTES", minimum=1024),
            cors_origins=_cors_origins(env),
        )
