"""The terminal client, `run.py play`: log in or register, deposit in the sandbox, play
every game, read the history and check any round's provably fair proof.

On a terminal it is a menu; `--auto N` plays N rounds unattended and needs no
terminal at all (what the tests run). It talks to the server over the wire only:
HTTP for the account and money, one MessagePack WebSocket for play, where replies
are matched to requests by id and pushes (no id) are shown between steps. A forced
logout ends the run. This module is the command line and the unattended player; the
connection and proofs are in `clients.terminal_session`, the menus in
`clients.terminal_menu`, the drawing in `clients.terminal_view`.

Exit status: 0 done; 1 refused or failed (bad login, no funds, a proof that does not
verify); 2 bad usage; 3 the server ended the session.

A server in sandbox mode (its replies say `Casino-Mode: sandbox`) moves play
money, and the client says so for the whole run: in the window title, after
login, in every round's heading and in the menu's balance line.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from typing import Any

import httpx
from rich.console import Console
from rich.prompt import Prompt

import rng
from clients import terminal_view as view
from clients.api import ApiFailure, CasinoClient
from clients.terminal_menu import ask, interactive
from clients.terminal_session import (
    Player,
    PlaySocket,
    Refused,
    SessionEnded,
    counts_text,
    deposit,
    failure_told,
    finish_round,
    play_round,
    rotate,
    show_result,
    valid_stake,
    verify_all,
)

DEFAULT_URL = "http://127.0.0.1:8000"
MODE_HEADER = "Casino-Mode"
SANDBOX_MARKER = "sandbox: play money"

# -- unattended play ----------------------------------------------------------------------------


async def auto_action(reply: dict[str, Any]) -> str:
    """A short basic strategy: no insurance, split aces and eights, double 10 and 11."""
    legal: list[str] = reply["actions"]
    if "no_insurance" in legal:
        return "no_insurance"
    outcome = reply["outcome"]
    hand = outcome["hands"][outcome["active"]]
    ranks = [card[0] for card in hand["cards"]]
    if "split" in legal and ranks[0] in "A8":
        return "split"
    if "double" in legal and not hand["soft"] and hand["total"] in (10, 11):
        return "double"
    return "hit" if hand["total"] < (18 if hand["soft"] else 17) else "stand"


def auto_bet(game: dict[str, Any], stake: int) -> tuple[int, dict[str, Any] | None]:
    if game["id"] == "european-roulette":
        half = max(stake // 2, 5)
        number = rng.randbelow(37)
        bets = [
            {"type": "red", "amount": half},
            {"type": "straight", "numbers": [number], "amount": half},
        ]
        return 2 * half, {"bets": bets}
    if game["id"] == "punto-banco":
        return valid_stake(game, stake), {"bet": "banker"}
    return valid_stake(game, stake), None


async def autoplay(
    player: Player, rounds: int, games: Sequence[str], stake: int, check: bool
) -> int:
    console = player.console
    status = 0
    played = 0
    for number in range(1, rounds + 1):
        player.show_pushes()
        game = player.games[games[(number - 1) % len(games)]]
        amount, options = auto_bet(game, stake)
        heading = f"round {number}/{rounds} · {game['name']}"
        console.rule(f"{heading} · {player.marker}" if player.marker else heading, align="left")
        try:
            reply = await play_round(player, game["id"], amount, options, auto_action)
        except Refused as refused:
            player.say(f"refused: {refused.told()}", "red")
            status = 1
            break
        played += 1
        show_result(player, reply)
    balance = (await player.request("balance"))["balance"]
    console.rule("summary", align="left")
    console.print(f"played {played} rounds; final balance {player.money(balance)}")
    history = (await player.request("history", limit=min(max(played, 1), 100)))["rounds"]
    console.print(view.history_table(history, {g: player.name(g) for g in player.games}))
    if history:
        console.print(view.proof_table(history[0]))
    if check and history:
        seeds = await rotate(player)
        console.print(view.seeds_table(seeds))
        counts = await verify_all(player, seeds["revealed_server_seed"])
        console.print(counts_text(counts))
        if set(counts) - {"match"}:
            status = 1
    player.show_pushes()
    return status


# -- account and start-up -----------------------------------------------------------------------


async def register(client: CasinoClient, console: Console, prompt: bool) -> tuple[str, str]:
    """A new account: asked for on a terminal, else a throwaway demo player."""
    if prompt:
        fields = {
            "username": await ask("username (3-32 letters, digits, _)"),
            "email": await ask("email"),
            "password": await asyncio.to_thread(
                Prompt.ask, "password (10+ characters)", password=True
            ),
            "date_of_birth": await ask("date of birth (YYYY-MM-DD)"),
            "country": (await ask("country (ISO code)", default="MT")).upper(),
            "currency": (await ask("currency", default="EUR")).upper(),
        }
    else:
        suffix = rng.randbytes(5).hex()
        fields = {
            "username": f"term_{suffix}",
            "email": f"term-{suffix}@example.com",
            "password": f"Term-{rng.token_urlsafe(12)}!",
            "date_of_birth": "1990-04-01",
            "country": "MT",
            "currency": "EUR",
        }
    await client.register(**fields)
    console.print(f"registered player [bold]{fields['username']}[/]")
    return fields["username"], fields["password"]


async def run(args: argparse.Namespace, console: Console) -> int:
    base_url = args.url.rstrip("/")
    tty = sys.stdin.isatty() and args.auto is None
    async with CasinoClient(base_url) as client:
        try:
            catalogue = {game["id"]: game for game in await client.games()}
            served = (await client.http.get("/health")).headers.get(MODE_HEADER, "")
        except httpx.HTTPError as error:
            console.print(
                f"no casino server answers at {base_url} ({error})", style="red", markup=False
            )
            return 1
        username, password = args.user, os.environ.get("CASINO_PASSWORD", "")
        fresh = args.register or not username
        if fresh and not tty and not args.register and args.auto is None:
            console.print(
                "no terminal to ask who you are: give --auto N to play N rounds with a new"
                " account, or --user NAME (password in CASINO_PASSWORD) to drive the menu"
                " from standard input",
                style="red",
                markup=False,
            )
            return 2
        try:
            if fresh and (args.register or args.auto is not None or not tty):
                username, password = await register(client, console, prompt=tty)
            elif fresh:
                if (await ask("l) log in or r) register", choices=["l", "r"], default="l")) == "r":
                    username, password = await register(client, console, prompt=True)
                else:
                    username = await ask("username or email")
            if not password:
                if not tty:
                    console.print("[red]set CASINO_PASSWORD to log in without a terminal")
                    return 2
                password = await asyncio.to_thread(Prompt.ask, "password", password=True)
            try:
                await client.login(username, password)
            except ApiFailure as failure:
                if failure.code != "TWO_FACTOR_REQUIRED":
                    raise
                code = os.environ.get("CASINO_TOTP_CODE", "")
                if not code and tty:
                    code = await ask("code from your authenticator app (or a recovery code)")
                await client.login(username, password, code or None)
        except ApiFailure as failure:
            console.print(failure_told(failure), style="red", markup=False)
            return 1
        socket = PlaySocket("ws" + base_url.removeprefix("http") + "/ws")
        await socket.open()
        try:
            assert client.token is not None
            player = Player(client, socket, console, catalogue, unicode=_utf8(console))
            player.marker = SANDBOX_MARKER if served == "sandbox" else ""
            if player.marker:
                console.set_window_title(f"casino · {player.marker}")
            try:
                welcome = await player.request("hello", token=client.token)
            except Refused as refused:
                player.say(refused.told(), "red")
                return 1
            player.username, player.currency = welcome["username"], welcome["currency"]
            console.print(
                f"logged in as [bold]{player.username}[/]; balance {player.money(player.balance)}"
            )
            if player.marker:
                console.print(f"[black on yellow] {player.marker} [/] nothing here is real money")
            amount = (
                args.deposit
                if args.deposit is not None
                else (10_000 if fresh and args.auto else None)
            )
            if amount and served == "live":  # a live server has no sandbox deposit
                player.say("this server moves real money: no sandbox deposit", "yellow")
            elif amount:
                await deposit(player, amount)
            if args.client_seed:
                await player.request("set_client_seed", client_seed=args.client_seed)
            try:
                if args.auto is not None:
                    for open_round in welcome.get("open_rounds", []):
                        reply = await player.request("resume", round_id=open_round["round_id"])
                        console.rule(
                            f"resumed {player.name(open_round['game'])} hand", align="left"
                        )
                        show_result(player, await finish_round(player, reply, auto_action))
                    if args.game and args.game not in catalogue:
                        known = ", ".join(catalogue)
                        player.say(f"no game {args.game!r}; try {known}", "red")
                        return 2
                    games = [args.game] if args.game else list(catalogue)
                    return await autoplay(player, args.auto, games, args.stake, args.verify)
                return await interactive(player, welcome.get("open_rounds", []))
            except SessionEnded as ended:
                console.print(f"[bold red]session ended by the server: {ended}")
                return 3
            except (EOFError, KeyboardInterrupt):
                return 0
        finally:
            await socket.close()


def _utf8(console: Console) -> bool:
    return console.encoding.lower().replace("-", "") == "utf8"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run.py play", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--url", default=os.environ.get("CASINO_URL", DEFAULT_URL), help="server base URL"
    )
    parser.add_argument(
        "--user", help="log in as this username or email (password: CASINO_PASSWORD or asked)"
    )
    parser.add_argument(
        "--register",
        action="store_true",
        help="create a new account (a throwaway one without a terminal)",
    )
    parser.add_argument(
        "--deposit",
        type=_amount,
        help="sandbox deposit after login, e.g. 50.00 (100.00 for a throwaway --auto player)",
    )
    parser.add_argument(
        "--auto", type=_count, metavar="N", help="play N rounds unattended, then show the history"
    )
    parser.add_argument(
        "--game", help="with --auto: play only this game id (default: every game in turn)"
    )
    parser.add_argument(
        "--stake",
        type=_count,
        default=100,
        help="with --auto: stake per round in minor units (default 100)",
    )
    parser.add_argument("--client-seed", help="set this provably fair client seed before playing")
    parser.add_argument(
        "--verify",
        action="store_true",
        help="with --auto: rotate the server seed at the end and verify every round",
    )
    return parser


def _amount(text: str) -> int:
    amount = view.parse_money(text)
    if not amount:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount such as 50.00")
    return amount


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 120, highlight=False)
    if args.game and args.auto is None:
        console.print("[red]--game goes with --auto")
        return 2
    try:
        return asyncio.run(run(args, console))
    except KeyboardInterrupt:
        return 130
    except EOFError:  # input ended before the account was settled
        console.print("input ended")
        return 1
    except (OSError, ConnectionError) as error:
        console.print(f"connection failed: {error}", style="red", markup=False)
        return 1


if __name__ == "__main__":
    sys.exit(main())
