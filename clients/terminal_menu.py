"""The terminal client's menus: the lobby, each game, the history with its proofs and
fair play, asked through `rich` prompts while pushes keep arriving in the background.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rich.live import Live
from rich.prompt import Confirm, Prompt

import rng
from clients import terminal_safer
from clients import terminal_view as view
from clients.terminal_account import account_menu
from clients.terminal_bonus import bonuses
from clients.terminal_session import (
    PAYLINES,
    Decide,
    Player,
    Refused,
    counts_text,
    deposit,
    finish_round,
    play_round,
    rotate,
    show_result,
    valid_stake,
    verify,
    verify_all,
)

SLOT_SYMBOLS = {  # what a turning reel flashes, by the number of reels
    3: ("7", "BAR", "BELL", "PLUM", "LEMON", "CHERRY", "-"),
    5: ("WILD", "SCATTER", "CROWN", "RUBY", "BELL", "A", "K", "Q", "J", "10"),
}
ROULETTE_INSIDE = ("straight", "split", "street", "trio", "corner", "first_four", "six_line")
ROULETTE_OUTSIDE = ("dozen", "column", "red", "black", "odd", "even", "low", "high")
ROULETTE_TYPES = frozenset(ROULETTE_INSIDE + ROULETTE_OUTSIDE)


async def ask(prompt: str, **options: Any) -> str:
    """Prompt in a thread, so pushes keep arriving meanwhile; EOF ends the run."""
    answer: object = await asyncio.to_thread(lambda: Prompt.ask(prompt, **options))
    return str(answer).strip()


async def ask_stake(player: Player, game: dict[str, Any], default: int) -> int | None:
    while True:
        text = await ask(
            f"stake ({player.currency}), or b to go back",
            default=view.money(default, player.currency).split()[0],
        )
        if text.lower() in {"b", "back"}:
            return None
        amount = view.parse_money(text, player.currency)
        if amount is not None and valid_stake(game, amount) == amount:
            return amount
        player.console.print(
            f"[red]{game['name']} takes {player.money(game['min_stake'])} to"
            f" {player.money(game['max_stake'])} in steps of {player.money(game['stake_step'])}"
        )


def parse_bets(text: str, currency: str) -> list[dict[str, Any]]:
    """'red 1, 17 0.50, dozen 2 1, split 17 18 0.5' -> roulette bets; ValueError if unreadable."""
    bets = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        words = item.lower().split()
        amount = view.parse_money(words[-1], currency) if len(words) > 1 else None
        if amount is None or amount <= 0:
            raise ValueError(f"{item!r}: end a bet with its amount, e.g. 'red 1.00'")
        kind, rest = (words[0], words[1:-1]) if not words[0].isdigit() else ("straight", words[:-1])
        if kind not in ROULETTE_TYPES or not all(word.isdigit() for word in rest):
            raise ValueError(f"{item!r}: unknown bet")
        bet: dict[str, Any] = {"type": kind, "amount": amount}
        if kind in {"dozen", "column"}:
            bet["index"] = int(rest[0]) if rest else 0
        elif rest:
            bet["numbers"] = [int(word) for word in rest]
        bets.append(bet)
    return bets


async def ask_action(player: Player) -> Decide:
    async def decide(reply: dict[str, Any]) -> str:
        legal: list[str] = reply["actions"]
        keys = {view.ACTION_KEYS.get(action, action): action for action in legal}
        menu = "  ".join(
            f"[bold]{key}[/] {action.replace('_', ' ')}" for key, action in keys.items()
        )
        player.console.print(menu)
        return keys[await ask("action", choices=list(keys), show_choices=False)]

    return decide


async def play_game(player: Player, game: dict[str, Any]) -> None:
    console = player.console
    stake = valid_stake(game, 100)
    decide = await ask_action(player)
    while True:
        player.show_pushes()
        if not await terminal_safer.answer_reality_check(player, ask):
            return
        console.print(f"\n[bold]{game['name']}[/]  balance {player.money(player.balance)}")
        options: dict[str, Any] | None = None
        if game["id"] == "european-roulette":
            console.print(view.roulette_board())
            text = await ask("bets, e.g. 'red 1, 17 0.50, dozen 2 1' (b to go back)")
            if text.lower() in {"b", "back"}:
                return
            try:
                bets = parse_bets(text, player.currency)
            except ValueError as error:
                player.say(str(error), "red")
                continue
            stake, options = sum(bet["amount"] for bet in bets), {"bets": bets}
        else:
            chosen = await ask_stake(player, game, stake)
            if chosen is None:
                return
            stake = chosen
            if game["id"] == "punto-banco":
                options = {
                    "bet": await ask(
                        "bet on", choices=["player", "banker", "tie"], default="banker"
                    )
                }
        try:
            reply = await play_round(player, game["id"], stake, options, decide)
        except Refused as refused:
            player.say(f"refused: {refused.told()}", "red")
            continue
        if game["kind"] == "slot" and console.is_terminal:
            await spin_reels(player, reply)
        show_result(player, reply)


async def spin_reels(player: Player, reply: dict[str, Any]) -> None:
    """Reels turning, then stopping left to right on the round's first window."""
    final: list[list[str]] = (reply["outcome"].get("spins") or [reply["outcome"]])[0]["grid"]
    symbols = SLOT_SYMBOLS[len(final)]
    with Live(console=player.console, transient=True, refresh_per_second=30) as live:
        for frame in range(4 * len(final) + 4):
            stopped = frame // 4
            grid = [
                column if reel < stopped else [rng.choice(symbols) for _ in column]
                for reel, column in enumerate(final)
            ]
            live.update(view.slot_grid({"grid": grid}))
            await asyncio.sleep(0.05)


async def show_history(player: Player) -> None:
    rounds = (await player.request("history", limit=20))["rounds"]
    player.console.print(view.history_table(rounds, {g: player.name(g) for g in player.games}))
    while rounds:
        text = await ask(
            "round # to see its proof (Enter to go back)", default="", show_default=False
        )
        if not text.isdigit() or not 1 <= int(text) <= len(rounds):
            return
        round_ = rounds[int(text) - 1]
        paylines = PAYLINES.get(round_["game"], ())
        outcome = view.round_view(round_["outcome"], round_["currency"], paylines, player.unicode)
        player.console.print(outcome)
        seed = player.revealed.get(round_["proof"]["server_seed_hash"])
        if seed is None:
            player.console.print(view.proof_table(round_))
            player.console.print("[dim]its server seed is still secret: rotate it in fair play")
        else:
            player.console.print(view.proof_table(round_, *verify(round_, seed)))


async def fair_play(player: Player) -> None:
    seeds: dict[str, Any] | None = await player.request("seeds")
    while True:
        if seeds is not None:
            player.console.print(view.seeds_table(seeds))
        choice = await ask(
            "c) client seed  r) rotate and reveal  v) verify  b) back",
            choices=["c", "r", "v", "b"],
            show_choices=False,
            default="b",
        )
        seeds = None
        if choice == "b":
            return
        if choice == "c":
            try:
                seeds = await player.request(
                    "set_client_seed", client_seed=await ask("client seed")
                )
            except Refused as refused:
                player.say(refused.told(), "red")
        elif choice == "r":
            seeds = await rotate(player)
        else:
            latest = next(reversed(player.revealed.values()), "")
            seed = await ask("revealed server seed (hex)", default=latest)
            try:
                counts = await verify_all(player, seed)
            except ValueError:
                player.say("that is not a hex seed", "red")
                continue
            player.say(counts_text(counts) if counts else "no round was played with that seed")


LEVELS = ("registered", "identity verified", "address and source of funds verified")


def kyc_text(found: dict[str, Any]) -> str:
    """The player's KYC state as the terminal shows it: level, status, the vendor's or
    staff's message, and what the player's country needs."""
    lines = [
        f"verification: level {found['level']} ({LEVELS[found['level']]}), {found['kyc_status']}"
    ]
    if found["kyc_status"] == "rejected" and found["message"]:
        lines.append(f"  {found['message']} ({found['reject_type'].lower()})")
    for need in found["needs"]:
        what = "withdrawals" if need["action"] == "withdraw" else "deposits"
        above = f" above {need['above'] / 100:.2f}" if "above" in need else ""
        mark = "ok" if found["level"] >= need["level"] else "needed"
        lines.append(f"  {what}{above} need level {need['level']}: {mark}")
    lines.append("  upload documents in the browser client (Verification)")
    return "\n".join(lines)


async def show_kyc(player: Player) -> None:
    player.console.print(kyc_text(await player.client.call("GET", "/api/kyc/status")), markup=False)


async def interactive(player: Player, open_rounds: list[dict[str, Any]]) -> int:
    console = player.console
    for open_round in open_rounds:
        name = player.name(open_round["game"])
        if await asyncio.to_thread(Confirm.ask, f"Your {name} hand is unfinished. Resume it?"):
            reply = await player.request("resume", round_id=open_round["round_id"])
            show_result(player, await finish_round(player, reply, await ask_action(player)))
    games = list(player.games.values())
    while True:
        player.show_pushes()
        if not await terminal_safer.answer_reality_check(player, ask):
            return 0
        marker = f"  [black on yellow] {player.marker} [/]" if player.marker else ""
        figures = terminal_safer.figures_text(player)
        console.print(
            f"\n[bold]{player.username}[/]  balance [bold yellow]{player.money(player.balance)}"
            f"[/]{marker}" + (f"  [cyan]{figures}[/]" if figures else "")
        )
        for number, game in enumerate(games, start=1):
            console.print(f"  [bold]{number}[/] {game['name']}  (RTP {game['rtp']} %)")
        console.print(
            "  [bold]d[/] deposit  [bold]h[/] history  [bold]f[/] fair play  [bold]b[/] bonuses"
            "  [bold]k[/] verification  [bold]a[/] account  [bold]s[/] safer gambling"
            "  [bold]q[/] quit"
        )
        choices = [str(n) for n in range(1, len(games) + 1)] + [
            "d",
            "h",
            "f",
            "b",
            "k",
            "a",
            "s",
            "q",
        ]
        choice = await ask("choose", choices=choices, show_choices=False)
        if choice == "q":
            return 0
        if choice == "d":
            amount = view.parse_money(
                await ask("deposit amount", default="100.00"), player.currency
            )
            if amount:
                await deposit(player, amount)
        elif choice == "h":
            await show_history(player)
        elif choice == "f":
            await fair_play(player)
        elif choice == "k":
            await show_kyc(player)
        elif choice == "a":
            await account_menu(player)
        elif choice == "s":
            await terminal_safer.safer_menu(player, ask)
        elif choice == "b":
            await bonuses(player)
        else:
            await play_game(player, games[int(choice) - 1])
