"""Names that clashed before usernames and emails became case-insensitive (migration 0011).

The migration keeps every account: one younger than the oldest holder of its
name (ignoring case) is flagged with its own id in `username_clash` or
`email_clash`, which keeps the case-insensitive indexes unique and the account
reachable by its exact spelling. This module lists the flagged accounts, says
so at every start until none is left (by id only: names are personal data and
never logged), and renames one, clearing its flag. It never merges, renames
on its own or deletes: which account keeps a name is a person's decision.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from protocol.errors import ErrorCode, Refused
from server.accounts.service import duplicate
from server.storage.database import Database, IntegrityError

log = logging.getLogger(__name__)

FIELDS = ("username", "email")


@dataclass(frozen=True, slots=True)
class NameClash:
    """An account that shared its username or email, ignoring case, with another."""

    player_id: int
    field: str  # username or email
    shared_with: int | None  # the oldest other account with the name (None: renamed since)


async def clashes(db: Database) -> list[NameClash]:
    """Every flagged account, by player id and field."""
    rows = await db.fetchall(
        "SELECT p.id, 'username', MIN(o.id) FROM players p LEFT JOIN players o"
        " ON lower(o.username) = lower(p.username) AND o.id <> p.id"
        " WHERE p.username_clash <> 0 GROUP BY p.id"
        " UNION ALL"
        " SELECT p.id, 'email', MIN(o.id) FROM players p LEFT JOIN players o"
        " ON lower(o.email) = lower(p.email) AND o.id <> p.id"
        " WHERE p.email_clash <> 0 GROUP BY p.id"
        " ORDER BY 1, 2"
    )
    return [
        NameClash(int(row[0]), str(row[1]), None if row[2] is None else int(row[2])) for row in rows
    ]


async def report(db: Database) -> list[NameClash]:
    """Start-up: one WARNING naming every flagged account by id, so none goes unnoticed."""
    found = await clashes(db)
    if found:
        listed = ", ".join(
            f"player {c.player_id} ({c.field} of player {c.shared_with})" for c in found
        )
        log.warning(
            "%d accounts share a username or email, ignoring case, with another account: %s."
            " Each keeps its data and logs in by its exact spelling or its other name; any"
            " other spelling reaches the oldest. Give them new names with"
            " `python3 run.py accounts clashes` and `rename`",
            len(found),
            listed,
        )
    return found


async def rename(db: Database, player_id: int, field: str, name: str) -> None:
    """A new username or email for an account, clearing its flag: USERNAME_TAKEN or
    EMAIL_TAKEN when another account holds the name in any case, NOT_FOUND for no player."""
    if field not in FIELDS:
        raise ValueError(f"a name is one of {', '.join(FIELDS)}")
    try:
        async with db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE players SET username = ?, username_clash = 0 WHERE id = ?"
                if field == "username"
                else "UPDATE players SET email = ?, email_clash = 0 WHERE id = ?",
                (name, player_id),
            )
    except IntegrityError as error:
        raise duplicate(str(error)) from None
    if not changed:
        raise Refused(ErrorCode.NOT_FOUND, f"no player {player_id}")
