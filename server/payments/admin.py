"""The back office's command line for payments: `python -m server.payments.admin COMMAND`.

The staff's way to disputes and refunds beside the staff HTTP API
(`/api/staff/payments/...`, server/payments/staff/routes.py; both act through
server/payments/staff/actions.py): it works on the database, Redis and gateway named by
the same CASINO_* variables as the server, and takes effect at once, even on a running
server.
`disputes PLAYER` lists a player's disputes and chargeback debt; `evidence
DISPUTE TEXT` submits evidence to the gateway (the dispute's outcome arrives by
webhook); `refund PAYMENT AMOUNT KEY` refunds (part of) a completed deposit to the
method that paid it, idempotent by KEY. Each action is recorded in the audit trail
with its staff reason (`--reason`).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys

from server import admin_command
from server.config import Settings
from server.money.hot import HotWallet
from server.money.wallet import Wallet
from server.payments import runtime
from server.payments.gateway import GatewayRefused, GatewayUnavailable
from server.payments.staff import actions as staff
from server.storage import redis_client
from server.storage.database import Database, opened

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m server.payments.admin", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("disputes", help="a player's disputes").add_argument("player_id", type=int)
    evidence = commands.add_parser("evidence", help="submit a dispute's evidence")
    evidence.add_argument("dispute_id", type=int)
    evidence.add_argument("text")
    refund = commands.add_parser("refund", help="refund (part of) a deposit")
    refund.add_argument("payment_id", type=int)
    refund.add_argument("amount", type=int)
    refund.add_argument("key", help="idempotency key: the same key again refunds nothing more")
    for sub in (evidence, refund):
        sub.add_argument("--reason", default="", help="why, kept in the audit trail")
        sub.add_argument(
            "--staff", default=_login(), help="who decides (default: this login), kept there too"
        )
    return parser


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in the environment nor the password database
        return "unknown"


async def _run(args: argparse.Namespace) -> str:
    settings = Settings.from_env()
    if not settings.redis_url:
        raise ValueError("set CASINO_REDIS_URL to the server's Redis")
    client = redis_client.connect(settings.redis_url)
    try:
        async with opened(settings.database) as db:
            built = runtime.build(settings, db, Wallet(db, HotWallet(client, 1)), client)
            if built is None:
                raise ValueError("set CASINO_PAYMENT_GATEWAY_URL to the server's gateway")
            payments = built.payments
            try:
                return await _act(args, db, payments)
            finally:
                await payments.gateway.close()
    finally:
        await client.aclose()


async def _act(args: argparse.Namespace, db: Database, payments: runtime.Payments) -> str:
    if args.command == "disputes":
        found = await payments.disputes.of_player(args.player_id)
        owed = await staff.owed(payments, found)
        return (
            "\n".join(
                [
                    f"dispute {d.id}\tpayment {d.payment_id}\t{d.amount} {d.currency}\t{d.status}"
                    f"\ttaken {d.taken}\tdebt {d.debt}"
                    for d in found
                ]
                + [f"owed {amount} {currency}" for currency, amount in sorted(owed.items())]
            )
            or f"player {args.player_id}: no disputes"
        )
    if args.command == "evidence":
        dispute, status = await staff.submit_evidence(
            payments,
            staff.Staff(f"staff:{args.staff}", "cli"),
            args.dispute_id,
            args.text,
            args.reason,
        )
        return f"dispute {dispute.id}: evidence submitted; the gateway says {status}"
    receipt = await staff.refund(
        payments,
        staff.Staff(f"staff:{args.staff}", "cli"),
        args.payment_id,
        args.amount,
        args.key,
        args.reason,
    )
    return f"refund {receipt.payment.id}: {receipt.payment.status}, balance {receipt.balance}"


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return admin_command.run(
        lambda: asyncio.run(_run(args)), also=(GatewayRefused, GatewayUnavailable)
    )


if __name__ == "__main__":
    sys.exit(main())
