"""What the terminal client draws, as `rich` renderables built from the wire's plain data.

Pure functions: a round's outcome, the history or a proof in, a table or text out.
Nothing here talks to the server or reads input; `clients.terminal` does.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

SYMBOL_STYLES: dict[str, str] = {
    "7": "bold red",
    "BAR": "bold white on grey23",
    "BELL": "bold yellow",
    "PLUM": "bold magenta",
    "LEMON": "yellow",
    "CHERRY": "bold red",
    "-": "dim",
    "WILD": "bold white on purple",
    "SCATTER": "bold black on dark_orange",
    "CROWN": "bold gold1",
    "RUBY": "bold red1",
    "A": "bold red",
    "K": "bold blue",
    "Q": "bold magenta",
    "J": "bold green",
    "10": "bold dark_orange",
}
RED_NUMBERS = frozenset({1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36})
UNICODE_SUITS = {"S": "♠", "H": "♥", "D": "♦", "C": "♣"}
ACTION_KEYS = {
    "hit": "h",
    "stand": "s",
    "double": "d",
    "split": "p",
    "insurance": "i",
    "no_insurance": "n",
}
EXPONENTS = {"JPY": 0, "KRW": 0, "ISK": 0}


def money(minor: int, currency: str = "EUR") -> str:
    """Minor units as text with the currency's decimals: 12345 -> '123.45 EUR'."""
    digits = EXPONENTS.get(currency, 2)
    sign, value = ("-" if minor < 0 else ""), abs(minor)
    whole, fraction = divmod(value, 10**digits)
    text = f"{whole:,}" + (f".{fraction:0{digits}d}" if digits else "")
    return f"{sign}{text} {currency}"


def parse_money(text: str, currency: str = "EUR") -> int | None:
    """Minor units for '12', '12.5' or '12.50' (never through a float); None if not an amount."""
    digits = EXPONENTS.get(currency, 2)
    whole, _, fraction = text.strip().replace(",", "").partition(".")
    if not whole.isdigit() or (fraction and not fraction.isdigit()) or len(fraction) > digits:
        return None
    scale: int = 10**digits
    return int(whole) * scale + int(fraction.ljust(digits, "0") or "0")


def symbol_text(symbol: str, winning: bool = False) -> Text:
    label = "" if symbol == "-" else symbol
    style = SYMBOL_STYLES.get(symbol, "bold")
    return Text(f"{label:^7}", style=f"{style} reverse" if winning else style)


def slot_grid(spin: Mapping[str, Any], paylines: Sequence[Sequence[int]] = ()) -> Table:
    """One spin's window, reels as columns; cells of winning lines reversed."""
    grid: list[list[str]] = spin["grid"]
    lit: set[tuple[int, int]] = set()
    for win in spin.get("wins", []):
        if win["line"] < len(paylines):
            lit.update((reel, paylines[win["line"]][reel]) for reel in range(win["count"]))
    table = Table(box=box.HEAVY, show_header=False, padding=(0, 0), border_style="gold3")
    for _ in grid:
        table.add_column(justify="center")
    for row in range(len(grid[0])):
        table.add_row(*(symbol_text(col[row], (reel, row) in lit) for reel, col in enumerate(grid)))
    return table


def win_lines(spin: Mapping[str, Any]) -> list[str]:
    lines = [
        f"line {w['line'] + 1}: {w['count']} x {w['symbol']} pays {w['multiplier']}x line stake"
        for w in spin.get("wins", [])
    ]
    if spin.get("scatter_multiplier"):
        lines.append(f"{spin['scatters']} scatters pay {spin['scatter_multiplier']}x stake")
    if spin.get("free_spins_awarded"):
        lines.append(f"{spin['free_spins_awarded']} free spins awarded")
    return lines


def slot_view(outcome: Mapping[str, Any], paylines: Sequence[Sequence[int]] = ()) -> Group:
    spins = outcome.get("spins") or [outcome]
    parts: list[RenderableType] = [slot_grid(spins[0], paylines)]
    parts += [Text(line, style="green") for line in win_lines(spins[0])]
    for number, spin in enumerate(spins[1:], start=1):
        parts.append(Text(f"free spin {number}/{len(spins) - 1}", style="bold"))
        parts.append(slot_grid(spin, paylines))
        parts += [Text(line, style="green") for line in win_lines(spin)]
    return Group(*parts)


def number_text(number: int, landed: bool = False) -> Text:
    colour = "green4" if number == 0 else "red3" if number in RED_NUMBERS else "grey19"
    style = f"bold white on {colour}" + (" reverse blink" if landed else "")
    return Text(f"{number:^4}", style=style)


def roulette_board(pocket: int | None = None) -> Table:
    """The single-zero layout: 0 on the left, three rows of twelve, the pocket marked."""
    table = Table(box=box.SIMPLE_HEAD, show_header=False, padding=(0, 0), show_edge=False)
    for _ in range(13):
        table.add_column(justify="center")
    for row in range(3):
        top = 3 - row  # the top row holds 3, 6, ..., 36
        zero = number_text(0, pocket == 0) if row == 1 else Text("    ")
        numbers = [number_text(3 * col + top, pocket == 3 * col + top) for col in range(12)]
        table.add_row(zero, *numbers)
    return table


def roulette_view(outcome: Mapping[str, Any], currency: str) -> Group:
    pocket = int(outcome["pocket"])
    lines: list[RenderableType] = [roulette_board(pocket)]
    lines.append(Text.assemble("ball: ", number_text(pocket, True)))
    for bet in outcome.get("bets", []):
        where = " ".join(map(str, bet.get("numbers", []))) or str(bet.get("index", ""))
        result = money(bet["returns"], currency) if bet.get("returns") else "lost"
        stake = money(bet["amount"], currency)
        lines.append(Text(f"  {bet['type']} {where}".rstrip() + f": {stake} -> {result}"))
    return Group(*lines)


def card_text(name: str | None, unicode_suits: bool = True) -> Text:
    if name is None:
        return Text("[??]", style="bold white on dark_red")
    rank = "10" if name[0] == "T" else name[0]
    suit = UNICODE_SUITS[name[1]] if unicode_suits else name[1]
    colour = "red" if name[1] in "HD" else "black"
    return Text(f"{rank}{suit}", style=f"bold {colour} on white")


def cards_text(names: Iterable[str | None], unicode_suits: bool = True) -> Text:
    return Text(" ").join(card_text(name, unicode_suits) for name in names)


def blackjack_view(outcome: Mapping[str, Any], currency: str, unicode_suits: bool = True) -> Table:
    table = Table(box=box.ROUNDED, show_header=False, border_style="green")
    table.add_column(style="bold", width=8)
    table.add_column()
    dealer: list[str | None] = list(outcome["dealer"])
    hidden = bool(outcome.get("hole_card_hidden"))
    total = outcome["dealer_total"]
    label = f"shows {total}" if hidden else f"{total}" + (" bust" if total > 21 else "")
    shown = cards_text([*dealer, *([None] if hidden else [])], unicode_suits)
    table.add_row("dealer", Text.assemble(shown, f"  {label}"))
    for index, hand in enumerate(outcome["hands"]):
        marks = [m for m in ("doubled", "split") if hand.get(m)]
        if hand["total"] > 21:
            marks.append("bust")
        if "returns" in hand:
            returns, stake = hand["returns"], hand["stake"]
            won = f"won {money(returns, currency)}" if returns > stake else "lost"
            marks.append("push" if returns == stake else won)
        total_text = f"{'soft ' if hand.get('soft') and hand['total'] <= 21 else ''}{hand['total']}"
        pointer = "> " if outcome.get("active") == index else "  "
        name = f"hand {index + 1}" if len(outcome["hands"]) > 1 else "you"
        cards = cards_text(hand["cards"], unicode_suits)
        notes = f"  ({', '.join(marks)})" if marks else ""
        table.add_row(pointer + name, Text.assemble(cards, f"  {total_text}", notes))
    return table


def baccarat_view(outcome: Mapping[str, Any], unicode_suits: bool = True) -> Table:
    table = Table(box=box.ROUNDED, show_header=False, border_style="green")
    table.add_column(style="bold", width=8)
    table.add_column()
    for side in ("player", "banker"):
        won = " wins" if outcome["result"] == side else ""
        cards = cards_text(outcome[side], unicode_suits)
        total = f"  {outcome[side + '_total']}"
        table.add_row(side, Text.assemble(cards, total, (won, "bold green")))
    table.add_row("bet", f"{outcome['bet']}, result {outcome['result']}")
    return table


def round_view(
    outcome: Mapping[str, Any],
    currency: str,
    paylines: Sequence[Sequence[int]] = (),
    unicode_suits: bool = True,
) -> RenderableType:
    """Any game's outcome, recognised by its shape (as `describe()` produces it)."""
    if "grid" in outcome or "spins" in outcome:
        return slot_view(outcome, paylines)
    if "pocket" in outcome:
        return roulette_view(outcome, currency)
    if "hands" in outcome:
        return blackjack_view(outcome, currency, unicode_suits)
    if "banker" in outcome:
        return baccarat_view(outcome, unicode_suits)
    return Text(repr(dict(outcome)))


def history_table(rounds: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> Table:
    table = Table(title="History (newest first)", box=box.SIMPLE_HEAVY)
    for column in ("#", "time", "game", "stake", "win", "balance", "round"):
        numeric = column in {"#", "stake", "win", "balance"}
        table.add_column(column, justify="right" if numeric else "left")
    for number, row in enumerate(rounds, start=1):
        currency = row["currency"]
        game = names.get(row["game"], row["game"])
        if row["status"] != "settled":
            game += f" ({row['status']})"
        table.add_row(
            str(number),
            time.strftime("%H:%M:%S", time.localtime(int(row["settled_at"]) / 1000)),
            game,
            money(row["stake"], currency),
            money(row["payout"], currency) if row["payout"] else "-",
            money(row["balance_after"], currency),
            row["round_id"],
        )
    return table


def proof_table(round_: Mapping[str, Any], verdict: str | None = None, detail: str = "") -> Table:
    proof = round_["proof"]
    table = Table(box=box.MINIMAL, show_header=False, title=f"Proof of round {round_['round_id']}")
    table.add_column(style="dim")
    table.add_column()
    table.add_row("server seed hash", proof["server_seed_hash"])
    table.add_row("client seed", proof["client_seed"])
    table.add_row("nonce", str(proof["nonce"]))
    inputs = round_.get("inputs") or {}
    if inputs.get("options"):
        table.add_row("options", repr(inputs["options"]))
    if inputs.get("actions"):
        table.add_row("actions", ", ".join(inputs["actions"]))
    if verdict is not None:
        style = "bold green" if verdict == "match" else "bold red"
        table.add_row("verdict", Text(f"{verdict.upper()}  {detail}", style=style))
    return table


def seeds_table(seeds: Mapping[str, Any]) -> Table:
    table = Table(box=box.MINIMAL, show_header=False, title="Provably fair seeds")
    table.add_column(style="dim")
    table.add_column()
    table.add_row("server seed hash", seeds["server_seed_hash"])
    table.add_row("client seed", seeds["client_seed"])
    table.add_row("next nonce", str(seeds["nonce"]))
    if seeds.get("revealed_server_seed"):
        table.add_row("revealed seed", Text(seeds["revealed_server_seed"], style="bold yellow"))
        table.add_row("its hash was", seeds["revealed_seed_hash"])
    return table
