"""Each game's rules and paytable for players, built from the game's own definition.

The help panel of the browser client (GET /api/games/{id}/rules) shows what this returns:
sentences of rules, and tables of what each result pays. Every figure is read from the
constants the game plays with and `run.py rtp` computes from (reel strips, paylines, pays,
free-spin awards, odds, decks), never typed again here, so the help cannot drift from the
game. Slots also carry their strips and paylines as data, for a client to draw the lines.

The findings both this help and the published rules page (server/docs_rules.py, which adds
only the Markdown) state live here too, once: what each roulette bet covers, which baccarat
bets a tie returns, the banker's third-card tableau, and blackjack's house rules, found by
dealing small fixed shoes through the real rule functions, so neither text can state a rule
the code does not play.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Any

from games import baccarat, blackjack, cards, classic_slot, roulette, video_slot
from games import blackjack_rules as bj
from games.base import GameInfo


def roulette_coverage() -> dict[str, int]:
    """How many numbers each roulette bet type covers, in the order of `roulette.BET_TYPES`."""
    covered = {kind: len(next(iter(sets))) for kind, sets in roulette.INSIDE.items()}
    covered |= {kind: len(sets[0]) for kind, sets in roulette.OUTSIDE_INDEXED.items()}
    covered |= {kind: len(numbers) for kind, numbers in roulette.EVEN_MONEY.items()}
    return covered


def baccarat_pushes_on_tie() -> tuple[str, ...]:
    """The bets other than `tie` that a tie returns whole (a push), asked of `returns`."""
    return tuple(
        bet for bet in baccarat.BETS if bet != "tie" and baccarat.returns(bet, 100, "tie") == 100
    )


BACCARAT_THIRDS: tuple[int | None, ...] = (None, *range(10))  # None: the player stood


def baccarat_tableau() -> list[tuple[int, tuple[bool, ...]]]:
    """For each banker total 0 to 7, whether the banker draws, by `BACCARAT_THIRDS`."""
    return [
        (total, tuple(baccarat.banker_draws(total, third) for third in BACCARAT_THIRDS))
        for total in range(8)
    ]


@dataclass(frozen=True, slots=True)
class HouseRules:
    """Blackjack's house rules as the rule functions play them."""

    stands_soft_17: bool
    peeks_under_ten: bool  # at once, before the player acts
    peeks_under_ace: bool  # after the insurance decision
    blackjack_pays: Fraction  # won per unit staked
    insurance_pays: Fraction
    split_second_card_late: bool  # a split hand takes its second card when play reaches it
    doubles_after_split: bool
    split_aces_one_card: bool
    split_21_pays: Fraction
    surrender: bool


def _shoe(*names: str) -> tuple[int, ...]:
    """A shoe that starts with the named cards, the rest of the six decks after them."""
    top = [cards.parse(name) for name in names]
    rest = cards.new_shoe(bj.DECKS)
    for card in top:
        rest.remove(card)
    return (*top, *rest)


def _after(shoe: tuple[int, ...], *actions: str, stake: int = 2) -> bj.BlackjackState:
    state = bj.deal(stake, shoe)
    for action in actions:
        state = bj.apply(state, action)
    return state


def _won(returned: int, staked: int) -> Fraction:
    return Fraction(returned - staked, staked)


@cache
def blackjack_house_rules() -> HouseRules:
    """The house rules, found by dealing fixed shoes through `games.blackjack_rules`."""
    soft_17 = _after(_shoe("TS", "6S", "9S", "AS", "5S"), "stand")
    natural = bj.deal(2, _shoe("AS", "9S", "KS", "7S"))
    insured = _after(_shoe("5S", "AS", "6S", "KS"), "insurance", stake=4)
    split = _after(_shoe("8S", "5S", "8H", "6S", "3S", "2S", "TS"), "split")
    aces = _after(_shoe("AS", "5S", "AH", "6S", "AD", "9S", "TS"), "split")
    split_21 = _after(_shoe("AS", "9S", "AH", "TS", "KS", "KH"), "split")
    return HouseRules(
        stands_soft_17=len(soft_17.dealer) == 2,
        peeks_under_ten=bj.deal(2, _shoe("5S", "KS", "6S", "AS")).phase is bj.Phase.SETTLED,
        peeks_under_ace=bj.deal(2, _shoe("5S", "AS", "6S", "KS")).phase is bj.Phase.INSURANCE,
        blackjack_pays=_won(bj.hand_returns(natural, natural.hands[0]), 2),
        insurance_pays=_won(bj.payout(insured), 2),
        split_second_card_late=[len(hand.cards) for hand in split.hands] == [2, 1],
        doubles_after_split="double" in bj.legal_actions(split),
        split_aces_one_card=[len(hand.cards) for hand in aces.hands] == [2, 2],
        split_21_pays=_won(bj.hand_returns(split_21, split_21.hands[0]), 2),
        surrender="surrender" in set(bj.Action),
    )


def _percent(value: Fraction) -> str:
    return f"{float(value) * 100:.3f}"


def _odds(value: Fraction) -> str:
    """Odds to one as people write them: 1, 0.95, 35."""
    return str(value.numerator) if value.denominator == 1 else f"{float(value):g}"


def _common(info: GameInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "name": info.name,
        "kind": info.kind,
        "min_stake": info.min_stake,
        "max_stake": info.max_stake,
        "stake_step": info.stake_step,
        "rtp": _percent(info.rtp),
    }


def _line_names(count: int) -> str:
    return f"{count} paylines"


def classic_sevens() -> dict[str, Any]:
    game = classic_slot
    lines = len(game.PAYLINES)
    three = [
        [f"{symbol} {symbol} {symbol}", f"{pays}× line stake"]
        for symbol, pays in sorted(game.THREE_OF_A_KIND.items(), key=lambda item: -item[1])
    ]
    cherries = [
        [" ".join([game.CHERRY] * count) + " from the left", f"{pays}× line stake"]
        for count, pays in sorted(game.CHERRIES_FROM_LEFT.items(), reverse=True)
    ]
    return {
        **_common(game.INFO),
        "rules": [
            f"{len(game.REELS)} reels, {game.ROWS} rows and {_line_names(lines)}: the three"
            " rows and the two diagonals.",
            f"The stake is shared evenly by the {lines} lines (a line stakes 1/{lines} of it).",
            "A line pays three of a kind, or one or two cherries from the left reel.",
            "Wins on different lines add up.",
            f"Return to player: {_percent(game.INFO.rtp)} %.",
        ],
        "tables": [
            {"title": "Paytable", "columns": ["Line shows", "Pays"], "rows": three + cherries}
        ],
        "reels": [list(strip) for strip in game.REELS],
        "rows": game.ROWS,
        "paylines": [list(line) for line in game.PAYLINES],
    }


def crown_jewels() -> dict[str, Any]:
    game = video_slot
    reels = game.REEL_SET
    lines = len(reels.paylines)
    runs = sorted({count for pays in reels.pays.values() for count in pays})
    awarded = sorted(reels.free_spins.items())
    least = awarded[0][0]
    return {
        **_common(game.INFO),
        "rules": [
            f"{len(reels.reels)} reels, {reels.rows} rows and {_line_names(lines)}.",
            f"The stake is shared evenly by the {lines} lines (a line stakes 1/{lines} of it).",
            f"A line pays {', '.join(map(str, runs[:-1]))} or {runs[-1]} of a kind from the left"
            " reel.",
            f"{reels.wild} stands in for every paying symbol and pays on its own.",
            f"{reels.scatter} pays anywhere on the reels, in multiples of the whole stake.",
            f"{least} or more scatters award {awarded[0][1]} free spins, in which every win is"
            f" multiplied by {reels.free_spin_multiplier}; {least} or more scatters during free"
            f" spins award {awarded[0][1]} more.",
            f"Return to player: {_percent(game.INFO.rtp)} %.",
        ],
        "tables": [
            {
                "title": "Paytable (× line stake)",
                "columns": ["Symbol", *(f"{count} in a row" for count in runs)],
                "rows": [
                    [symbol, *(f"{pays.get(count, 0)}×" for count in runs)]
                    for symbol, pays in sorted(
                        reels.pays.items(), key=lambda item: -max(item[1].values())
                    )
                ],
            },
            {
                "title": "Scatters (× stake)",
                "columns": ["Scatters", "Pays", "Free spins"],
                "rows": [
                    [str(count), f"{pays}×", str(reels.free_spins.get(count, 0))]
                    for count, pays in sorted(reels.scatter_pays.items())
                ],
            },
        ],
        "reels": [list(strip) for strip in reels.reels],
        "rows": reels.rows,
        "paylines": [list(line) for line in reels.paylines],
    }


_ROULETTE_NAMES = {
    "straight": "Straight (one number)",
    "split": "Split (two numbers side by side)",
    "street": "Street (a row of three)",
    "trio": "Trio (0 with 1-2 or 2-3)",
    "corner": "Corner (four numbers)",
    "first_four": "First four (0-1-2-3)",
    "six_line": "Six line (two rows)",
    "dozen": "Dozen (1-12, 13-24, 25-36)",
    "column": "Column (2 to 1)",
    "low": "Low (1-18)",
    "high": "High (19-36)",
}


def european_roulette() -> dict[str, Any]:
    game = roulette
    covered = roulette_coverage()
    rows = [
        [
            _ROULETTE_NAMES.get(kind, kind.replace("_", " ").capitalize()),
            str(n),
            f"{game.pays(n)} to 1",
        ]
        for kind, n in sorted(covered.items(), key=lambda item: (item[1], item[0]))
    ]
    return {
        **_common(game.INFO),
        "rules": [
            f"A single-zero wheel of {game.POCKETS} pockets.",
            f"Place up to {game.MAX_BETS} bets on one spin; the stake is their sum.",
            "Zero loses every outside bet (dozens, columns, red or black, odd or even, 1-18"
            " or 19-36).",
            f"Every bet returns 36 units per unit of coverage: a return to player of"
            f" {_percent(game.INFO.rtp)} % on each.",
        ],
        "tables": [{"title": "Bets", "columns": ["Bet", "Numbers", "Pays"], "rows": rows}],
    }


def _to(won: Fraction) -> str:
    """A payout as people write it: 3 to 2."""
    return f"{won.numerator} to {won.denominator}"


def blackjack_table() -> dict[str, Any]:
    info, house = blackjack.INFO, blackjack_house_rules()
    soft = f", soft {bj.DEALER_STANDS_ON} included" if house.stands_soft_17 else ""
    return {
        **_common(info),
        "rules": [
            f"{bj.DECKS} decks, shuffled for every round.",
            f"The dealer draws below {bj.DEALER_STANDS_ON} and stands on every"
            f" {bj.DEALER_STANDS_ON}{soft}.",
            "The dealer peeks under an ace or a ten: a dealer blackjack ends the round at once,"
            " and you lose only your first stake.",
            "Double on any first two cards"
            + (", also after a split." if house.doubles_after_split else "."),
            f"Split any two cards of equal value (10, J, Q, K count as a pair), up to"
            f" {bj.MAX_HANDS} hands; a split hand takes its second card when you play it.",
            "Split aces take one card each and cannot be split again; 21 after a split is not"
            " a blackjack.",
            "Insurance (half the stake) is offered when the dealer shows an ace."
            + ("" if house.surrender else " No surrender."),
            f"Return to player with basic strategy: {_percent(info.rtp)} %.",
        ],
        "tables": [
            {
                "title": "Payouts",
                "columns": ["Result", "Pays"],
                "rows": [
                    ["Blackjack", _to(house.blackjack_pays)],
                    ["Win", "1 to 1"],
                    ["Push", "stake back"],
                    ["Insurance, when the dealer has blackjack", _to(house.insurance_pays)],
                ],
            }
        ],
    }


def punto_banco() -> dict[str, Any]:
    game = baccarat
    return {
        **_common(game.INFO),
        "rules": [
            f"Punto banco from an {game.DECKS}-deck shoe, shuffled for every coup, with the full"
            " third-card rules.",
            "Bet on the player, the banker or a tie; the hand closest to 9 wins.",
            f"A tie returns {' and '.join(baccarat_pushes_on_tie())} bets.",
            f"Return to player: {_percent(game.INFO.rtp)} % (the best bet's).",
        ],
        "tables": [
            {
                "title": "Payouts",
                "columns": ["Bet", "Pays"],
                "rows": [[bet.capitalize(), f"{_odds(game.ODDS[bet])} to 1"] for bet in game.BETS],
            }
        ],
    }


RULES: dict[str, Callable[[], dict[str, Any]]] = {
    classic_slot.INFO.id: classic_sevens,
    video_slot.INFO.id: crown_jewels,
    roulette.INFO.id: european_roulette,
    blackjack.INFO.id: blackjack_table,
    baccarat.INFO.id: punto_banco,
}


def rules(game_id: str) -> dict[str, Any] | None:
    """The rules and paytable of one game, or None when no game has this id."""
    build = RULES.get(game_id)
    return build() if build else None
