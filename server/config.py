"""Settings from environment variables, validated once at start-up.

Every variable is listed in `VARIABLES` with its default and meaning; the
README table mirrors it. A bad value fails fast with the variable's name.
Whether a valid configuration may run in its mode (sandbox or live) is judged
in `server.mode`, not here: that needs the database as well.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class ConfigError(ValueError):
    pass


class Mode(StrEnum):
    """Which money the server moves, as a payment processor's test and live keys say."""

    SANDBOX = "sandbox"  # play money: sandbox deposits, gateway and provider allowed
    LIVE = "live"  # real money: nothing sandbox is mounted or started


# The sandbox gateway's published key (clients/sandbox_gateway.py holds the same): a server
# in sandbox mode that was given none sends it. Never a live key: see server/mode.py.
SANDBOX_GATEWAY_KEY = "sk_test_sandbox"
# The sandbox self-exclusion register's published key (clients/sandbox_register.py holds it).
SANDBOX_REGISTER_KEY = "register_test_sandbox"
TEST_KEY_PREFIX, LIVE_KEY_PREFIX = "sk_test_", "sk_live_"


# name -> (default, description)
VARIABLES: dict[str, tuple[str, str]] = {
    "CASINO_MODE": ("sandbox", "sandbox (play money, the default) or live (see Modes)."),
    "CASINO_HOST": ("127.0.0.1", "Address `run.py serve` listens on (also --host)."),
    "CASINO_PORT": ("8000", "Port for HTTP and WebSocket (also --port)."),
    "CASINO_DATA_DIR": ("./data", "Where the embedded SQLite file and Redis AOF live."),
    "CASINO_REDIS_URL": ("", "Use this Redis instead of starting a private redis-server."),
    "CASINO_DATABASE_URL": (
        "",
        "sqlite:///path/to/file.db or postgresql://user:password@host:5432/name;"
        " default: DATA_DIR/casino.db.",
    ),
    "CASINO_SESSION_TTL_SECONDS": ("86400", "How long a login session token stays valid."),
    "CASINO_PASSWORD_HASH_TIME_COST": ("3", "argon2id passes over memory per password hash."),
    "CASINO_PASSWORD_HASH_MEMORY_KIB": ("65536", "argon2id memory per password hash, in KiB."),
    "CASINO_PASSWORD_HASH_PARALLELISM": ("4", "argon2id lanes (threads) per password hash."),
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
    "CASINO_REQUEST_TIMEOUT_SECONDS": (
        "30",
        "A WebSocket request still unanswered after this closes its socket (1011).",
    ),
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
    "CASINO_SANDBOX_DAILY_DEPOSIT_LIMIT": (
        "1000000",
        "Most one player may deposit in the sandbox in any 24 hours, minor units.",
    ),
    "CASINO_DEFAULT_PROFILE": (
        "mga",
        "Jurisdiction profile of a player whose country has none of its own: mga or uk.",
    ),
    "CASINO_TEST_PROFILE_COUNTRIES": (
        "",
        "Countries (comma-separated) whose players get the permissive test profile; tests only.",
    ),
    "CASINO_REALITY_CHECK_MIN_SECONDS": (
        "60",
        "Shortest reality-check interval a player may choose, seconds (1 to 60); tests only"
        " lower it.",
    ),
    "CASINO_NO_BOOTSTRAP": ("", "Set to 1 to skip run.py's venv and apt-get set-up."),
    "CASINO_LOG_LEVEL": ("INFO", "Log level of every logger: DEBUG, INFO, WARNING, ERROR."),
    "CASINO_LOG_LEVELS": ("", "Per-logger levels: server.rounds=DEBUG,uvicorn.access=WARNING."),
    "CASINO_READY_MAX_FLUSH_LAG_SECONDS": ("30", "/ready answers 503 when rounds wait longer."),
    "CASINO_METRICS_TOKEN": ("", "When set, /metrics requires Authorization: Bearer <token>."),
    "CASINO_PAYMENT_GATEWAY_URL": ("", "Payment gateway base URL; unset: payments are off."),
    "CASINO_PAYMENT_GATEWAY_KEY": (
        SANDBOX_GATEWAY_KEY,
        "The gateway's API key: sk_test_... moves play money, sk_live_... real money.",
    ),
    "CASINO_PAYMENT_TIMEOUT_MS": ("2000", "Per-attempt connect/read timeout of a gateway call."),
    "CASINO_PAYMENT_RETRIES": ("3", "Gateway call retries after the first, with the same key."),
    "CASINO_PAYMENT_BACKOFF_MS": ("100", "Wait before the first retry; doubled each time."),
    "CASINO_PAYMENT_RECOVERY_SECONDS": ("30", "How often pending payments are resolved."),
    "CASINO_EXCLUSION_REGISTER_URL": (
        "",
        "National self-exclusion register (GAMSTOP API) base URL; unset: sandbox asks nobody,"
        " live refuses GB players' registrations and logins.",
    ),
    "CASINO_EXCLUSION_REGISTER_KEY": (
        SANDBOX_REGISTER_KEY,
        "The self-exclusion register's API key (X-API-Key).",
    ),
    "CASINO_EXCLUSION_REGISTER_TIMEOUT_MS": ("2000", "Per-attempt timeout of a register check."),
    "CASINO_PAYMENT_METHOD_LIMITS": (
        "",
        "Per method and currency, the smallest and largest payment:"
        " card:EUR:500:500000,ewallet:EUR:100:200000 (method card, ewallet or bank_transfer).",
    ),
    "CASINO_WITHDRAWAL_CANCEL": (
        "1",
        "1: a player may cancel a withdrawal still with the bank, where the jurisdiction"
        " allows it; 0: never.",
    ),
    "CASINO_PAYMENT_WEBHOOK_SECRETS": (
        "",
        "Webhook signing secrets, comma-separated (two while rotating); unset in sandbox"
        " mode: the sandbox gateway's published whsec_sandbox.",
    ),
    "CASINO_LOGIN_MAX_FAILURES": ("5", "Failed logins of one account before it is locked."),
    "CASINO_LOGIN_MAX_FAILURES_PER_ADDRESS": (
        "50",
        "Failed logins from one client address before it is locked.",
    ),
    "CASINO_LOGIN_LOCK_SECONDS": ("900", "Window the failures count in, and the lock's length."),
    "CASINO_KYC_MAX_DOCUMENT_BYTES": ("5242880", "Largest KYC document upload, in bytes."),
    "CASINO_KYC_MAX_DOCUMENTS_PER_PLAYER": ("10", "KYC documents one player may have stored."),
    "CASINO_KYC_MAX_BYTES_PER_PLAYER": (
        "26214400",
        "Total bytes of the KYC documents one player may have stored.",
    ),
    "CASINO_KYC_KEY": (
        "",
        "AES-256-GCM key for KYC documents at rest (base64url, 32 bytes); unset in sandbox:"
        " DATA_DIR/kyc.key is generated. Required in live mode.",
    ),
    "CASINO_KYC_VENDOR_URL": (
        "",
        "KYC vendor base URL; unset: documents go to the staff review queue only (embedded"
        " sandbox serving starts the sandbox vendor).",
    ),
    "CASINO_KYC_VENDOR_KEY": ("", "The KYC vendor's API token, sent as a bearer token."),
    "CASINO_KYC_WEBHOOK_URL": (
        "",
        "The address the KYC vendor posts its answers to (this server's"
        " /api/kyc/vendor/webhook); unset: taken from the upload request's own address.",
    ),
    "CASINO_KYC_WEBHOOK_SECRET": (
        "",
        "Shared secret of the KYC vendor's webhooks (HMAC-SHA256 over the raw body).",
    ),
    "CASINO_STAFF_TOKEN": (
        "",
        "Automation key of the staff API (/api/staff/...): acts as role admin, audited as"
        " staff:automation; unset: only staff sessions are accepted.",
    ),
    "CASINO_STAFF_SESSION_SECONDS": ("28800", "How long a staff login session stays valid."),
    "CASINO_WITHDRAWAL_APPROVAL_ABOVE": (
        "0",
        "A withdrawal above this many minor units waits for two staff members' approval"
        " (four eyes); 0: none waits.",
    ),
    "CASINO_AUDIT_HEAD_SECONDS": (
        "3600",
        "How often the audit trail's chain head (newest entry's id and hash) is logged.",
    ),
    "CASINO_SANCTIONS_FILE": (
        "",
        "Sanctions and PEP list in the OpenSanctions simple CSV format, screened at"
        " registration and on profile changes; unset: nobody is screened.",
    ),
    "CASINO_AML_POLICY_FILE": (
        "",
        "JSON file of AML thresholds, windows, actions and EUR rates; unset: the defaults"
        " (due diligence at EUR 2,000 over 7 days).",
    ),
    "CASINO_RISK_POLICY_FILE": (
        "",
        "JSON file of fraud rules' thresholds, windows, severities and actions; unset: the"
        " defaults (server/risk/policy.py).",
    ),
    "CASINO_GEOIP_FILE": (
        "",
        "GeoIP database in MaxMind's MMDB format (GeoLite2 Country or City) giving a login's"
        " country and place; unset: every address is of unknown country.",
    ),
    "CASINO_REGISTRATIONS_PER_ADDRESS": (
        "20",
        "Registrations one client address may make per registration window.",
    ),
    "CASINO_REGISTRATION_WINDOW_SECONDS": (
        "3600",
        "Window the registrations per address count in, and how long a limited one waits.",
    ),
    "CASINO_CORS_ORIGINS": ("", "Origins allowed cross-origin (comma-separated); unset: none."),
    "CASINO_TRUSTED_PROXIES": (
        "",
        "Proxy addresses or networks whose X-Forwarded-For is believed; unset: none.",
    ),
    "CASINO_MAX_HTTP_CONNECTIONS": ("1000", "HTTP connections one process holds at once (503)."),
    "CASINO_HTTP_MAX_HEADER_BYTES": ("16384", "Largest request line plus headers, bytes (431)."),
    "CASINO_HTTP_MAX_HEADERS": ("100", "Most header lines in one request (431)."),
    "CASINO_HTTP_HEADER_TIMEOUT_SECONDS": (
        "10",
        "Time a request's line and headers may take to arrive (408).",
    ),
    "CASINO_HTTP_BODY_TIMEOUT_SECONDS": ("10", "Longest pause inside a request body (408)."),
    "CASINO_HTTP_KEEP_ALIVE_SECONDS": ("5", "An idle keep-alive HTTP connection is closed after."),
    "CASINO_SMTP_URL": (
        "",
        "Mail server: smtp://user:pass@host:587 (STARTTLS) or smtps://...:465; unset in"
        " sandbox: the local mail sink (`run.py mail`).",
    ),
    "CASINO_MAIL_FROM": ("casino@localhost", "The From address of every email to players."),
    "CASINO_PUBLIC_URL": ("", "Base URL of links in emails; unset: the URL a request came to."),
    "CASINO_TOTP_KEY": (
        "",
        "Base64 of 32 bytes that encrypts two-factor secrets; unset: a key kept in DATA_DIR.",
    ),
    "CASINO_VERIFIED_EMAIL_FOR_WITHDRAWAL": (
        "*",
        "Countries whose players verify their email before withdrawing: * all, none, or DE,GB.",
    ),
    "CASINO_EMAIL_VERIFICATION_TTL_SECONDS": (
        "86400",
        "How long an email verification link works.",
    ),
    "CASINO_PASSWORD_RESET_TTL_SECONDS": ("900", "How long a password reset link works."),
    "CASINO_ACCOUNT_MAILS_PER_HOUR": (
        "5",
        "Verification or reset emails one account may be sent per hour.",
    ),
    "CASINO_ACCOUNT_MAILS_PER_ADDRESS": (
        "20",
        "Verification or reset emails one client address may ask for per hour.",
    ),
}

# Variables whose values hold credentials: `run.py config` never prints them (for URLs, only
# the password part is hidden).
SECRETS = frozenset(
    {
        "CASINO_REDIS_URL",
        "CASINO_DATABASE_URL",
        "CASINO_METRICS_TOKEN",
        "CASINO_PAYMENT_GATEWAY_KEY",
        "CASINO_KYC_KEY",
        "CASINO_KYC_VENDOR_KEY",
        "CASINO_KYC_WEBHOOK_SECRET",
        "CASINO_STAFF_TOKEN",
        "CASINO_SMTP_URL",
        "CASINO_TOTP_KEY",
        "CASINO_EXCLUSION_REGISTER_KEY",
        "CASINO_PAYMENT_WEBHOOK_SECRETS",
    }
)
# The sandbox gateway's published signing secret (clients/sandbox_webhooks.py): sandbox only.
SANDBOX_WEBHOOK_SECRET = "whsec_sandbox"  # noqa: S105 (published test value)
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


@dataclass(frozen=True)
class PasswordHashCost:
    """argon2id's parameters for new password hashes (a stored hash carries its own)."""

    time_cost: int
    memory_kib: int
    parallelism: int

    @property
    def below_owasp_minimum(self) -> bool:
        """Weaker than OWASP's least argon2id setting (19 MiB, two passes): live refuses it."""
        return self.memory_kib < 19456 or self.time_cost < 2


def _password_hash(env: Mapping[str, str]) -> PasswordHashCost:
    lanes = _int(env, "CASINO_PASSWORD_HASH_PARALLELISM", maximum=64)
    return PasswordHashCost(
        time_cost=_int(env, "CASINO_PASSWORD_HASH_TIME_COST", maximum=100),
        # argon2 needs 8 KiB per lane.
        memory_kib=_int(env, "CASINO_PASSWORD_HASH_MEMORY_KIB", minimum=8 * lanes, maximum=4 << 20),
        parallelism=lanes,
    )


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
        if not sep or not _LOGGER_NAME.fullmatch(logger.strip()):
            raise ConfigError(f"{name} must be logger=LEVEL pairs, comma-separated; got {item!r}")
        pairs.append((logger.strip(), _level(name, level)))
    return tuple(pairs)


def _gateway_url(env: Mapping[str, str]) -> str:
    url = env.get("CASINO_PAYMENT_GATEWAY_URL", "")
    if url and not url.startswith(("http://", "https://")):
        raise ConfigError("CASINO_PAYMENT_GATEWAY_URL must start with http:// or https://")
    return url


def _register_url(env: Mapping[str, str]) -> str:
    url = env.get("CASINO_EXCLUSION_REGISTER_URL", "")
    if url and not url.startswith(("http://", "https://")):
        raise ConfigError("CASINO_EXCLUSION_REGISTER_URL must start with http:// or https://")
    return url


def _gateway_key(env: Mapping[str, str]) -> str:
    key = env.get("CASINO_PAYMENT_GATEWAY_KEY") or SANDBOX_GATEWAY_KEY
    if not key.startswith((TEST_KEY_PREFIX, LIVE_KEY_PREFIX)):
        # Never echo the value: it is a credential.
        raise ConfigError("CASINO_PAYMENT_GATEWAY_KEY must start with sk_test_ or sk_live_")
    return key


def _smtp_url(env: Mapping[str, str]) -> str:
    url = env.get("CASINO_SMTP_URL", "")
    if url and not url.startswith(("smtp://", "smtps://")):
        # Never echo the value: it may hold the mail account's password.
        raise ConfigError("CASINO_SMTP_URL must start with smtp:// or smtps://")
    return url


def _public_url(env: Mapping[str, str]) -> str:
    url = env.get("CASINO_PUBLIC_URL", "").rstrip("/")
    if url and not _ORIGIN.fullmatch(url):
        raise ConfigError(f"CASINO_PUBLIC_URL must be like https://casino.example, got {url!r}")
    return url


def _countries(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """`*` (every country), `none`, or ISO 3166 alpha-2 codes separated by commas."""
    raw = (env.get(name) or VARIABLES[name][0]).strip()
    if raw == "*":
        return ("*",)
    if raw.lower() == "none":
        return ()
    codes = tuple(part.strip().upper() for part in raw.split(",") if part.strip())
    if not all(re.fullmatch(r"[A-Z]{2}", code) for code in codes):
        raise ConfigError(f"{name} must be *, none or country codes like DE,GB; got {raw!r}")
    return codes


def _method_limits(env: Mapping[str, str]) -> tuple[tuple[str, str, int, int], ...]:
    raw = env.get("CASINO_PAYMENT_METHOD_LIMITS", "")
    limits = []
    for item in (part.strip() for part in raw.split(",") if part.strip()):
        fields = item.split(":")
        ok = len(fields) == 4 and fields[0] in ("card", "ewallet", "bank_transfer")
        ok = ok and len(fields[1]) == 3 and fields[1].isalpha() and fields[1].isupper()
        ok = ok and all(f.isascii() and f.isdigit() for f in fields[2:])
        if not ok or int(fields[2]) > int(fields[3]):
            raise ConfigError(
                f"CASINO_PAYMENT_METHOD_LIMITS: {item!r} is not method:CUR:min:max"
                " (method card, ewallet or bank_transfer; min <= max, minor units)"
            )
        limits.append((fields[0], fields[1], int(fields[2]), int(fields[3])))
    return tuple(limits)


def _webhook_secrets(env: Mapping[str, str]) -> tuple[str, ...]:
    given = env.get("CASINO_PAYMENT_WEBHOOK_SECRETS", "")
    secrets = tuple(s.strip() for s in given.split(",") if s.strip())
    if not secrets and _mode(env) is Mode.SANDBOX:
        return (SANDBOX_WEBHOOK_SECRET,)
    return secrets


def _mode(env: Mapping[str, str]) -> Mode:
    raw = env.get("CASINO_MODE") or VARIABLES["CASINO_MODE"][0]
    try:
        return Mode(raw.strip().lower())
    except ValueError:
        raise ConfigError(f"CASINO_MODE must be sandbox or live, got {raw!r}") from None


def _default_profile(env: Mapping[str, str]) -> str:
    # The names server/rg/profiles.py defines (config stands below rg); `test` is never a default.
    raw = (env.get("CASINO_DEFAULT_PROFILE") or VARIABLES["CASINO_DEFAULT_PROFILE"][0]).strip()
    if raw.lower() not in ("mga", "uk"):
        raise ConfigError(f"CASINO_DEFAULT_PROFILE must be mga or uk, got {raw!r}")
    return raw.lower()


def _trusted_proxies(env: Mapping[str, str]) -> tuple[str, ...]:
    """CASINO_TRUSTED_PROXIES: addresses or networks (10.0.0.0/8), comma-separated.

    Strict on purpose: `*` or 0.0.0.0/0 would hand every client its choice of address, and
    a network with host bits set (10.0.0.1/8) is more likely a typo than a meaning."""
    name = "CASINO_TRUSTED_PROXIES"
    proxies = []
    for item in filter(None, (part.strip() for part in env.get(name, "").split(","))):
        try:
            network = ipaddress.ip_network(item)
        except ValueError:
            raise ConfigError(
                f"{name} must list IP addresses or networks like 10.0.0.0/8, got {item!r}"
            ) from None
        if network.prefixlen == 0:
            raise ConfigError(f"{name} must not trust every address, got {item!r}")
        proxies.append(str(network))
    return tuple(proxies)


def _cors_origins(env: Mapping[str, str]) -> tuple[str, ...]:
    """CASINO_CORS_ORIGINS: exact origins (scheme://host[:port]); `*` is refused on purpose."""
    name = "CASINO_CORS_ORIGINS"
    origins = tuple(filter(None, (part.strip() for part in env.get(name, "").split(","))))
    for origin in origins:
        if not _ORIGIN.fullmatch(origin):
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
    request_timeout_s: int = 30
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
    kyc_max_documents_per_player: int = 10
    kyc_max_bytes_per_player: int = 25 * 1024 * 1024
    registrations_per_address: int = 20
    registration_window_s: int = 3600
    cors_origins: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ()
    max_http_connections: int = 1000
    http_max_header_bytes: int = 16384
    http_max_headers: int = 100
    http_header_timeout_s: int = 10
    http_body_timeout_s: int = 10
    http_keep_alive_s: int = 5
    mode: Mode = Mode.SANDBOX
    sandbox_daily_deposit_limit: int = 1_000_000
    payment_gateway_key: str = field(default=SANDBOX_GATEWAY_KEY, repr=False)
    sanctions_file: str = ""
    aml_policy_file: str = ""
    risk_policy_file: str = ""
    geoip_file: str = ""
    kyc_key: str = field(default="", repr=False)
    kyc_vendor_url: str = ""
    kyc_vendor_key: str = field(default="", repr=False)
    kyc_webhook_secret: str = field(default="", repr=False)
    kyc_webhook_url: str = ""
    staff_token: str = field(default="", repr=False)
    staff_session_ttl_s: int = 28800
    audit_head_s: int = 3600
    withdrawal_approval_above: int = 0
    smtp_url: str = field(default="", repr=False)
    mail_from: str = "casino@localhost"
    public_url: str = ""
    totp_key: str = field(default="", repr=False)
    verified_email_for_withdrawal: tuple[str, ...] = ("*",)
    email_verification_ttl_s: int = 86400
    password_reset_ttl_s: int = 900
    account_mails_per_hour: int = 5
    account_mails_per_address: int = 20
    exclusion_register_url: str = ""
    exclusion_register_key: str = field(default=SANDBOX_REGISTER_KEY, repr=False)
    exclusion_register_timeout_ms: int = 2000
    default_profile: str = "mga"
    test_profile_countries: frozenset[str] = frozenset()
    reality_check_min_s: int = 60
    payment_webhook_secrets: tuple[str, ...] = field(default=(), repr=False)
    payment_method_limits: tuple[tuple[str, str, int, int], ...] = ()
    withdrawal_cancel: bool = True
    postgres_url: str = field(default="", repr=False)  # set: PostgreSQL, not database_path
    password_hash: PasswordHashCost = field(default_factory=lambda: _password_hash({}))

    @property
    def database(self) -> Path | str:
        """What `Database(...)` opens: the PostgreSQL URL when one is set, else the file."""
        return self.postgres_url or self.database_path

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("CASINO_DATA_DIR") or VARIABLES["CASINO_DATA_DIR"][0])
        database_url = env.get("CASINO_DATABASE_URL", "")
        postgres_url = ""
        if not database_url:
            database_path = data_dir / "casino.db"
        elif database_url.startswith("sqlite:///"):
            database_path = Path(database_url.removeprefix("sqlite:///"))
        elif database_url.startswith(("postgresql://", "postgres://")):
            database_path = data_dir / "casino.db"  # unused: the database is PostgreSQL
            postgres_url = database_url
        else:
            scheme = database_url.split(":", 1)[0]  # never echo the rest: it may hold a password
            raise ConfigError(
                f"CASINO_DATABASE_URL must start with sqlite:/// or postgresql:// (got {scheme}:)"
            )
        redis_url = env.get("CASINO_REDIS_URL", "")
        if redis_url and not redis_url.startswith(
            ("redis://", "rediss://", "unix://", "redis+sentinel://", "redis+cluster://")
        ):
            raise ConfigError(
                "CASINO_REDIS_URL must start with redis://, rediss://, unix://, redis+sentinel://"
                " or redis+cluster://"
            )
        return cls(
            data_dir=data_dir,
            redis_url=redis_url,
            database_path=database_path,
            postgres_url=postgres_url,
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
            request_timeout_s=_int(env, "CASINO_REQUEST_TIMEOUT_SECONDS"),
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
            kyc_max_documents_per_player=_int(env, "CASINO_KYC_MAX_DOCUMENTS_PER_PLAYER"),
            kyc_max_bytes_per_player=_int(env, "CASINO_KYC_MAX_BYTES_PER_PLAYER", minimum=1024),
            registrations_per_address=_int(env, "CASINO_REGISTRATIONS_PER_ADDRESS"),
            registration_window_s=_int(env, "CASINO_REGISTRATION_WINDOW_SECONDS"),
            cors_origins=_cors_origins(env),
            trusted_proxies=_trusted_proxies(env),
            max_http_connections=_int(env, "CASINO_MAX_HTTP_CONNECTIONS"),
            http_max_header_bytes=_int(env, "CASINO_HTTP_MAX_HEADER_BYTES", minimum=1024),
            http_max_headers=_int(env, "CASINO_HTTP_MAX_HEADERS", minimum=8),
            http_header_timeout_s=_int(env, "CASINO_HTTP_HEADER_TIMEOUT_SECONDS"),
            http_body_timeout_s=_int(env, "CASINO_HTTP_BODY_TIMEOUT_SECONDS"),
            http_keep_alive_s=_int(env, "CASINO_HTTP_KEEP_ALIVE_SECONDS"),
            mode=_mode(env),
            sandbox_daily_deposit_limit=_int(env, "CASINO_SANDBOX_DAILY_DEPOSIT_LIMIT"),
            payment_gateway_key=_gateway_key(env),
            sanctions_file=env.get("CASINO_SANCTIONS_FILE", ""),
            aml_policy_file=env.get("CASINO_AML_POLICY_FILE", ""),
            risk_policy_file=env.get("CASINO_RISK_POLICY_FILE", ""),
            geoip_file=env.get("CASINO_GEOIP_FILE", ""),
            kyc_key=env.get("CASINO_KYC_KEY", ""),
            kyc_vendor_url=env.get("CASINO_KYC_VENDOR_URL", "").rstrip("/"),
            kyc_vendor_key=env.get("CASINO_KYC_VENDOR_KEY", ""),
            kyc_webhook_secret=env.get("CASINO_KYC_WEBHOOK_SECRET", ""),
            kyc_webhook_url=env.get("CASINO_KYC_WEBHOOK_URL", ""),
            staff_token=env.get("CASINO_STAFF_TOKEN", ""),
            staff_session_ttl_s=_int(env, "CASINO_STAFF_SESSION_SECONDS"),
            password_hash=_password_hash(env),
            audit_head_s=_int(env, "CASINO_AUDIT_HEAD_SECONDS"),
            withdrawal_approval_above=_int(env, "CASINO_WITHDRAWAL_APPROVAL_ABOVE", minimum=0),
            smtp_url=_smtp_url(env),
            mail_from=env.get("CASINO_MAIL_FROM") or VARIABLES["CASINO_MAIL_FROM"][0],
            public_url=_public_url(env),
            totp_key=env.get("CASINO_TOTP_KEY", ""),
            verified_email_for_withdrawal=_countries(env, "CASINO_VERIFIED_EMAIL_FOR_WITHDRAWAL"),
            email_verification_ttl_s=_int(env, "CASINO_EMAIL_VERIFICATION_TTL_SECONDS"),
            password_reset_ttl_s=_int(env, "CASINO_PASSWORD_RESET_TTL_SECONDS"),
            account_mails_per_hour=_int(env, "CASINO_ACCOUNT_MAILS_PER_HOUR"),
            account_mails_per_address=_int(env, "CASINO_ACCOUNT_MAILS_PER_ADDRESS"),
            exclusion_register_url=_register_url(env),
            exclusion_register_key=env.get("CASINO_EXCLUSION_REGISTER_KEY") or SANDBOX_REGISTER_KEY,
            exclusion_register_timeout_ms=_int(env, "CASINO_EXCLUSION_REGISTER_TIMEOUT_MS"),
            default_profile=_default_profile(env),
            test_profile_countries=frozenset(
                c.strip().upper()
                for c in env.get("CASINO_TEST_PROFILE_COUNTRIES", "").split(",")
                if c.strip()
            ),
            reality_check_min_s=_int(env, "CASINO_REALITY_CHECK_MIN_SECONDS", maximum=60),
            payment_webhook_secrets=_webhook_secrets(env),
            payment_method_limits=_method_limits(env),
            withdrawal_cancel=_int(env, "CASINO_WITHDRAWAL_CANCEL", minimum=0, maximum=1) == 1,
        )
