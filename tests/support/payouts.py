"""An independent payout checker: a round's payout recomputed from its proof, its inputs and
the games' published rules, to compare with what the server paid.

Independent on purpose: it imports nothing of `server/`, `games/` or `rng/`. The draws come
from the algorithm docs/players/provably-fair.md publishes (HMAC-SHA256 blocks, top bits,
rejection), the symbols and paytables are the published ones written out again here, and
the rules (lines, wilds, scatters, free spins, the blackjack and punto banco tableaux) are
coded anew. So a bug in the server's settle path, or in a game's own payout code, makes the
two figures differ instead of agreeing by construction. If a published rule changes, this
file changes with the docs, and a test says which figure moved.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# -- the provably fair stream (docs/players/provably-fair.md) -----------------------------------


class Stream:
    """The round's byte stream and the unbiased integers drawn from it."""

    def __init__(self, server_seed: bytes, client_seed: str, nonce: int) -> None:
        self._bytes = self._blocks(server_seed, client_seed, nonce)

    @staticmethod
    def _blocks(server_seed: bytes, client_seed: str, nonce: int) -> Iterator[int]:
        counter = 0
        while True:
            message = f"{client_seed}:{nonce}:{counter}".encode()
            yield from hmac.new(server_seed, message, hashlib.sha256).digest()
            counter += 1

    def below(self, n: int) -> int:
        """An integer in [0, n): the top k = bit_length(n - 1) bits of ceil(k/8) bytes,
        retried while >= n."""
        k = (n - 1).bit_length()
        size = (k + 7) // 8
        while True:
            raw = int.from_bytes(bytes(next(self._bytes) for _ in range(size)), "big")
            value = raw >> (8 * size - k)
            if value < n:
                return value


# -- Classic Sevens -----------------------------------------------------------------------------

SEVENS_REELS = (
    "7 - CHERRY LEMON BAR - PLUM LEMON BELL - CHERRY PLUM "
    "LEMON - BAR BELL LEMON - PLUM CHERRY LEMON - BELL PLUM",
    "7 LEMON - PLUM CHERRY BAR LEMON - BELL PLUM - LEMON "
    "CHERRY BAR - PLUM BELL LEMON - CHERRY PLUM - LEMON BELL",
    "7 PLUM - LEMON BELL - CHERRY BAR LEMON - PLUM BELL "
    "- LEMON CHERRY PLUM - BAR LEMON - BELL CHERRY PLUM LEMON",
)
SEVENS_LINES = ((1, 1, 1), (0, 0, 0), (2, 2, 2), (0, 1, 2), (2, 1, 0))
SEVENS_THREE = {"7": 400, "BAR": 100, "BELL": 60, "PLUM": 40, "LEMON": 20, "CHERRY": 50}
SEVENS_CHERRIES = {1: 2, 2: 5}  # cherries from the left, in line stakes


@dataclass(frozen=True)
class SlotResult:
    payout: int
    stops: list[list[int]]  # one list per spin: the base spin, then each free spin
    line_wins: int = 0  # paying lines over every spin
    scatter_pays: int = 0  # spins whose scatters paid
    free_spins: int = 0
    symbols_won: set[str] = field(default_factory=set)


def classic_sevens(stake: int, stream: Stream) -> SlotResult:
    strips = [reel.split() for reel in SEVENS_REELS]
    stops = [stream.below(len(strip)) for strip in strips]
    shown = [[strip[(stop + row) % len(strip)] for row in range(3)] for strip, stop in
             zip(strips, stops, strict=True)]  # fmt: skip
    units, lines, symbols = 0, 0, set()
    for rows in SEVENS_LINES:
        line = [shown[reel][row] for reel, row in enumerate(rows)]
        pay = 0
        if line.count(line[0]) == 3 and line[0] in SEVENS_THREE:
            pay = SEVENS_THREE[line[0]]
        elif line[0] == "CHERRY":
            pay = SEVENS_CHERRIES[2 if line[1] == "CHERRY" else 1]
        if pay:
            units, lines = units + pay, lines + 1
            symbols.add(line[0])
    return SlotResult(stake // 5 * units, [stops], line_wins=lines, symbols_won=symbols)


# -- Crown Jewels -------------------------------------------------------------------------------

JEWELS_REELS = (
    "CROWN J Q S 10 A BELL K J RUBY 10 Q W K J BELL A 10 Q RUBY J K 10 J A Q BELL J 10 K A Q",
    "10 A J K S Q BELL RUBY 10 J W A K Q CROWN 10 J BELL A Q K J J 10 RUBY Q A K W J 10 BELL",
    "J Q K A 10 S BELL J RUBY Q 10 W K A CROWN J Q 10 BELL J K A J RUBY 10 Q W K J A 10 Q",
    "Q 10 J S A K BELL RUBY Q J 10 W A K CROWN Q J 10 J BELL A K RUBY J Q 10 A K J Q 10 BELL",
    "K J 10 A S Q BELL J RUBY 10 K A W Q J 10 CROWN K A J J Q BELL 10 K RUBY A J Q 10 K A",
)  # W is the wild, S the scatter
JEWELS_LINES = (
    (1, 1, 1, 1, 1), (0, 0, 0, 0, 0), (2, 2, 2, 2, 2), (0, 1, 2, 1, 0), (2, 1, 0, 1, 2),
    (0, 0, 1, 2, 2), (2, 2, 1, 0, 0), (1, 0, 0, 0, 1), (1, 2, 2, 2, 1), (0, 1, 1, 1, 0),
    (2, 1, 1, 1, 2), (1, 0, 1, 2, 1), (1, 2, 1, 0, 1), (0, 1, 0, 1, 0), (2, 1, 2, 1, 2),
    (1, 1, 0, 1, 1), (1, 1, 2, 1, 1), (0, 0, 2, 0, 0), (2, 2, 0, 2, 2), (0, 2, 0, 2, 0),
)  # fmt: skip
JEWELS_PAYS = {  # runs of 3, 4, 5 from the left, in line stakes
    "W": (100, 500, 2000), "CROWN": (50, 200, 1000), "RUBY": (30, 120, 500),
    "BELL": (20, 80, 300), "A": (10, 50, 200), "K": (9, 40, 150), "Q": (8, 30, 100),
    "J": (8, 20, 80), "10": (8, 20, 60),
}  # fmt: skip
JEWELS_SCATTER_PAYS = {3: 2, 4: 10, 5: 100}  # in total stakes
JEWELS_FREE_SPINS = 10  # for 3 or more scatters, in any spin
JEWELS_FREE_MULTIPLIER = 3


def _jewels_line(symbols: list[str]) -> tuple[str, int]:
    """(symbol, pay in line stakes) of one line: the better of the wilds' own run and the
    run of the first other symbol with wilds standing in; a scatter breaks every run."""
    best = ("", 0)
    wilds = next((i for i, s in enumerate(symbols) if s != "W"), len(symbols))
    if wilds >= 3:
        best = ("W", JEWELS_PAYS["W"][wilds - 3])
    if wilds < len(symbols) and symbols[wilds] != "S":
        symbol = symbols[wilds]
        run = wilds
        while run < len(symbols) and symbols[run] in (symbol, "W"):
            run += 1
        if run >= 3 and JEWELS_PAYS[symbol][run - 3] > best[1]:
            best = (symbol, JEWELS_PAYS[symbol][run - 3])
    return best


def crown_jewels(stake: int, stream: Stream) -> SlotResult:
    strips = [reel.split() for reel in JEWELS_REELS]
    assert all(len(strip) == 32 for strip in strips), "the published strips hold 32 symbols"
    all_stops: list[list[int]] = []
    total_units, lines, scatter_pays, symbols = 0, 0, 0, set()
    left = 1
    while left:
        stops = [stream.below(32) for _ in strips]
        all_stops.append(stops)
        shown = [[strip[(stop + row) % 32] for row in range(3)] for strip, stop in
                 zip(strips, stops, strict=True)]  # fmt: skip
        units = 0
        for rows in JEWELS_LINES:
            symbol, pay = _jewels_line([shown[reel][row] for reel, row in enumerate(rows)])
            if pay:
                units, lines = units + pay, lines + 1
                symbols.add(symbol)
        scatters = sum(column.count("S") for column in shown)
        if scatters in JEWELS_SCATTER_PAYS:
            units += JEWELS_SCATTER_PAYS[scatters] * len(JEWELS_LINES)
            scatter_pays += 1
        total_units += units * (JEWELS_FREE_MULTIPLIER if len(all_stops) > 1 else 1)
        left += (JEWELS_FREE_SPINS if scatters >= 3 else 0) - 1
    return SlotResult(
        stake // len(JEWELS_LINES) * total_units,
        all_stops,
        line_wins=lines,
        scatter_pays=scatter_pays,
        free_spins=len(all_stops) - 1,
        symbols_won=symbols,
    )


# -- European roulette --------------------------------------------------------------------------

RED = {1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36}
EVEN_MONEY = {
    "red": RED,
    "black": set(range(1, 37)) - RED,
    "odd": set(range(1, 37, 2)),
    "even": set(range(2, 37, 2)),
    "low": set(range(1, 19)),
    "high": set(range(19, 37)),
}
INSIDE_SIZES = {  # how many numbers each inside bet covers
    "straight": 1, "split": 2, "street": 3, "trio": 3, "corner": 4, "first_four": 4,
    "six_line": 6,
}  # fmt: skip


def roulette_covered(bet: Mapping[str, Any]) -> set[int]:
    kind = bet["type"]
    if kind in INSIDE_SIZES:
        numbers = set(bet["numbers"])
        assert len(numbers) == INSIDE_SIZES[kind], f"a {kind} covers {INSIDE_SIZES[kind]}"
        return numbers
    if kind == "dozen":
        return set(range(12 * bet["index"] - 11, 12 * bet["index"] + 1))
    if kind == "column":
        return {n for n in range(1, 37) if (n - bet["index"]) % 3 == 0}
    return EVEN_MONEY[kind]


def roulette_pocket(stream: Stream) -> int:
    return stream.below(37)


def roulette(bets: Sequence[Mapping[str, Any]], stream: Stream) -> tuple[int, int]:
    """(payout, pocket): a winning bet returns its amount times 36 / numbers covered."""
    pocket = roulette_pocket(stream)
    paid = 0
    for bet in bets:
        covered = roulette_covered(bet)
        if pocket in covered:
            paid += bet["amount"] * (36 // len(covered))
    return paid, pocket


# -- cards --------------------------------------------------------------------------------------


def rank(card: int) -> int:
    """0 for an ace ... 12 for a king (docs: rank `card % 13` in A23456789TJQK)."""
    return card % 13


def blackjack_shoe(stream: Stream) -> list[int]:
    shoe = [card for _ in range(6) for card in range(52)]
    for i in range(len(shoe) - 1, 0, -1):
        j = stream.below(i + 1)
        shoe[i], shoe[j] = shoe[j], shoe[i]
    return shoe


def baccarat_cards(stream: Stream) -> list[int]:
    shoe = [card for _ in range(8) for card in range(52)]
    for i in range(6):
        j = i + stream.below(len(shoe) - i)
        shoe[i], shoe[j] = shoe[j], shoe[i]
    return shoe[:6]


# -- Punto Banco --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoupResult:
    payout: int
    player: list[int]
    banker: list[int]
    natural: bool
    winner: str


def _baccarat_points(card: int) -> int:
    return min(rank(card) + 1, 10) % 10


def baccarat(bet: str, stake: int, stream: Stream) -> CoupResult:
    top = baccarat_cards(stream)
    player, banker = [top[0], top[2]], [top[1], top[3]]

    def score(hand: list[int]) -> int:
        return sum(_baccarat_points(c) for c in hand) % 10

    natural = score(player) >= 8 or score(banker) >= 8
    if not natural:
        if score(player) <= 5:
            player.append(top[4])
            third = _baccarat_points(top[4])
            b = score(banker)
            draws = b <= 2 or (b == 3 and third != 8) or (b == 4 and 2 <= third <= 7)
            draws = draws or (b == 5 and 4 <= third <= 7) or (b == 6 and third in (6, 7))
            if draws:
                banker.append(top[5])
        elif score(banker) <= 5:
            banker.append(top[4])
    p, b = score(player), score(banker)
    won = "player" if p > b else "banker" if b > p else "tie"
    if won == bet:
        paid = {"player": 2 * stake, "banker": stake + stake * 95 // 100, "tie": 9 * stake}[bet]
    else:
        paid = stake if won == "tie" else 0  # a tie returns banker and player bets
    return CoupResult(paid, player, banker, natural, won)


# -- Blackjack ----------------------------------------------------------------------------------


def _bj_total(hand: Sequence[int]) -> int:
    hard = sum(min(rank(c) + 1, 10) for c in hand)
    return hard + 10 if hard <= 11 and any(rank(c) == 0 for c in hand) else hard


@dataclass
class _Hand:
    cards: list[int]
    stake: int
    split: bool = False
    done: bool = False


@dataclass(frozen=True)
class HandResult:
    payout: int
    total_stake: int
    hands: list[list[int]]
    dealer: list[int]
    insurance: int


def blackjack(stake: int, actions: Sequence[str], stream: Stream) -> HandResult:
    """Replays a finished round: deal, the peek, the actions in order, the dealer, the pay
    (3:2 natural, insurance 2:1, stands on soft 17, split aces one card each)."""
    shoe = blackjack_shoe(stream)
    position = 4
    dealer = [shoe[1], shoe[3]]
    hands = [_Hand([shoe[0], shoe[2]], stake)]
    insurance = 0

    def draw() -> int:
        nonlocal position
        position += 1
        return shoe[position - 1]

    def natural(hand: _Hand) -> bool:
        return len(hand.cards) == 2 and not hand.split and _bj_total(hand.cards) == 21

    todo = list(actions)
    if rank(dealer[0]) == 0:
        # The deal waits for the insurance answer: `actions` that do not give it do not fit.
        assert todo, "an ace up asks for insurance first"
        decision = todo.pop(0)
        assert decision in ("insurance", "no_insurance"), decision
        insurance = stake // 2 if decision == "insurance" else 0
    dealer_natural = _bj_total(dealer) == 21
    if dealer_natural or natural(hands[0]):
        assert not todo, f"actions after a settled deal: {todo}"
        hands[0].done = True
    active = 0

    def advance() -> None:
        nonlocal active
        while active < len(hands):
            hand = hands[active]
            if len(hand.cards) == 1:
                hand.cards.append(draw())
                aces = rank(hand.cards[0]) == 0
                hand.done = aces or _bj_total(hand.cards) >= 21
            if not hand.done:
                return
            active += 1

    advance()
    for action in todo:
        assert active < len(hands), f"action {action} after every hand was done"
        hand = hands[active]
        if action == "stand":
            hand.done = True
        elif action == "hit":
            hand.cards.append(draw())
            hand.done = _bj_total(hand.cards) >= 21
        elif action == "double":
            assert len(hand.cards) == 2
            hand.cards.append(draw())
            hand.stake *= 2
            hand.done = True
        elif action == "split":
            first, second = hand.cards
            assert min(rank(first) + 1, 10) == min(rank(second) + 1, 10), "split needs a pair"
            hand.cards, hand.split = [first, draw()], True
            hand.done = rank(first) == 0 or _bj_total(hand.cards) >= 21
            hands.insert(active + 1, _Hand([second], hand.stake, split=True))
        else:
            raise AssertionError(f"unknown action {action}")
        advance()
    assert active == len(hands), "the round is not finished"
    if not dealer_natural and any(_bj_total(h.cards) <= 21 for h in hands):
        while _bj_total(dealer) < 17:
            dealer.append(draw())
    dealer_total = _bj_total(dealer)
    paid = insurance * 3 if dealer_natural else 0
    for hand in hands:
        total = _bj_total(hand.cards)
        if dealer_natural:
            paid += hand.stake if natural(hand) else 0
        elif natural(hand):
            paid += hand.stake * 5 // 2
        elif total > 21:
            pass
        elif dealer_total > 21 or total > dealer_total:
            paid += 2 * hand.stake
        elif total == dealer_total:
            paid += hand.stake
    return HandResult(
        paid, sum(h.stake for h in hands) + insurance, [h.cards for h in hands], dealer, insurance
    )


# -- any round ----------------------------------------------------------------------------------


def expected_payout(
    game: str, inputs: Mapping[str, Any], server_seed: bytes, client_seed: str, nonce: int
) -> int:
    """What the published rules pay for a round with these inputs and this proof."""
    stream = Stream(server_seed, client_seed, nonce)
    stake, options = int(inputs["stake"]), inputs.get("options") or {}
    if game == "classic-sevens":
        return classic_sevens(stake, stream).payout
    if game == "crown-jewels":
        return crown_jewels(stake, stream).payout
    if game == "european-roulette":
        return roulette(options["bets"], stream)[0]
    if game == "punto-banco":
        return baccarat(options["bet"], stake, stream).payout
    if game == "blackjack":
        return blackjack(stake, inputs.get("actions") or [], stream).payout
    raise AssertionError(f"no published rules here for {game!r}")
