"""The rules of a line slot with wilds, scatters and free spins, apart from any one game.

A `ReelSet` is data: reel strips, paylines, a paytable, an optional wild that
substitutes for every paying symbol, an optional scatter that pays on its count
anywhere in the window and awards free spins. This module turns stops into
wins and plays a whole round (base spin plus every free spin, retriggers
included) from a generator. The exact maths of the same data lives in
`games.reels_maths`; the two never share evaluation code, so a test that
compares them checks one against the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial

from rng.generator import Generator

Grid = tuple[tuple[str, ...], ...]  # grid[reel][row]


@dataclass(frozen=True, slots=True)
class ReelSet:
    reels: tuple[tuple[str, ...], ...]
    rows: int
    paylines: tuple[tuple[int, ...], ...]  # row index read on each reel
    pays: Mapping[str, Mapping[int, int]]  # symbol -> run length -> multiple of the line stake
    wild: str | None = None
    scatter: str | None = None
    scatter_pays: Mapping[int, int] = field(default_factory=dict)  # count -> x total stake
    free_spins: Mapping[int, int] = field(default_factory=dict)  # scatter count -> spins awarded
    free_spin_multiplier: int = 1  # every win of a free spin is multiplied by this

    @property
    def lines(self) -> int:
        return len(self.paylines)


@dataclass(frozen=True, slots=True)
class LineWin:
    line: int
    symbol: str
    count: int
    multiplier: int  # of the line stake, before any free-spin multiplier


@dataclass(frozen=True, slots=True)
class Spin:
    stops: tuple[int, ...]
    grid: Grid
    wins: tuple[LineWin, ...]
    scatters: int
    scatter_multiplier: int  # of the total stake, before any free-spin multiplier
    free_spins_awarded: int

    def line_units(self, reel_set: ReelSet) -> int:
        """The spin's win in line stakes (scatter pays converted), before any multiplier."""
        return sum(w.multiplier for w in self.wins) + self.scatter_multiplier * reel_set.lines


def window(reel_set: ReelSet, stops: tuple[int, ...]) -> Grid:
    """The symbols each reel shows: its stop and the next rows - 1 positions, wrapping."""
    return tuple(
        tuple(reel[(stop + row) % len(reel)] for row in range(reel_set.rows))
        for reel, stop in zip(reel_set.reels, stops, strict=True)
    )


def line_pay(reel_set: ReelSet, symbols: tuple[str, ...]) -> tuple[str, int, int] | None:
    """(symbol, count, multiplier) of one payline's symbols read left to right, or None.

    A run is the longest prefix of one symbol with wilds standing in; a prefix
    of wilds alone also pays as the wild's own symbol, and the line pays the
    better of the two. Scatters never sit in a line run.
    """
    wild = reel_set.wild
    leading = 0
    while leading < len(symbols) and symbols[leading] == wild:
        leading += 1
    best: tuple[str, int, int] | None = None
    if wild is not None and reel_set.pays.get(wild, {}).get(leading, 0) > 0:
        best = (wild, leading, reel_set.pays[wild][leading])
    if leading < len(symbols) and symbols[leading] != reel_set.scatter:
        symbol = symbols[leading]
        count = leading
        while count < len(symbols) and symbols[count] in (symbol, wild):
            count += 1
        pay = reel_set.pays.get(symbol, {}).get(count, 0)
        if pay > 0 and (best is None or pay > best[2]):
            best = (symbol, count, pay)
    return best


def evaluate(reel_set: ReelSet, stops: tuple[int, ...]) -> Spin:
    grid = window(reel_set, stops)
    wins = []
    for index, rows in enumerate(reel_set.paylines):
        pay = line_pay(reel_set, tuple(grid[reel][row] for reel, row in enumerate(rows)))
        if pay is not None:
            wins.append(LineWin(index, *pay))
    scatters = sum(column.count(reel_set.scatter) for column in grid) if reel_set.scatter else 0
    return _spin(reel_set, stops, grid, wins, scatters)


def _spin(
    reel_set: ReelSet, stops: tuple[int, ...], grid: Grid, wins: list[LineWin], scatters: int
) -> Spin:
    return Spin(
        stops,
        grid,
        tuple(wins),
        scatters,
        reel_set.scatter_pays.get(scatters, 0),
        reel_set.free_spins.get(scatters, 0),
    )


class SpinTable:
    """`evaluate` for one reel set, skipping the lines that cannot pay.

    Every pay needs a run of at least `shortest` symbols, so a line whose first
    `shortest` symbols hold no run cannot pay whatever follows. Which lines can
    still pay depends only on the first `shortest` reels' stops; it is worked out
    once per such prefix (at most 32**3 for Crown Jewels, filled as spins meet
    them: a few MB at most) and only those lines go through `line_pay`. A test
    holds `spin` equal to `evaluate` over every prefix.
    """

    def __init__(self, reel_set: ReelSet) -> None:
        self.reel_set = reel_set
        counts = [n for pays in reel_set.pays.values() for n, pay in pays.items() if pay > 0]
        self.shortest = max(1, min(counts, default=1))
        self._columns = tuple(
            tuple(tuple(reel[(stop + row) % len(reel)] for row in range(reel_set.rows))
                  for stop in range(len(reel)))
            for reel in reel_set.reels
        )  # fmt: skip
        self._scatters = tuple(
            tuple(column.count(reel_set.scatter) if reel_set.scatter else 0 for column in reel)
            for reel in self._columns
        )
        self._live_lines: dict[tuple[int, ...], tuple[int, ...]] = {}

    def _lines_that_can_pay(self, grid: Grid) -> tuple[int, ...]:
        wild, scatter, shortest = self.reel_set.wild, self.reel_set.scatter, self.shortest
        live = []
        for index, rows in enumerate(self.reel_set.paylines):
            head = [grid[reel][row] for reel, row in enumerate(rows[:shortest])]
            symbol = next((s for s in head if s != wild), wild)
            if symbol == wild or (symbol != scatter and all(s in (symbol, wild) for s in head)):
                live.append(index)
        return tuple(live)

    def spin(self, stops: tuple[int, ...]) -> Spin:
        reel_set = self.reel_set
        grid = tuple(column[stop] for column, stop in zip(self._columns, stops, strict=True))
        prefix = stops[: self.shortest]
        live = self._live_lines.get(prefix)
        if live is None:
            live = self._live_lines[prefix] = self._lines_that_can_pay(grid)
        wins = []
        for index in live:
            rows = reel_set.paylines[index]
            pay = line_pay(reel_set, tuple(grid[reel][row] for reel, row in enumerate(rows)))
            if pay is not None:
                wins.append(LineWin(index, *pay))
        scatters = sum(counts[stop] for counts, stop in zip(self._scatters, stops, strict=True))
        return _spin(reel_set, stops, grid, wins, scatters)


def draw_stops(reel_set: ReelSet, rng: Generator) -> tuple[int, ...]:
    return tuple(rng.randbelow(len(reel)) for reel in reel_set.reels)


def play_round(
    reel_set: ReelSet, rng: Generator, table: SpinTable | None = None
) -> tuple[Spin, ...]:
    """The base spin then every free spin it earns, retriggers included, in play order;
    evaluated by `table` (the same reel set's) when given, else by `evaluate`.

    Retriggers are unbounded, as in the maths; the designs keep the expected
    award per free spin well below one so a feature ends after a few dozen
    spins at most in practice.
    """
    assert table is None or table.reel_set is reel_set, "a table evaluates its own reel set"
    spin = table.spin if table is not None else partial(evaluate, reel_set)
    spins = [spin(draw_stops(reel_set, rng))]
    pending = spins[0].free_spins_awarded
    while pending:
        spins.append(spin(draw_stops(reel_set, rng)))
        pending += spins[-1].free_spins_awarded - 1
    return tuple(spins)


def round_line_units(reel_set: ReelSet, spins: tuple[Spin, ...]) -> int:
    """A round's total win in line stakes: the base spin plus multiplied free spins."""
    base, *free = spins
    return base.line_units(reel_set) + reel_set.free_spin_multiplier * sum(
        s.line_units(reel_set) for s in free
    )
