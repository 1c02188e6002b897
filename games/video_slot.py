"""Crown Jewels: a 5-reel, 3-row video slot with 20 paylines, a wild and free spins.

The stake is per spin and split evenly over the 20 lines. WILD substitutes for
every paying symbol and pays on its own; SCATTER pays anywhere in the window
(in multiples of the total stake) and three or more award 10 free spins, in
which every win is tripled and three or more scatters award 10 more. A round
is the base spin and all the free spins it earns, settled at once. The return
to player is computed exactly in `games.reels_maths` and stated in `INFO`; a
test holds the two equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

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
from games.reels import ReelSet, Spin, SpinTable, evaluate, play_round, round_line_units
from rng.generator import Generator

WILD, SCATTER = "WILD", "SCATTER"
CROWN, RUBY, BELL, A, K, Q, J, TEN = "CROWN", "RUBY", "BELL", "A", "K", "Q", "J", "10"

# Strips read downwards, one scatter each, so a window shows at most one per reel.
_W, _S = WILD, SCATTER
REELS: tuple[tuple[str, ...], ...] = (
    (CROWN, J, Q, _S, TEN, A, BELL, K, J, RUBY, TEN, Q, _W, K, J, BELL,
     A, TEN, Q, RUBY, J, K, TEN, J, A, Q, BELL, J, TEN, K, A, Q),
    (TEN, A, J, K, _S, Q, BELL, RUBY, TEN, J, _W, A, K, Q, CROWN, TEN,
     J, BELL, A, Q, K, J, J, TEN, RUBY, Q, A, K, _W, J, TEN, BELL),
    (J, Q, K, A, TEN, _S, BELL, J, RUBY, Q, TEN, _W, K, A, CROWN, J,
     Q, TEN, BELL, J, K, A, J, RUBY, TEN, Q, _W, K, J, A, TEN, Q),
    (Q, TEN, J, _S, A, K, BELL, RUBY, Q, J, TEN, _W, A, K, CROWN, Q,
     J, TEN, J, BELL, A, K, RUBY, J, Q, TEN, A, K, J, Q, TEN, BELL),
    (K, J, TEN, A, _S, Q, BELL, J, RUBY, TEN, K, A, _W, Q, J, TEN,
     CROWN, K, A, J, J, Q, BELL, TEN, K, RUBY, A, J, Q, TEN, K, A),
)  # fmt: skip

# Row read on reels 1..5, rows counted from the top.
PAYLINES: tuple[tuple[int, ...], ...] = (
    (1, 1, 1, 1, 1), (0, 0, 0, 0, 0), (2, 2, 2, 2, 2), (0, 1, 2, 1, 0), (2, 1, 0, 1, 2),
    (0, 0, 1, 2, 2), (2, 2, 1, 0, 0), (1, 0, 0, 0, 1), (1, 2, 2, 2, 1), (0, 1, 1, 1, 0),
    (2, 1, 1, 1, 2), (1, 0, 1, 2, 1), (1, 2, 1, 0, 1), (0, 1, 0, 1, 0), (2, 1, 2, 1, 2),
    (1, 1, 0, 1, 1), (1, 1, 2, 1, 1), (0, 0, 2, 0, 0), (2, 2, 0, 2, 2), (0, 2, 0, 2, 0),
)  # fmt: skip

# Pays in multiples of the line stake for runs of 3, 4 and 5 from the left.
PAYS: dict[str, dict[int, int]] = {
    WILD: {3: 100, 4: 500, 5: 2000},
    CROWN: {3: 50, 4: 200, 5: 1000},
    RUBY: {3: 30, 4: 120, 5: 500},
    BELL: {3: 20, 4: 80, 5: 300},
    A: {3: 10, 4: 50, 5: 200},
    K: {3: 9, 4: 40, 5: 150},
    Q: {3: 8, 4: 30, 5: 100},
    J: {3: 8, 4: 20, 5: 80},
    TEN: {3: 8, 4: 20, 5: 60},
}

REEL_SET = ReelSet(
    reels=REELS,
    rows=3,
    paylines=PAYLINES,
    pays=PAYS,
    wild=WILD,
    scatter=SCATTER,
    scatter_pays={3: 2, 4: 10, 5: 100},
    free_spins={3: 10, 4: 10, 5: 10},
    free_spin_multiplier=3,
)

# What a spin reads instead of evaluating all 20 lines (games.reels.SpinTable).
SPIN_TABLE = SpinTable(REEL_SET)

INFO = GameInfo(
    id="crown-jewels",
    name="Crown Jewels",
    kind="slot",
    min_stake=len(PAYLINES),
    max_stake=20_000,
    stake_step=len(PAYLINES),
    # 96.171 %, equal to reels_maths.round_moments(REEL_SET).rtp (a test holds them equal)
    rtp=Fraction(62853009648773, 65355334549504),
    volatility=Volatility.MEDIUM,
)


def _spin_data(spin: Spin) -> dict[str, Any]:
    return {
        "stops": list(spin.stops),
        "grid": [list(column) for column in spin.grid],
        "wins": [
            {"line": w.line, "symbol": w.symbol, "count": w.count, "multiplier": w.multiplier}
            for w in spin.wins
        ],
        "scatters": spin.scatters,
        "scatter_multiplier": spin.scatter_multiplier,
        "free_spins_awarded": spin.free_spins_awarded,
    }


class VideoSlotState:
    """A settled round: the base spin first, then the free spins in the order played."""

    __slots__ = ("payout", "spins", "stake")

    def __init__(self, stake: int, spins: tuple[Spin, ...]) -> None:
        self.stake = stake
        self.spins = spins
        self.payout = stake // len(PAYLINES) * round_line_units(REEL_SET, spins)


class VideoSlot(SingleStepGame):
    info = INFO

    def start(self, stake: int, rng: Generator, options: Options = None) -> VideoSlotState:
        self.validate(stake, options)
        return VideoSlotState(stake, play_round(REEL_SET, rng, SPIN_TABLE))

    def payout(self, state: VideoSlotState) -> int:
        return state.payout

    def describe(self, state: VideoSlotState) -> dict[str, Any]:
        return {
            "spins": [_spin_data(spin) for spin in state.spins],
            "free_spin_multiplier": REEL_SET.free_spin_multiplier,
        }

    def state_to_data(self, state: VideoSlotState) -> dict[str, Any]:
        return {"stake": state.stake, "stops": [list(spin.stops) for spin in state.spins]}

    def state_from_data(self, data: Mapping[str, Any]) -> VideoSlotState:
        stake, rounds = stored_int(data, "stake"), stored_list(data, "stops")
        require(len(rounds) > 0, "stops must list the spins")
        spins = []
        for stops in rounds:
            require(isinstance(stops, list) and len(stops) == len(REELS), "one stop per reel")
            for stop, reel in zip(stops, REELS, strict=True):
                require(is_int(stop) and 0 <= stop < len(reel), "stop outside its reel")
            spins.append(evaluate(REEL_SET, tuple(stops)))
        pending = spins[0].free_spins_awarded
        for spin in spins[1:]:
            require(pending > 0, "more spins than free spins awarded")
            pending += spin.free_spins_awarded - 1
        require(pending == 0, "fewer spins than free spins awarded")
        return VideoSlotState(stake, tuple(spins))
