"""The operator's command line for accounts: `python -m server.accounts.admin COMMAND`.

Works on the database named by CASINO_DATABASE_URL / CASINO_DATA_DIR (as the
server does) and takes effect at once, even on a running server. `clashes`
lists the accounts that shared a username or email, ignoring case, with an
older one before names became case-insensitive (migration 0011), with both
accounts' names, which this terminal may show and a log may not; `rename`
gives one of them a new username or email and clears its flag.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial

from server import admin_command
from server.accounts import names
from server.accounts.rules import EMAIL, USERNAME
from server.storage.database import Database


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m server.accounts.admin", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("clashes", help="accounts whose name clashed, ignoring case")
    rename = commands.add_parser("rename", help="a new username or email for an account")
    rename.add_argument("player_id", type=int)
    new = rename.add_mutually_exclusive_group(required=True)
    new.add_argument("--username")
    new.add_argument("--email")
    return parser


async def _name(db: Database, player_id: int | None, field: str) -> str:
    if player_id is None:
        return "-"
    row = await db.fetchone(
        "SELECT username FROM players WHERE id = ?"
        if field == "username"
        else "SELECT email FROM players WHERE id = ?",
        (player_id,),
    )
    return str(row[0]) if row else "-"


async def _run(args: argparse.Namespace, db: Database) -> str:
    if args.command == "clashes":
        lines = []
        for clash in await names.clashes(db):
            mine = await _name(db, clash.player_id, clash.field)
            theirs = await _name(db, clash.shared_with, clash.field)
            lines.append(
                f"player {clash.player_id}\t{clash.field}\t{mine}"
                f"\tshared with player {clash.shared_with or '-'}\t{theirs}"
            )
        return "\n".join(lines) or "no clashes"
    field, name = ("username", args.username) if args.username else ("email", args.email)
    if field == "username" and not USERNAME.fullmatch(name):
        raise ValueError("a username is 3-32 letters, digits or _")
    if field == "email":
        name = name.strip().lower()
        if not EMAIL.fullmatch(name):
            raise ValueError("the email address is malformed")
    await names.rename(db, args.player_id, field, name)
    return f"player {args.player_id}: {field} changed"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return admin_command.run(lambda: admin_command.on_database(partial(_run, args)))


if __name__ == "__main__":
    sys.exit(main())
