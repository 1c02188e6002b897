"""The sandbox provider, registered at start-up so that the simulator has someone to be.

An HMAC provider whose secret is generated on first start and stored in the
database only (read it with `python -m server.provider.admin secret sandbox`).
It launches nowhere real: its launch URL is under the reserved `.invalid`
domain, and `clients/provider_sim.py` reads the token out of it. An operator who
wants no sandbox disables it (`admin disable sandbox`); it is never re-enabled
by a restart. A live server (`CASINO_MODE=live`) never registers it, refuses
to start while it is enabled (`enabled_in`), and answers its calls as from a
disabled partner.
"""

from __future__ import annotations

from server.provider import registry
from server.provider.catalogue import ProviderGame, add_game
from server.provider.signatures import Scheme
from server.storage import database
from server.storage.database import Database, DatabaseTarget

SANDBOX_ID = "sandbox"
LAUNCH_URL = "https://sandbox-provider.invalid/launch"

GAMES = (
    ProviderGame(SANDBOX_ID, "sandbox-fruits", "Sandbox Fruits", ("slots", "video-slots"),
                 96_100, 10, 10_000, True),
    ProviderGame(SANDBOX_ID, "sandbox-dice", "Sandbox Dice", ("dice", "instant"),
                 99_000, 1, 50_000, True),
    ProviderGame(SANDBOX_ID, "sandbox-live-wheel", "Sandbox Live Wheel", ("live", "wheel"),
                 96_500, 50, 100_000, True),
)  # fmt: skip


async def ensure(db: Database) -> None:
    """Register the sandbox provider and its games once; later starts change nothing."""
    await registry.add(db, SANDBOX_ID, "Sandbox provider", Scheme.HMAC_SHA256, LAUNCH_URL,
                       if_absent=True)  # fmt: skip
    for game in GAMES:
        await add_game(db, game, if_absent=True)


def enabled_in(target: DatabaseTarget) -> bool:
    """Whether the sandbox provider is registered and active in this database.

    Read-only and synchronous, for `run.py serve` before anything starts (and the doctor):
    a database not created yet, or not yet migrated to hold providers, has none. An
    unreadable one raises: a live server must not assume the provider is off.
    """
    row = database.peek(target, "SELECT status FROM providers WHERE id = ?", (SANDBOX_ID,))
    return row is not None and row[0] == "active"
