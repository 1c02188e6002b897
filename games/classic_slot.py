"""Classic Sevens: a 3-reel, 3-row slot with 5 paylines.

Each reel stops on a uniformly drawn position of its strip and shows that
symbol and the next two (wrapping). The stake is split evenly over the five
lines (three rows and two diagonals); a line pays when it shows three of a
kind, or cherries from the left. The return to player is computed exactly by
enumerating every combination of stops (`exact_rtp`) and stated in `INFO`; a
test holds the two equal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from itertools import product
from typing import Any, NamedTuple

from games.base import (
    GameInfo,
    Options,
    SingleStepGame,
    Volatility,
    is_int,
    require,
    stored_int,
    stored_list,
)
from rng.generator import Generator

ROWS = 3

# Symbols are short strings on the wire so a client can draw them without a table.
SEVEN, BAR, BELL, PLUM, LEMON, CHERRY, BLANK = "7", "BAR", "BELL", "PLUM", "LEMON", "CHERRY", "-"

REELS: tuple[tuple[str, ...], ...] = (
    (SEVEN, BLANK, CHERRY, LEMON, BAR, BLANK, PLUM, LEMON, BELL, BLANK, CHERRY, PLUM,
     LEMON, BLANK, BAR, BELL, LEMON, BLANK, PLUM, CHERRY, LEMON, BLANK, BELL, PLUM),
    (SEVEN, LEMON, BLANK, PLUM, CHERRY, BAR, LEMON, BLANK, BELL, PLUM, BLANK, LEMON,
     CHERRY, BAR, BLANK, PLUM, BELL, LEMON, BLANK, CHERRY, PLUM, BLANK, LEMON, BELL),
    (SEVEN, PLUM, BLANK, LEMON, BELL, BLANK, CHERRY, BAR, LEMON, BLANK, PLUM, BELL,
     BLANK, LEMON, CHERRY, PLUM, BLANK, BAR, LEMON, BLANK, BELL, CHERRY, PLUM, LEMON),
)  # fmt: skip

# Row indices a line reads on reels 1..3.
PAYLINES: tuple[tuple[int, int, int], ...] = (
    (1, 1, 1),  # middle
    (0, 0, 0),  # top
    (2, 2, 2),  # bottom
    (0, 1, 2),  # diagonal down
    (2, 1, 0),  # diagonal up
)

# Pays in multiples of the line stake.
THREE_OF_A_KIND: dict[str, int] = {
    SEVEN: 400,
    BAR: 100,
    BELL: 60,
    PLUM: 40,
    LEMON: 20,
    CHERRY: 50,
}
CHERRIES_FROM_LEFT: dict[int, int] = {1: 2, 2: 5}  # three cherries use THREE_OF_A_KIND

INFO = GameInfo(
    id="classic-sevens",
    name="Classic Sevens",
    kind="slot",
    min_stake=len(PAYLINES),
    max_stake=100_000,
    stake_step=len(PAYLINES),
    rtp=Fraction(13199, 13824),  # 95.479 %, equal to exact_rtp() (a test holds them equal)
    volatility=Volatility.MEDIUM,
)


@dataclass(frozen=True, slots=True)
class LineWin:
    line: int
    symbol: str
    count: int
    multiplier: int  # of the line stake


class SpinState(NamedTuple):
    """A settled spin. A named tuple rather than a frozen dataclass: as immutable, and built
    in a third of the time (a frozen dataclass sets each field through object.__setattr__)."""

    stake: int
    stops: tuple[int, ...]
    grid: tuple[tuple[str, ...], ...]  # grid[reel][row]
    wins: tuple[LineWin, ...]
    payout: int


def window(stops: tuple[int, ...]) -> tuple[tuple[str, ...], ...]:
    """The symbols each reel shows for the given stops."""
    return tuple(
        tuple(reel[(stop + row) % len(reel)] for row in range(ROWS))
        for reel, stop in zip(REELS, stops, strict=True)
    )


def line_pay(symbols: tuple[str, ...]) -> tuple[str, int, int] | None:
    """(symbol, count, multiplier) for one line's symbols, or None when it pays nothing."""
    first = symbols[0]
    if all(s == first for s in symbols) and first in THREE_OF_A_KIND:
        return first, len(symbols), THREE_OF_A_KIND[first]
    if first == CHERRY:
        count = 1
        while count < len(symbols) and symbols[count] == CHERRY:
            count += 1
        return CHERRY, count, CHERRIES_FROM_LEFT[count]
    return None


def evaluate(grid: tuple[tuple[str, ...], ...]) -> tuple[tuple[LineWin, ...], int]:
    """Line wins of a grid and their sum in multiples of the line stake."""
    wins = []
    for index, rows in enumerate(PAYLINES):
        pay = line_pay(tuple(grid[reel][row] for reel, row in enumerate(rows)))
        if pay is not None:
            wins.append(LineWin(index, *pay))
    return tuple(wins), sum(w.multiplier for w in wins)


def _all_stops() -> Iterator[tuple[int, ...]]:
    return product(*(range(len(reel)) for reel in REELS))


def multiplier_counts() -> Counter[int]:
    """How many combinations of stops pay each total multiplier of the line stake."""
    return Counter(evaluate(window(stops))[1] for stops in _all_stops())


def exact_rtp() -> Fraction:
    """Return to player over every combination of stops, as an exact fraction."""
    counts = multiplier_counts()
    total_multiplier = sum(multiplier * n for multiplier, n in counts.items())
    return Fraction(total_multiplier, counts.total() * len(PAYLINES))


def spin(stake: int, stops: tuple[int, ...]) -> SpinState:
    """The settled spin for `stake` at `stops` (each within its reel): a pure function, so
    storage keeps only inputs. Read from the table below, which `evaluate` filled."""
    first, second, third = stops
    grid = (_COLUMNS[0][first], _COLUMNS[1][second], _COLUMNS[2][third])
    index = (first * _LENGTHS[1] + second) * _LENGTHS[2] + third
    return SpinState(stake, stops, grid, _WINS[index], stake // _LINES * _MULTIPLIERS[index])


# The table every spin reads: for each combination of stops (index (s0 * 24 + s1) * 24 + s2)
# its line wins and total multiplier, as `evaluate(window(stops))` gives them (a test holds
# the two equal for every combination). Built at import, each line's symbol triple priced
# once by `line_pay`: about 20 ms. Wins and LineWins are interned (67 distinct win
# tuples), so the table is two lists of 13,824 references, about 220 KB. All of it is
# immutable: spins share tuples and frozen LineWins, never a mutable object.
def _build_table() -> tuple[list[tuple[LineWin, ...]], list[int]]:
    line_wins: dict[tuple[int, str, str, str], LineWin | None] = {}
    interned: dict[tuple[LineWin, ...], tuple[LineWin, ...]] = {}
    wins_table: list[tuple[LineWin, ...]] = []
    multipliers: list[int] = []
    lines = tuple(enumerate(PAYLINES))
    for first in _COLUMNS[0]:
        for second in _COLUMNS[1]:
            prefixes = [(line, first[a], second[b], c) for line, (a, b, c) in lines]
            for third in _COLUMNS[2]:
                wins = []
                for line, x, y, row in prefixes:
                    key = (line, x, y, third[row])
                    if key not in line_wins:
                        pay = line_pay(key[1:])
                        line_wins[key] = None if pay is None else LineWin(line, *pay)
                    win = line_wins[key]
                    if win is not None:
                        wins.append(win)
                won = tuple(wins)
                wins_table.append(interned.setdefault(won, won))
                multipliers.append(sum(w.multiplier for w in won))
    return wins_table, multipliers


_LINES = len(PAYLINES)
_LENGTHS = tuple(len(reel) for reel in REELS)
# What each reel shows at each of its stops, as `window` reads it.
_COLUMNS = tuple(
    tuple(window((stop,) * len(REELS))[reel] for stop in range(length))
    for reel, length in enumerate(_LENGTHS)
)
_WINS, _MULTIPLIERS = _build_table()


class ClassicSlot(SingleStepGame):
    info = INFO

    def start(self, stake: int, rng: Generator, options: Options = None) -> SpinState:
        self.validate(stake, options)
        draw = rng.randbelow
        return spin(stake, (draw(_LENGTHS[0]), draw(_LENGTHS[1]), draw(_LENGTHS[2])))

    def payout(self, state: SpinState) -> int:
        return state.payout

    def describe(self, state: SpinState) -> dict[str, Any]:
        return {
            "stops": list(state.stops),
            "grid": list(map(list, state.grid)),
            "wins": [
                {"line": w.line, "symbol": w.symbol, "count": w.count, "multiplier": w.multiplier}
                for w in state.wins
            ]
            if state.wins
            else [],  # most spins win nothing: skip building the comprehension
        }

    def state_to_data(self, state: SpinState) -> dict[str, Any]:
        return {"stake": state.stake, "stops": list(state.stops)}

    def state_from_data(self, data: Mapping[str, Any]) -> SpinState:
        stake, stops = stored_int(data, "stake"), stored_list(data, "stops")
        require(len(stops) == len(REELS), "one stop per reel")
        for stop, reel in zip(stops, REELS, strict=True):
            require(is_int(stop) and 0 <= stop < len(reel), "stop outside its reel")
        return spin(stake, tuple(stops))
