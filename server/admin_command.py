"""How an admin command (`run.py staff`, `python -m server.aml.admin`, ...) runs and fails.

Every admin command works the same way around its own job: it runs that job on the
database the CASINO_* variables name (as the server does), prints what the job returns
and exits 0; a refusal (`Refused`) prints `error: CODE: message`, bad input, bad
settings or an unreadable file print `error: ...`, both on standard error with exit 1,
not a traceback. This module knows no command: each domain's `admin.py` (and
`server/staff/admin.py`) brings its job.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

from protocol.errors import Refused
from server.config import ConfigError, Settings
from server.storage.database import Database, opened


def run(work: Callable[[], str], also: tuple[type[Exception], ...] = ()) -> int:
    """Print what `work` returns (0), or why it failed on standard error (1); `also`: the
    command's own failures that say what went wrong in their text (a gateway's refusal)."""
    failures: tuple[type[Exception], ...] = (ValueError, ConfigError, OSError, *also)
    try:
        print(work())
    except Refused as refused:
        print(f"error: {refused.code}: {refused.message}", file=sys.stderr)
        return 1
    except failures as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def on_database(work: Callable[[Database], Awaitable[str]]) -> str:
    """What `work` returns, run on the database the settings name (opened and closed here)."""

    async def opened_work() -> str:
        async with opened(Settings.from_env().database) as db:
            return await work(db)

    return asyncio.run(opened_work())
