"""What one table round's bets risk, read from its `RoundBets` event: how much of the stake
sits on both sides of an even-money pair (a hedge: whatever comes up, one side pays the
other back, less the zero's edge), and how many pockets the round covers. Pure.

Roulette's even-money pairs are red/black, odd/even and low/high; the hedge of a pair is
twice the smaller side (100 on red and 60 on black hedge 120: 40 is really at risk). Only
roulette takes several bets in one round today: a baccarat round takes one bet (banker,
player or tie) on a shoe of its own, so banker and player can never be covered in one coup
(two rounds are two independent deals, no hedge), and a blackjack hand has no sides. Their
rounds read as unhedged, covering nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from games import roulette
from games.base import StakeError

ROULETTE = roulette.INFO.id
PAIRS: tuple[tuple[str, str], ...] = (("red", "black"), ("odd", "even"), ("low", "high"))


@dataclass(frozen=True, slots=True)
class Exposure:
    hedged: int  # minor units staked on both sides of even-money pairs
    pairs: tuple[str, ...]  # the pairs covered on both sides, as "red+black"
    covered: int  # pockets at least one bet covers (0 for a game without pockets)
    pockets: int  # pockets on the wheel (0 for a game without pockets)


NOTHING = Exposure(0, (), 0, 0)


def of_round(game: str, options: Mapping[str, Any] | None) -> Exposure:
    """The exposure of one round's bets; a round whose bets cannot be read (options of
    another shape, from an older game version) counts as unhedged and covering nothing."""
    if game != ROULETTE or options is None:
        return NOTHING
    raw = options.get("bets")
    if not isinstance(raw, list):
        return NOTHING
    try:
        bets = [roulette.parse_bet(item) for item in raw]
    except StakeError:
        return NOTHING
    on: dict[str, int] = {}
    for bet in bets:
        on[bet.type] = on.get(bet.type, 0) + bet.amount
    hedged, pairs = 0, []
    for one, other in PAIRS:
        both = min(on.get(one, 0), on.get(other, 0))
        if both:
            hedged += 2 * both
            pairs.append(f"{one}+{other}")
    covered = len(frozenset().union(*(bet.numbers for bet in bets)))
    return Exposure(hedged, tuple(pairs), covered, roulette.POCKETS)
