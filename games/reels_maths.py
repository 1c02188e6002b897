"""Exact maths of a `ReelSet`: every combination of reel stops, counted without looping over them.

A single spin is enumerated by dynamic programming over the reels, left to
right. What the reels still to come can change is only which paylines are
still running (and with which symbol and how many leading wilds) plus the
scatter count so far; every combination of earlier stops that agrees on that
is merged into one state carrying the count, sum, sum of squares, zero count
and maximum of the pay already settled. Distinct windows of a strip are
grouped with their multiplicity. The result is the same as the
product-of-strip-lengths loop (`brute_force_stats`, used by the tests on small
reel sets) at a tiny fraction of the work.

Free spins are then solved, not simulated: with `a` the expected number of
spins a spin awards, the value of one free spin (its own win plus every spin
it retriggers) satisfies f = m·E[Y] + a·f, so f = m·E[Y] / (1 - a); the second
moment follows from the same branching argument (see `round_moments`).

Retriggers make a round's largest win unbounded in principle, so `max_win`
bounds it by the number of free spins played: base-spin maximum plus F times
the free-spin maximum, with F the count a round exceeds less than once in a
billion rounds (the exact distribution of F, by dynamic programming).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from itertools import product
from math import prod

from games.reels import ReelSet, evaluate

# A running payline: (line index, the symbol its run is of or None while only wilds, leading wilds)
_Running = tuple[int, str | None, int]
# Pay settled so far over the merged combinations: count, sum, sum of squares, zero count, max.
_Acc = list[int]


@dataclass(frozen=True, slots=True)
class SpinStats:
    """Every combination of stops of one spin, in line stakes before any free-spin multiplier."""

    combinations: int
    total: int  # sum of the win over all combinations
    total_squares: int
    hits: int  # combinations that pay or award free spins
    max_units: int
    by_scatters: dict[int, tuple[int, int]]  # scatter count -> (combinations, total win)


@dataclass(frozen=True, slots=True)
class RoundMoments:
    """A whole round (base spin plus its free spins), per unit of total stake."""

    rtp: Fraction
    second_moment: Fraction
    hit_frequency: Fraction
    max_spin: Fraction  # the largest single-spin win, free-spin multiplier applied
    feature_frequency: Fraction  # base spins that award free spins
    free_spin_value: Fraction  # one free spin with everything it retriggers

    @property
    def variance(self) -> Fraction:
        return self.second_moment - self.rtp**2


def _wild_pay(reel_set: ReelSet, leading: int) -> int:
    return reel_set.pays.get(reel_set.wild, {}).get(leading, 0) if reel_set.wild else 0


def _settle(reel_set: ReelSet, symbol: str | None, leading: int, count: int) -> int:
    run = reel_set.pays.get(symbol, {}).get(count, 0) if symbol is not None else 0
    return max(run, _wild_pay(reel_set, leading))


def _windows(reel_set: ReelSet, reel: tuple[str, ...]) -> Counter[tuple[str, ...]]:
    return Counter(
        tuple(reel[(stop + row) % len(reel)] for row in range(reel_set.rows))
        for stop in range(len(reel))
    )


def _advance(
    reel_set: ReelSet, running: tuple[_Running, ...], shown: tuple[str, ...], reel_index: int
) -> tuple[tuple[_Running, ...], int]:
    """The lines still running after one more reel, and the pay of those that stopped."""
    wild, scatter = reel_set.wild, reel_set.scatter
    settled = 0
    still: list[_Running] = []
    for line, symbol, leading in running:
        seen = shown[reel_set.paylines[line][reel_index]]
        if symbol is None:
            if seen == wild:
                still.append((line, None, leading + 1))
            elif seen == scatter:
                settled += _wild_pay(reel_set, leading)
            else:
                still.append((line, seen, leading))
        elif seen in (symbol, wild):
            still.append((line, symbol, leading))
        else:
            settled += _settle(reel_set, symbol, leading, reel_index)
    return tuple(still), settled


def _merge(
    states: dict[tuple[tuple[_Running, ...], int], _Acc],
    key: tuple[tuple[_Running, ...], int],
    acc: _Acc,
    weight: int,
    delta: int,
) -> None:
    n, s1, s2, zeros, top = acc
    moved = [
        n * weight,
        (s1 + n * delta) * weight,
        (s2 + 2 * delta * s1 + n * delta * delta) * weight,
        zeros * weight if delta == 0 else 0,
        top + delta,
    ]
    old = states.get(key)
    if old is None:
        states[key] = moved
    else:
        old[0] += moved[0]
        old[1] += moved[1]
        old[2] += moved[2]
        old[3] += moved[3]
        old[4] = max(old[4], moved[4])


def spin_stats(reel_set: ReelSet) -> SpinStats:
    """Exact statistics of one spin over every combination of stops."""
    start = tuple((line, None, 0) for line in range(reel_set.lines))
    states: dict[tuple[tuple[_Running, ...], int], _Acc] = {(start, 0): [1, 0, 0, 1, 0]}
    for reel_index, reel in enumerate(reel_set.reels):
        following: dict[tuple[tuple[_Running, ...], int], _Acc] = {}
        for shown, weight in _windows(reel_set, reel).items():
            scatters = shown.count(reel_set.scatter) if reel_set.scatter else 0
            for (running, seen_scatters), acc in states.items():
                still, settled = _advance(reel_set, running, shown, reel_index)
                _merge(following, (still, seen_scatters + scatters), acc, weight, settled)
        states = following

    total = total_squares = hits = 0
    top = 0
    by_scatters: dict[int, tuple[int, int]] = {}
    reels = len(reel_set.reels)
    for (running, scatters), (n, s1, s2, zeros, best) in states.items():
        delta = sum(_settle(reel_set, symbol, leading, reels) for _, symbol, leading in running)
        delta += reel_set.scatter_pays.get(scatters, 0) * reel_set.lines
        awards = reel_set.free_spins.get(scatters, 0) > 0
        sum_win = s1 + n * delta
        total += sum_win
        total_squares += s2 + 2 * delta * s1 + n * delta * delta
        hits += n if delta > 0 or awards else n - zeros
        top = max(top, best + delta)
        count, win = by_scatters.get(scatters, (0, 0))
        by_scatters[scatters] = (count + n, win + sum_win)
    return SpinStats(
        prod(len(r) for r in reel_set.reels), total, total_squares, hits, top, by_scatters
    )


def brute_force_stats(reel_set: ReelSet) -> SpinStats:
    """The same statistics by evaluating every combination of stops: for small reel sets only."""
    total = total_squares = hits = top = 0
    by_scatters: dict[int, tuple[int, int]] = {}
    for stops in product(*(range(len(reel)) for reel in reel_set.reels)):
        spin = evaluate(reel_set, stops)
        win = spin.line_units(reel_set)
        total += win
        total_squares += win * win
        hits += win > 0 or spin.free_spins_awarded > 0
        top = max(top, win)
        count, sum_win = by_scatters.get(spin.scatters, (0, 0))
        by_scatters[spin.scatters] = (count + 1, sum_win + win)
    return SpinStats(
        prod(len(r) for r in reel_set.reels), total, total_squares, hits, top, by_scatters
    )


def round_moments(reel_set: ReelSet, stats: SpinStats | None = None) -> RoundMoments:
    """RTP and second moment of a whole round per unit stake, free spins solved exactly.

    With Y a spin's win, K the spins it awards (a = E[K]) and m the free-spin
    multiplier, a free spin with its descendants Z = m·Y + G_K, where G_k is the
    sum of k independent copies of Z. Hence E[Z] = f = m·E[Y] / (1 - a) and
    E[Z²]·(1 - a) = m²E[Y²] + 2mf·E[YK] - a·f² + E[K²]·f². A round is X = Y + G_K.
    """
    stats = stats or spin_stats(reel_set)
    lines = reel_set.lines
    n = stats.combinations
    ey = Fraction(stats.total, n * lines)
    ey2 = Fraction(stats.total_squares, n * lines * lines)
    awards = reel_set.free_spins
    a = sum(
        (Fraction(awards.get(k, 0) * c, n) for k, (c, _) in stats.by_scatters.items()), Fraction(0)
    )
    ek2 = sum(
        (Fraction(awards.get(k, 0) ** 2 * c, n) for k, (c, _) in stats.by_scatters.items()),
        Fraction(0),
    )
    eyk = sum(
        (Fraction(awards.get(k, 0) * w, n * lines) for k, (_, w) in stats.by_scatters.items()),
        Fraction(0),
    )
    if a >= 1:
        raise ValueError("free spins retrigger too often: the feature would never end")
    m = reel_set.free_spin_multiplier
    f = m * ey / (1 - a)
    ez2 = (m * m * ey2 + 2 * m * f * eyk - a * f * f + ek2 * f * f) / (1 - a)
    ex = ey + a * f
    ex2 = ey2 + 2 * f * eyk + a * (ez2 - f * f) + ek2 * f * f
    feature = sum(
        (Fraction(c, n) for k, (c, _) in stats.by_scatters.items() if awards.get(k, 0)), Fraction(0)
    )
    return RoundMoments(
        rtp=ex,
        second_moment=ex2,
        hit_frequency=Fraction(stats.hits, n),
        max_spin=Fraction(stats.max_units * max(m if awards else 1, 1), lines),
        feature_frequency=feature,
        free_spin_value=f,
    )


@dataclass(frozen=True, slots=True)
class MaxWin:
    """How large a round's win can be, in multiples of the total stake."""

    base_spin: Fraction  # the largest win of a base spin
    free_spin: Fraction  # the largest win of one free spin, its multiplier applied
    free_spins: int  # F: the free spins the bound covers
    beyond: float  # probability that a round plays more than F free spins
    rarity: float  # the probability `beyond` is held under

    @property
    def bound(self) -> Fraction:
        """No round with at most F free spins wins more than this."""
        return self.base_spin + self.free_spins * self.free_spin


def free_spin_count_distribution(reel_set: ReelSet, stats: SpinStats, most: int) -> list[float]:
    """P(a round plays exactly F free spins) for F = 0 .. most, retriggers included.

    A spin awards k spins with the probability its scatter counts have; the
    feature ends when the spins played catch up with the spins awarded.
    Awards only grow, so mass that passes `most` cannot come back below it and
    is dropped without changing the probabilities kept.
    """
    n = stats.combinations
    award: dict[int, float] = {}
    for scatters, (count, _) in stats.by_scatters.items():
        k = reel_set.free_spins.get(scatters, 0)
        award[k] = award.get(k, 0.0) + count / n
    exact = [0.0] * (most + 1)
    running = [0.0] * (most + 1)  # running[a]: feature still going with `a` spins awarded
    for k, p in award.items():
        if k <= most:
            running[k] += p
    for played in range(most + 1):
        exact[played] = running[played]  # the feature ends when played == awarded
        running[played] = 0.0
        following = [0.0] * (most + 1)
        for awarded, p in enumerate(running):
            if p:
                for k, q in award.items():
                    if awarded + k <= most:
                        following[awarded + k] += p * q
        running = following
    return exact


def max_win(reel_set: ReelSet, stats: SpinStats | None = None, rarity: float = 1e-9) -> MaxWin:
    """The win bound of a round: base maximum plus F free-spin maxima, P(more than F) < rarity."""
    stats = stats or spin_stats(reel_set)
    base = Fraction(stats.max_units, reel_set.lines)
    if not reel_set.free_spins:
        return MaxWin(base, Fraction(0), 0, 0.0, rarity)
    most = 50 * max(reel_set.free_spins.values())
    while True:
        distribution = free_spin_count_distribution(reel_set, stats, most)
        covered = 0.0
        for spins, p in enumerate(distribution):
            covered += p
            if 1.0 - covered < rarity:
                free = base * reel_set.free_spin_multiplier
                return MaxWin(base, free, spins, max(0.0, 1.0 - covered), rarity)
        most *= 2
