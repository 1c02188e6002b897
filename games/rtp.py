"""The published maths of every game (`run.py rtp`): a PAR sheet per game, and a simulation check.

For each game and bet: return to player, hit frequency, standard deviation of
one round per unit of stake, and the largest payout (stake included) as a
multiple of the stake (for the video slot, whose retriggers are unbounded,
the bound on rounds of up to F free spins, F exceeded once in 10**9 rounds).
Slots come from full enumeration of the reel stops (free spins solved
exactly), roulette in closed form, baccarat from exact combinatorics of the
shoe, blackjack from the composition-dependent calculator (the only figure
that is not exact). Hit frequency is any payout for a slot
and a net win for a table bet. `--simulate N` plays each game's real code N
rounds through the system generator and flags an exact value outside the
observed 99 % interval; the command then exits 1, as it does when a game's
stated RTP differs from the computed one.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from math import sqrt
from typing import Any

from games import (
    baccarat_maths,
    blackjack_maths,
    blackjack_strategy,
    catalogue,
    classic_slot,
    reels_maths,
    roulette,
    video_slot,
)
from games.simulation import Player, simulate

Number = Fraction | float


@dataclass(frozen=True, slots=True)
class ParRow:
    game_id: str
    bet: str
    rtp: Number
    hit_frequency: Number
    sd: float
    max_payout: Number
    method: str


@dataclass(frozen=True, slots=True)
class Trial:
    """One simulated bet: what to stake and how to play it, and the value it must reproduce."""

    game_id: str
    bet: str
    expected: Number
    stake: int
    options: Mapping[str, Any] | None = None
    player: Player | None = None


def _from_distribution(
    game_id: str,
    bet: str,
    payouts: Mapping[Fraction, Fraction],
    method: str,
    hit: Callable[[Fraction], bool],
) -> ParRow:
    """A row from payout multiples (stake included) and their probabilities."""
    mean = sum((x * p for x, p in payouts.items()), Fraction(0))
    square = sum((x * x * p for x, p in payouts.items()), Fraction(0))
    return ParRow(
        game_id,
        bet,
        mean,
        sum((p for x, p in payouts.items() if hit(x)), Fraction(0)),
        sqrt(square - mean * mean),
        max(x for x, p in payouts.items() if p > 0),
        method,
    )


def classic_rows() -> list[ParRow]:
    counts = classic_slot.multiplier_counts()
    total, lines = counts.total(), len(classic_slot.PAYLINES)
    payouts = {Fraction(m, lines): Fraction(n, total) for m, n in counts.items()}
    return [
        _from_distribution(classic_slot.INFO.id, "spin", payouts, "enumeration", lambda x: x > 0)
    ]


@cache
def _video_stats() -> reels_maths.SpinStats:
    return reels_maths.spin_stats(video_slot.REEL_SET)


def video_rows() -> list[ParRow]:
    stats = _video_stats()
    moments = reels_maths.round_moments(video_slot.REEL_SET, stats)
    bound = reels_maths.max_win(video_slot.REEL_SET, stats)
    return [
        ParRow(
            video_slot.INFO.id,
            "spin",
            moments.rtp,
            moments.hit_frequency,
            sqrt(moments.variance),
            bound.bound,
            f"enumeration + free spins solved (max: base + {bound.free_spins} free spins)",
        )
    ]


def max_win_note() -> str:
    """How the video slot's max win is bounded, printed under the table."""
    bound = reels_maths.max_win(video_slot.REEL_SET, _video_stats())
    return (
        f"{video_slot.INFO.id} max win: a base spin pays at most {float(bound.base_spin):g}x "
        f"and a free spin at most {float(bound.free_spin):g}x, so a round with F free spins "
        f"pays at most {float(bound.base_spin):g} + {float(bound.free_spin):g}·F x. "
        f"Retriggers are unbounded, so F is too; a round plays more than "
        f"{bound.free_spins} free spins with probability {bound.beyond:.2e} (< {bound.rarity:g}), "
        f"hence the bound {float(bound.bound):g}x in the table."
    )


def roulette_rows() -> list[ParRow]:
    rows = []
    for kind in roulette.BET_TYPES:
        if kind in roulette.INSIDE:
            covered = len(next(iter(roulette.INSIDE[kind])))
        elif kind in roulette.OUTSIDE_INDEXED:
            covered = len(roulette.OUTSIDE_INDEXED[kind][0])
        else:
            covered = len(roulette.EVEN_MONEY[kind])
        back = Fraction(roulette.pays(covered) + 1)
        payouts = {back: Fraction(covered, roulette.POCKETS)}
        payouts[Fraction(0)] = 1 - payouts[back]
        rows.append(
            _from_distribution(roulette.INFO.id, kind, payouts, "closed form", lambda x: x > 1)
        )
    return rows


def baccarat_rows() -> list[ParRow]:
    rows = []
    for bet in ("banker", "player", "tie"):
        payouts = {1 + net: p for net, p in baccarat_maths.net_outcomes(bet).items()}
        rows.append(
            _from_distribution("punto-banco", bet, payouts, "combinatorics", lambda x: x > 1)
        )
    return rows


def blackjack_rows() -> list[ParRow]:
    par = blackjack_maths.basic_strategy_par()
    method = "CD calculation, basic strategy (approx.)"
    return [
        ParRow(
            "blackjack",
            "basic strategy",
            par.rtp,
            par.hit_frequency,
            par.sd,
            par.max_payout,
            method,
        )
    ]


SHEETS: dict[str, Callable[[], list[ParRow]]] = {
    classic_slot.INFO.id: classic_rows,
    video_slot.INFO.id: video_rows,
    roulette.INFO.id: roulette_rows,
    "blackjack": blackjack_rows,
    "punto-banco": baccarat_rows,
}

# One bet of every type: a spin checks every payout ratio, and the spread still returns 36/37.
ROULETTE_SPREAD: dict[str, list[dict[str, Any]]] = {
    "bets": [
        {"type": "straight", "numbers": [17], "amount": 10},
        {"type": "split", "numbers": [17, 20], "amount": 10},
        {"type": "street", "numbers": [16, 17, 18], "amount": 10},
        {"type": "trio", "numbers": [0, 1, 2], "amount": 10},
        {"type": "corner", "numbers": [17, 18, 20, 21], "amount": 10},
        {"type": "first_four", "numbers": [0, 1, 2, 3], "amount": 10},
        {"type": "six_line", "numbers": [16, 17, 18, 19, 20, 21], "amount": 10},
        {"type": "dozen", "index": 2, "amount": 10},
        {"type": "column", "index": 2, "amount": 10},
        *({"type": kind, "amount": 10} for kind in roulette.EVEN_MONEY),
    ]
}


def trials(rows: list[ParRow]) -> list[Trial]:
    """The simulations that check the rows of one game."""
    trial_list = []
    for row in rows:
        game = catalogue.GAMES[row.game_id]
        if row.game_id == roulette.INFO.id:
            if row.bet != roulette.BET_TYPES[0]:
                continue  # one spread of every bet type checks them all
            stake = sum(bet["amount"] for bet in ROULETTE_SPREAD["bets"])
            trial_list.append(Trial(row.game_id, "every bet type", row.rtp, stake, ROULETTE_SPREAD))
        elif row.game_id == "punto-banco":
            trial_list.append(Trial(row.game_id, row.bet, row.rtp, 100, {"bet": row.bet}))
        elif row.game_id == "blackjack":
            trial_list.append(Trial(row.game_id, row.bet, row.rtp, 100, None, _basic_player))
        else:
            trial_list.append(Trial(row.game_id, row.bet, row.rtp, game.info.min_stake))
    return trial_list


def _basic_player(state: Any) -> str:
    return blackjack_strategy.choose(state)


def _pct(value: Number) -> str:
    return f"{float(value) * 100:9.4f}"


def stated_mismatches(rows_by_game: Mapping[str, list[ParRow]]) -> list[str]:
    """Games whose stated RTP is not the computed one (the best bet, for a table game)."""
    problems = []
    for game_id, rows in rows_by_game.items():
        stated = catalogue.GAMES[game_id].info.rtp
        best = max(row.rtp for row in rows)
        # The blackjack figure is a calculation, stated rounded to 0.01 %.
        tolerance = Fraction(1, 20_000) if isinstance(best, float) else 0
        if abs(stated - Fraction(best)) > tolerance:
            problems.append(f"{game_id}: stated {float(stated):.6f}, computed {float(best):.6f}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run.py rtp", description=__doc__.split("\n\n")[0])
    parser.add_argument("--game", choices=sorted(SHEETS), help="only this game")
    parser.add_argument(
        "--simulate",
        type=int,
        default=0,
        metavar="N",
        help="also play N rounds of each bet through the system generator",
    )
    args = parser.parse_args(argv)
    if args.simulate < 0 or args.simulate == 1:
        parser.error("--simulate needs at least 2 rounds")

    began = time.perf_counter()
    selected = [args.game] if args.game else list(SHEETS)
    rows_by_game = {game_id: SHEETS[game_id]() for game_id in selected}
    print(
        f"{'game':<18} {'bet':<16} {'RTP %':>9} {'edge %':>9} {'hit %':>9} {'SD':>7} "
        f"{'max x':>8}  method"
    )
    for rows in rows_by_game.values():
        for row in rows:
            print(
                f"{row.game_id:<18} {row.bet:<16} {_pct(row.rtp)} {_pct(1 - row.rtp)} "
                f"{_pct(row.hit_frequency)} {row.sd:7.3f} {float(row.max_payout):8.2f}  "
                f"{row.method}"
            )
    if video_slot.INFO.id in rows_by_game:
        print(f"\n{max_win_note()}")
    print("\nexact RTPs:")
    for rows in rows_by_game.values():
        for row in rows:
            if isinstance(row.rtp, Fraction):
                print(f"  {row.game_id} {row.bet}: {row.rtp}")
    problems = stated_mismatches(rows_by_game)
    for problem in problems:
        print(f"STATED RTP MISMATCH {problem}")
    print(f"(computed in {time.perf_counter() - began:.1f} s)")

    flagged = 0
    if args.simulate:
        from rng import SystemGenerator  # only the simulation draws; the tables are pure maths

        generator = SystemGenerator()
        print(f"\nsimulation, {args.simulate} rounds each, 99 % confidence interval:")
        for rows in rows_by_game.values():
            for trial in trials(rows):
                began = time.perf_counter()
                game = catalogue.GAMES[trial.game_id]
                seen = simulate(
                    game, args.simulate, generator, trial.stake, trial.options, trial.player
                )
                inside = seen.contains(float(trial.expected))
                flagged += not inside
                print(
                    f"  {trial.game_id:<18} {trial.bet:<16} observed {_pct(seen.rtp)} % "
                    f"[{_pct(seen.low)}, {_pct(seen.high)}]  SD {seen.sd:.3f}  "
                    f"computed {_pct(trial.expected)} %  {'ok' if inside else 'OUTSIDE'}  "
                    f"({time.perf_counter() - began:.1f} s)"
                )
    return 1 if problems or flagged else 0
