"""The games' public contract for the docs, generated from the games' own definitions.

A verifier replays a round's draws (docs/players/provably-fair.md); to check what a round
paid it also needs each game's rules: the slots' reel strips, paylines, paytables and
free-spin rules, the roulette bet format and payouts, blackjack's house rules and baccarat's
payouts and tableau. `game_rules` renders them for the `game-rules` generated section of
docs/players/game-rules.md (filled by server.docs_site). Every number is read from the
module the server deals with; what a roulette bet covers, which baccarat bets a tie returns,
the banker's tableau and blackjack's house rules (found by dealing small fixed shoes through
the real rule functions) come from games/rules.py, the same findings the in-game help
states, so the page and the help cannot tell two stories. This module adds only the
Markdown. Nothing here is imported by the running server.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

from games import baccarat, classic_slot, roulette, video_slot
from games import blackjack_rules as bj
from games import rules as found


def _table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _symbol(symbol: str) -> str:
    return f"`{symbol}`"


def _strips(reels: tuple[tuple[str, ...], ...]) -> str:
    """One row per strip position, one column per reel."""
    header = ["position", *(f"reel {n}" for n in range(1, len(reels) + 1))]
    rows = [
        [str(position), *(_symbol(reel[position]) for reel in reels)]
        for position in range(max(len(reel) for reel in reels))
    ]
    return _table(header, rows)


def _paylines(paylines: tuple[tuple[int, ...], ...]) -> str:
    header = ["line", *(f"reel {n}" for n in range(1, len(paylines[0]) + 1))]
    return _table(header, [[index, *rows] for index, rows in enumerate(paylines)])


def classic_sevens() -> str:
    info, lines = classic_slot.INFO, len(classic_slot.PAYLINES)
    pays = [
        (_symbol(symbol), "3 on a line", f"{pay} × line stake")
        for symbol, pay in classic_slot.THREE_OF_A_KIND.items()
    ] + [
        (_symbol(classic_slot.CHERRY), f"{count} from the left", f"{pay} × line stake")
        for count, pay in classic_slot.CHERRIES_FROM_LEFT.items()
    ]
    return "\n\n".join(
        [
            f"### {info.name} (`{info.id}`) {{#rules-{info.id}}}",
            f"{len(classic_slot.REELS)} reels of {len(classic_slot.REELS[0])} positions, "
            f"{classic_slot.ROWS} rows. A reel stopped at `stop` shows positions `stop`, "
            f"`stop + 1`, `stop + 2` (wrapping), top to bottom. The stake is split evenly "
            f"over the {lines} lines (line stake = stake / {lines}); each line pays its best "
            "win, and the round pays the sum.",
            "Reel strips:",
            _strips(classic_slot.REELS),
            "Paylines (the row, 0 = top, read on each reel):",
            _paylines(classic_slot.PAYLINES),
            "Paytable (three cherries pay as three of a kind):",
            _table(("symbol", "run", "pays"), pays),
        ]
    )


def crown_jewels() -> str:
    info, reel_set = video_slot.INFO, video_slot.REEL_SET
    lines = reel_set.lines
    pays = [
        (_symbol(symbol), count, f"{pay} × line stake")
        for symbol, runs in reel_set.pays.items()
        for count, pay in sorted(runs.items())
    ]
    scatter = [
        (count, f"{pay} × total stake", reel_set.free_spins.get(count, 0))
        for count, pay in sorted(reel_set.scatter_pays.items())
    ]
    return "\n\n".join(
        [
            f"### {info.name} (`{info.id}`) {{#rules-{info.id}}}",
            f"{len(reel_set.reels)} reels of {len(reel_set.reels[0])} positions, "
            f"{reel_set.rows} rows, {lines} lines; line stake = stake / {lines}. A line pays "
            f"its longest run of one symbol from reel 1, `{reel_set.wild}` standing in for "
            f"every paying symbol; a run of `{reel_set.wild}` alone pays as `{reel_set.wild}`, "
            f"and the line pays the better of the two. `{reel_set.scatter}` is in no run: it "
            "pays on its count anywhere in the window.",
            f"Free spins: {', '.join(str(c) for c in sorted(reel_set.free_spins))} scatters "
            "award the spins below, in any spin, free spins included (retriggers have no "
            "limit). Free spins are played right after the base spin, in order, on the same "
            f"strips and lines at the same stake, each taking the next {len(reel_set.reels)} "
            f"stops from the stream; every win of a free spin is multiplied by "
            f"{reel_set.free_spin_multiplier}. The round pays the sum of all its spins.",
            "Reel strips:",
            _strips(reel_set.reels),
            "Paylines (the row, 0 = top, read on each reel):",
            _paylines(reel_set.paylines),
            "Line paytable:",
            _table(("symbol", "run from reel 1", "pays"), pays),
            f"Scatter (`{reel_set.scatter}`) pays and free spins:",
            _table(("scatters shown", "pays", "free spins awarded"), scatter),
        ]
    )


def european_roulette() -> str:
    info, covered = roulette.INFO, found.roulette_coverage()
    inside = [
        (
            f"`{kind}`",
            "`numbers`, a list of " + ", ".join(sorted({str(len(s)) for s in sets})),
            f"{len(sets)} placements on the layout",
            f"{roulette.pays(covered[kind])}:1",
        )
        for kind, sets in roulette.INSIDE.items()
    ]

    def spans(kind: str, sets: tuple[frozenset[int], ...]) -> str:
        shown = (
            f"{min(numbers)}-{max(numbers)}"
            if kind == "dozen"
            else f"{min(numbers)}, {min(numbers) + 3}, … {max(numbers)}"
            for numbers in sets
        )
        return "; ".join(f"{index}: {text}" for index, text in enumerate(shown, start=1))

    indexed = [
        (f"`{kind}`", "`index`: 1, 2 or 3", spans(kind, sets), f"{roulette.pays(covered[kind])}:1")
        for kind, sets in roulette.OUTSIDE_INDEXED.items()
    ]
    even = [
        (f"`{kind}`", "nothing", f"{len(numbers)} numbers", f"{roulette.pays(covered[kind])}:1")
        for kind, numbers in roulette.EVEN_MONEY.items()
    ]
    return "\n\n".join(
        [
            f"### {info.name} (`{info.id}`) {{#rules-{info.id}}}",
            f"{roulette.POCKETS} pockets, 0 to {roulette.POCKETS - 1}; red: "
            + ", ".join(str(n) for n in sorted(roulette.RED))
            + '. A spin\'s options are `{"bets": [...]}`, 1 to '
            f'{roulette.MAX_BETS} bets, each `{{"type": ..., "amount": ...}}` plus what its '
            'type names (e.g. `{"type": "split", "numbers": [17, 20], "amount": 100}`, '
            '`{"type": "dozen", "index": 2, "amount": 50}`, `{"type": "red", "amount": 50}`); '
            "the stake is the sum of the amounts. A bet covering n numbers pays 36 / n - 1 to "
            "1 and returns its amount with the win; 0 loses every outside bet (no la partage).",
            _table(("type", "names", "covers", "pays"), [*inside, *indexed, *even]),
        ]
    )


def _ratio(won: Fraction) -> str:
    return f"{won.numerator}:{won.denominator}"


def blackjack_house_rules() -> list[tuple[str, str]]:
    """Each house rule as (rule, what the rule functions do), from games/rules.py's findings."""
    house = found.blackjack_house_rules()
    return [
        ("decks", f"{bj.DECKS}, shuffled for every round"),
        ("dealer on soft 17", "stands" if house.stands_soft_17 else "hits"),
        (
            "dealer peeks for blackjack",
            ("under a ten-valued card at once" if house.peeks_under_ten else "never")
            + (", under an ace after the insurance decision" if house.peeks_under_ace else ""),
        ),
        ("a dealer blackjack", "ends the round before the player acts; only the stake is lost"),
        ("blackjack pays", _ratio(house.blackjack_pays)),
        ("insurance", f"half the stake, offered under an ace, pays {_ratio(house.insurance_pays)}"),
        (
            "a split hand's second card",
            "dealt when play reaches that hand"
            if house.split_second_card_late
            else "dealt at the split",
        ),
        ("split", f"any two cards of equal value (10-J-Q-K pair), up to {bj.MAX_HANDS} hands"),
        (
            "double",
            "on any first two cards" + (", after a split too" if house.doubles_after_split else ""),
        ),
        ("split aces", "one card each, no resplit" if house.split_aces_one_card else "played on"),
        ("21 after a split", "pays " + _ratio(house.split_21_pays) + ", not as a blackjack"),
        ("a hand reaching 21", "stands by itself"),
        ("surrender", "offered" if house.surrender else "not offered"),
        ("actions", ", ".join(f"`{action}`" for action in bj.Action)),
    ]


def blackjack() -> str:
    return "\n\n".join(
        [
            "### Blackjack (`blackjack`) {#rules-blackjack}",
            "A round's `inputs.actions` are the player's actions in order; the deal is in "
            "the provably fair page. Every hand returns its stake with its win; a push "
            "returns the stake.",
            _table(("house rule", "this server"), blackjack_house_rules()),
        ]
    )


def punto_banco() -> str:
    info = baccarat.INFO
    pushes = found.baccarat_pushes_on_tie()
    odds = [
        (f"`{bet}`", _ratio(odds), "pushes (stake returned)" if bet in pushes else "—")
        for bet, odds in baccarat.ODDS.items()
    ]
    tableau = [
        (str(total), *("draws" if draws else "stands" for draws in row))
        for total, row in found.baccarat_tableau()
    ]
    return "\n\n".join(
        [
            f"### {info.name} (`{info.id}`) {{#rules-{info.id}}}",
            f'{baccarat.DECKS} decks. Options are `{{"bet": ...}}`, one of '
            + ", ".join(f"`{bet}`" for bet in baccarat.BETS)
            + "; stakes in steps of "
            f"{info.stake_step}, which keeps a banker win whole. Points: ace 1, two to nine "
            "at face, tens and pictures 0; a hand's total is its points modulo 10. A natural "
            "(8 or 9 on two cards) on either side ends the coup; otherwise the player draws "
            "on 0 to 5 and stands on 6 or 7, and the banker follows the table below.",
            _table(("bet", "pays", "on a tie"), odds),
            "Banker's third card, by the banker's total (rows) and the player's third "
            "card's points (columns; `none`: the player stood):",
            _table(
                ("banker", *(str(t) if t is not None else "none" for t in found.BACCARAT_THIRDS)),
                tableau,
            ),
        ]
    )


def game_rules() -> str:
    return "\n\n".join(
        [classic_sevens(), crown_jewels(), european_roulette(), blackjack(), punto_banco()]
    )
