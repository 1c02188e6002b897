"""The compliance officer's command line for AML: `python -m server.aml.admin COMMAND`.

Works on the database named by CASINO_DATABASE_URL / CASINO_DATA_DIR (as the server
does) and takes effect at once, even on a running server: the withdrawal rules read the
cases on every request. Like the other admin commands it is protected by access to the
server's data: whoever may run it may read the database. `--staff` names who decides;
it is kept with the case and in the audit trail.

  cases [--status open|cleared|confirmed]   the cases, oldest first
  case CASE_ID                              one case with its details
  clear CASE_ID --staff NAME --reason TEXT  nothing wrong: the case's hold lifts
  confirm CASE_ID --staff NAME --reason TEXT  the suspicion stands: the account is closed
  audit-verify                              check the audit trail's hash chain
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from typing import Any, cast

from server import admin_command
from server.accounts.service import Accounts
from server.aml import cases
from server.audit import trail
from server.provider import sessions as provider_sessions
from server.storage.database import Database


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m server.aml.admin",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    listing = commands.add_parser("cases", help="AML cases, oldest first")
    listing.add_argument("--status", default="open", choices=["open", *cases.OUTCOMES])
    commands.add_parser("case", help="one case with its details").add_argument("case_id", type=int)
    for name, text in (("clear", "close a case: nothing wrong"),
                       ("confirm", "close a case: the suspicion stands")):  # fmt: skip
        decide = commands.add_parser(name, help=text)
        decide.add_argument("case_id", type=int)
        decide.add_argument("--staff", required=True, help="who decides (kept in the trail)")
        decide.add_argument("--reason", required=True)
    commands.add_parser("audit-verify", help="check the audit trail's hash chain")
    return parser


def _accounts(db: Database) -> Accounts:
    """Accounts for `set_status` only (it touches the database and the access hooks alone):
    a restriction from here ends provider sessions as one from the server does."""
    unused = cast(Any, None)
    accounts = Accounts(db, unused, 0, lockout=unused, registrations=unused)
    accounts.on_access_ended(provider_sessions.revoke_provider_sessions)
    return accounts


def _line(case: cases.Case) -> str:
    return (f"case {case.id}\tplayer {case.player_id}\t{case.rule}\t{case.action}"
            f"\t{case.status}\t{case.reason}")  # fmt: skip


async def _run(args: argparse.Namespace, db: Database) -> str:
    if args.command == "cases":
        return "\n".join(_line(c) for c in await cases.listing(db, args.status)) or "no cases"
    if args.command == "case":
        case = await cases.get(db, args.case_id)
        if case is None:
            raise ValueError(f"no AML case {args.case_id}")
        return _line(case) + "\n" + json.dumps(case.details, indent=2, sort_keys=True)
    if args.command == "audit-verify":
        verdict = await trail.verify(db)
        if verdict.ok:
            return f"audit trail intact: {verdict.entries} entries, head {verdict.head}"
        raise ValueError(f"audit trail broken at entry {verdict.broken_at}: {verdict.problem}")
    outcome = "cleared" if args.command == "clear" else "confirmed"
    closed = await cases.close_case(
        db, args.case_id, outcome, args.staff, args.reason, "cli", _accounts(db).set_status
    )
    return _line(closed)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return admin_command.run(lambda: admin_command.on_database(partial(_run, args)))


if __name__ == "__main__":
    sys.exit(main())
