"""The back office's command line for KYC: `python -m server.kyc.admin COMMAND`.

Works on the database named by CASINO_DATABASE_URL / CASINO_DATA_DIR (as the
server does) and takes effect at once, even on a running server.
`review PLAYER approve|reject|more` decides a pending player (more: ask for
more documents, the note is the player's message); `status PLAYER` shows the
status and the documents (never their contents).
"""

from __future__ import annotations

import argparse
import sys
from functools import partial

from protocol.errors import ErrorCode, Refused
from server import admin_command
from server.kyc import records
from server.kyc.review import Decision, IllegalReview
from server.storage.database import Database


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m server.kyc.admin", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    review = commands.add_parser("review", help="approve or reject a pending player")
    review.add_argument("player_id", type=int)
    review.add_argument("decision", choices=[d.value for d in Decision])
    review.add_argument("--note", default="", help="the reason, kept with the status")
    commands.add_parser("status", help="a player's status and documents").add_argument(
        "player_id", type=int
    )
    return parser


async def _run(args: argparse.Namespace, db: Database) -> str:
    if await db.fetchone("SELECT id FROM players WHERE id = ?", (args.player_id,)) is None:
        raise ValueError(f"no player {args.player_id}")
    if args.command == "review":
        try:
            new = await records.review(
                db, args.player_id, Decision(args.decision), args.note, actor="staff:cli"
            )
        except IllegalReview as illegal:
            raise Refused(ErrorCode.KYC_REVIEW_REFUSED, str(illegal)) from illegal
        return f"player {args.player_id}: {new}"
    lines = [f"player {args.player_id}: {await records.status(db, args.player_id)}"]
    for document in await records.documents(db, args.player_id):
        lines.append(
            f"  document {document.id}\t{document.kind}\t{document.content_type}"
            f"\t{document.size} bytes\tsha256 {document.sha256}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return admin_command.run(lambda: admin_command.on_database(partial(_run, args)))


if __name__ == "__main__":
    sys.exit(main())
