"""The operator's command line for providers: `python -m server.provider.admin COMMAND`.

Works on the database named by CASINO_DATABASE_URL / CASINO_DATA_DIR (as the
server does) and takes effect at once, even on a running server: providers are
read per request. Secrets are printed to this terminal only when asked for
(`add`, `secret`, `rotate-secret`), never logged, never listed.
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path

from server import admin_command
from server.provider import catalogue, registry
from server.provider.signatures import Scheme
from server.storage.database import Database


def _millipercent(text: str) -> int:
    try:
        value = Decimal(text) * 1000
    except InvalidOperation:
        raise argparse.ArgumentTypeError("RTP is a percentage such as 96.5") from None
    if value != value.to_integral_value():
        raise argparse.ArgumentTypeError("RTP has at most three decimals")
    return int(value)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m server.provider.admin", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("list", help="providers and their games (no secrets)")
    add = commands.add_parser("add", help="register a provider (prints an HMAC secret once)")
    add.add_argument("provider_id")
    add.add_argument("--name", required=True)
    add.add_argument("--launch-url", required=True, help="the provider's game launch URL")
    add.add_argument("--rsa-public-key", type=Path, help="PEM file: the provider signs with RSA")
    add.add_argument("--campaign-url", help="where the provider takes free-bet campaigns")
    add.add_argument("--session-ttl", type=int, default=registry.DEFAULT_SESSION_TTL_S)
    add.add_argument("--replay-window", type=int, default=registry.DEFAULT_REPLAY_WINDOW_S)
    for name, text in (
        ("secret", "print a provider's HMAC secret"),
        ("rotate-secret", "replace a provider's HMAC secret and print the new one"),
        ("disable", "refuse every call of a provider (RS_ERROR_INVALID_PARTNER)"),
        ("enable", "accept a disabled provider again"),
    ):
        commands.add_parser(name, help=text).add_argument("provider_id")
    campaigns = commands.add_parser(
        "campaign-url", help="set (or with --none clear) where a provider takes campaigns"
    )
    campaigns.add_argument("provider_id")
    campaigns.add_argument("url", nargs="?")
    campaigns.add_argument("--none", action="store_true", help="the provider runs no campaigns")
    game = commands.add_parser("add-game", help="add or replace a provider game")
    game.add_argument("provider_id")
    game.add_argument("game_code")
    game.add_argument("--name", required=True)
    game.add_argument("--rtp", type=_millipercent, required=True, help="percent, e.g. 96.5")
    game.add_argument("--min-stake", type=int, required=True, help="minor units")
    game.add_argument("--max-stake", type=int, required=True, help="minor units")
    game.add_argument("--categories", default="slots", help="comma-separated")
    commands.add_parser("public-key", help="our public key, for RSA providers to verify replies")
    return parser


async def _run(args: argparse.Namespace, db: Database, public_key_pem: str | None) -> str:
    if args.command == "list":
        games = await catalogue.provider_games(db)
        lines = []
        for p in await registry.all_providers(db):
            count = sum(1 for g in games if g.provider_id == p.id)
            line = f"{p.id}\t{p.status}\t{p.scheme}\t{count} games\t{p.launch_url}"
            lines.append(line + (f"\tcampaigns {p.campaign_url}" if p.campaign_url else ""))
        return "\n".join(lines)
    if args.command == "add":
        scheme = Scheme.RSA_SHA256 if public_key_pem else Scheme.HMAC_SHA256
        secret = await registry.add(
            db, args.provider_id, args.name, scheme, args.launch_url, public_key_pem,
            args.session_ttl, args.replay_window, campaign_url=args.campaign_url,
        )  # fmt: skip
        if secret is None:
            return f"added {args.provider_id} (RSA-SHA256)"
        return f"added {args.provider_id} (HMAC-SHA256); give the provider this secret:\n{secret}"
    if args.command == "secret":
        provider = await registry.get(db, args.provider_id)
        if provider is None or provider.hmac_secret is None:
            raise ValueError(f"no HMAC provider {args.provider_id}")
        return provider.hmac_secret
    if args.command == "rotate-secret":
        return await registry.rotate_secret(db, args.provider_id)
    if args.command in ("disable", "enable"):
        status = "disabled" if args.command == "disable" else "active"
        await registry.set_status(db, args.provider_id, status)
        return f"{args.provider_id} {status}"
    if args.command == "campaign-url":
        if args.none == (args.url is not None):
            raise ValueError("give the campaign URL, or --none")
        await registry.set_campaign_url(db, args.provider_id, args.url)
        return f"{args.provider_id} campaigns: {args.url or 'none'}"
    if args.command == "add-game":
        categories = tuple(c.strip() for c in args.categories.split(",") if c.strip())
        await catalogue.add_game(
            db, catalogue.ProviderGame(args.provider_id, args.game_code, args.name, categories,
                                       args.rtp, args.min_stake, args.max_stake, True),
        )  # fmt: skip
        return f"game {args.provider_id}:{args.game_code} saved"
    assert args.command == "public-key"
    return (await registry.operator_key(db))[1].strip()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    key_file: Path | None = getattr(args, "rsa_public_key", None)
    return admin_command.run(
        lambda: admin_command.on_database(
            partial(_run, args, public_key_pem=key_file.read_text() if key_file else None)
        )
    )


if __name__ == "__main__":
    sys.exit(main())
