"""What other domains may know of a player beyond `Player`: country and date of birth.

Accounts owns the `players` table; a rule elsewhere that needs a player's age or country (the
jurisdiction profile's stake caps in server/rg) is handed this function at wiring time
instead of reading the table itself.
"""

from __future__ import annotations

from datetime import date

from server.storage.database import Database


async def country_and_birth(db: Database, player_id: int) -> tuple[str, date] | None:
    row = await db.fetchone("SELECT country, date_of_birth FROM players WHERE id = ?", (player_id,))
    return (str(row[0]), date.fromisoformat(str(row[1]))) if row else None
