"""What `run.py config` prints: every variable's effective value and where it came from.

Secrets (`config.SECRETS`) are masked: a URL keeps everything but its
password, so an operator can still see which host and database are used; any
other secret shows only whether it is set. Values are validated first
(`Settings.from_env`), so a printed configuration is one the server accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from server.config import SECRETS, VARIABLES, Settings

MASK = "****"


def mask_url(url: str) -> str:
    """The URL with its password (and any query parameter naming one) replaced by ****."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        credentials, host = netloc.rsplit("@", 1)
        user, has_password, _ = credentials.partition(":")
        netloc = f"{user}:{MASK}@{host}" if has_password else f"{user}@{host}"
    query = "&".join(
        f"{key}={MASK}" if "pass" in key.lower() or "secret" in key.lower() else f"{key}{sep}{val}"
        for key, sep, val in (item.partition("=") for item in parts.query.split("&") if item)
    )
    # Rebuilt by hand: urlunsplit would drop the empty authority of unix:/// and sqlite:///.
    rebuilt = f"{parts.scheme}://{netloc}{parts.path}"
    rebuilt += f"?{query}" if query else ""
    return rebuilt + (f"#{parts.fragment}" if parts.fragment else "")


def shown(name: str, value: str) -> str:
    if name not in SECRETS or not value:
        return value
    if "://" in value:
        return mask_url(value)
    return f"{MASK} (set)"


def _derived(name: str, settings: Settings) -> str:
    """What an unset variable means in practice, where that is not just its default."""
    if name == "CASINO_DATABASE_URL":
        return f"sqlite:///{settings.database_path}"  # set (PostgreSQL) is shown, masked
    if name == "CASINO_REDIS_URL":
        return "(a private redis-server started by run.py serve)"
    return VARIABLES[name][0]


def lines(env: Mapping[str, str]) -> list[str]:
    """One `NAME=value  # source` line per variable; raises ConfigError on a bad value."""
    settings = Settings.from_env(env)
    rows = []
    for name in VARIABLES:
        given = env.get(name, "")
        if given:
            rows.append((name, shown(name, given), "environment"))
        else:
            rows.append((name, _derived(name, settings), "default"))
    width = max(len(name) + len(value) for name, value, _ in rows) + 1
    return [f"{f'{name}={value}':<{width}}  # {source}" for name, value, source in rows]
