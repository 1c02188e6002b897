"""The administrator's command line for staff accounts: `run.py staff COMMAND`.

Works on the database named by CASINO_DATABASE_URL / CASINO_DATA_DIR (as the server does)
and takes effect at once on a running server. Whoever may run it may read the server's
data, so it needs no login of its own; what it does is on the audit trail as `staff:cli`.

  add NAME --role ROLE   create a staff member; the password is read from standard input
                         (asked twice on a terminal); prints the TOTP secret and the
                         recovery codes, once: they are not kept in readable form
  list                   every staff member, their role and whether they are enabled
  disable NAME           end the member's logins and sessions (their records stay)
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import Any, cast

from server import admin_command
from server.accounts import passwords
from server.accounts.secret_box import SecretBox, load_key
from server.audit import trail
from server.config import ConfigError, Settings
from server.staff.accounts import StaffAccounts
from server.staff.roles import Role
from server.storage.database import opened

ACTOR = "staff:cli"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run.py staff",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add = commands.add_parser("add", help="create a staff member")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    commands.add_parser("list", help="every staff member")
    commands.add_parser("disable", help="end a member's logins").add_argument("name")
    return parser


def _password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise ValueError("the two passwords differ")
    return first


async def _run(args: argparse.Namespace, settings: Settings, password: str) -> str:
    async with opened(settings.database) as db:
        box = SecretBox(load_key(settings.totp_key, settings.data_dir))
        # No login happens here: the lock-out is never asked.
        staff = StaffAccounts(db, box, cast(Any, None), settings.staff_session_ttl_s)
        if args.command == "add":
            created = await staff.create(args.name, Role(args.role), password)
            await trail.record(
                db, ACTOR, "staff_created", created.member.actor, f"role {args.role}", "cli"
            )
            return "\n".join(
                [
                    f"staff member {created.member.name} ({created.member.role}) created",
                    f"TOTP secret: {created.totp_secret}",
                    f"authenticator URI: {created.otpauth_uri}",
                    "recovery codes (each works once; shown only now):",
                    *(f"  {code}" for code in created.recovery_codes),
                ]
            )
        if args.command == "disable":
            if not await staff.disable(args.name):
                raise ValueError(f"no enabled staff member {args.name}")
            await trail.record(db, ACTOR, "staff_disabled", f"staff:{args.name}", "cli", "cli")
            return f"staff member {args.name} disabled"
        found = await staff.listing()
        lines = [f"{m.name}\t{m.role}\t{'enabled' if on else 'disabled'}" for m, on in found]
        return "\n".join(lines) or "no staff members"


async def _verify(settings: Settings) -> trail.Verdict:
    async with opened(settings.database) as db:
        return await trail.verify(db)


def audit_verify() -> int:
    """`run.py audit-verify`: walk the whole chain; 0 when intact (with the entry count and
    the head to compare with the last one logged), else 1 naming the first bad entry."""
    try:
        verdict = asyncio.run(_verify(Settings.from_env()))
    except (ConfigError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if verdict.ok:
        print(f"audit trail intact: {verdict.entries} entries, head {verdict.head}")
        return 0
    print(f"audit trail broken at entry {verdict.broken_at}: {verdict.problem}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def work() -> str:
        settings = Settings.from_env()
        passwords.configure(settings.password_hash)
        password = _password() if args.command == "add" else ""
        return asyncio.run(_run(args, settings, password))

    return admin_command.run(work)


if __name__ == "__main__":
    sys.exit(main())
