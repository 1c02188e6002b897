"""European roulette: one zero, 37 pockets, every standard bet, several bets per spin.

Options carry the bets: `{"bets": [{"type": "straight", "numbers": [17], "amount": 100},
{"type": "dozen", "index": 2, "amount": 50}, {"type": "red", "amount": 50}]}`; the
stake must equal the sum of the amounts. Inside bets name their numbers, which
must form that bet on the layout (a split is two adjacent numbers, a corner a
2x2 block, ...); dozens and columns name their `index` (1 to 3); even-money
bets name nothing. Every bet pays so that 36 units come back per unit of
coverage: straight 35:1 ... even money 1:1, hence an RTP of exactly 36/37 on
every bet (held by a test). Zero loses every outside bet; there is no la partage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from games.base import (
    GameInfo,
    Options,
    SingleStepGame,
    StakeError,
    Volatility,
    check_stake,
    is_int,
    stored_int,
)
from rng.generator import Generator

POCKETS = 37
MAX_BETS = 200  # per spin; bounds the work one request can cause
RED = frozenset({1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36})
BLACK = frozenset(range(1, 37)) - RED


def _street(row: int) -> frozenset[int]:
    return frozenset(range(3 * row + 1, 3 * row + 4))  # row 0 is 1-2-3


def _layout_bets() -> dict[str, frozenset[frozenset[int]]]:
    """Every number set each inside bet may cover on the standard single-zero layout."""
    splits = {frozenset({0, 1}), frozenset({0, 2}), frozenset({0, 3})}
    corners = set()
    for n in range(1, 37):
        if n % 3 != 0:  # horizontal neighbour within the row
            splits.add(frozenset({n, n + 1}))
        if n <= 33:  # vertical neighbour in the next row
            splits.add(frozenset({n, n + 3}))
        if n % 3 != 0 and n <= 32:
            corners.add(frozenset({n, n + 1, n + 3, n + 4}))
    return {
        "straight": frozenset(frozenset({n}) for n in range(POCKETS)),
        "split": frozenset(splits),
        "street": frozenset(_street(row) for row in range(12)),
        "trio": frozenset({frozenset({0, 1, 2}), frozenset({0, 2, 3})}),
        "corner": frozenset(corners),
        "first_four": frozenset({frozenset({0, 1, 2, 3})}),
        "six_line": frozenset(_street(row) | _street(row + 1) for row in range(11)),
    }


INSIDE = _layout_bets()
OUTSIDE_INDEXED: dict[str, tuple[frozenset[int], ...]] = {
    "dozen": tuple(frozenset(range(12 * i + 1, 12 * i + 13)) for i in range(3)),
    "column": tuple(frozenset(range(i + 1, 37, 3)) for i in range(3)),
}
EVEN_MONEY: dict[str, frozenset[int]] = {
    "red": RED,
    "black": BLACK,
    "odd": frozenset(range(1, 37, 2)),
    "even": frozenset(range(2, 37, 2)),
    "low": frozenset(range(1, 19)),
    "high": frozenset(range(19, 37)),
}
BET_TYPES: tuple[str, ...] = (*INSIDE, *OUTSIDE_INDEXED, *EVEN_MONEY)


def pays(covered: int) -> int:
    """The odds paid for a bet covering `covered` numbers: 36 / covered - 1 to 1."""
    return 36 // covered - 1


INFO = GameInfo(
    id="european-roulette",
    name="European Roulette",
    kind="table",
    min_stake=10,
    max_stake=100_000,
    stake_step=1,
    rtp=Fraction(36, 37),  # every bet: 36 units back per unit of coverage out of 37 pockets
    volatility=Volatility.MEDIUM,
)


@dataclass(frozen=True, slots=True)
class Bet:
    type: str
    numbers: frozenset[int]
    amount: int
    index: int | None = None  # the dozen or column, 1 to 3

    def returns(self, pocket: int) -> int:
        """Paid back for this bet when the ball lands in `pocket`, its amount included."""
        if pocket not in self.numbers:
            return 0
        return self.amount * (pays(len(self.numbers)) + 1)

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type, "amount": self.amount}
        if self.type in INSIDE:
            data["numbers"] = sorted(self.numbers)
        elif self.index is not None:
            data["index"] = self.index
        return data


@dataclass(frozen=True, slots=True)
class RouletteState:
    stake: int
    bets: tuple[Bet, ...]
    pocket: int
    payout: int


def parse_bet(raw: object) -> Bet:
    """One bet from the wire, or StakeError("INVALID_BET") saying what is wrong with it."""
    if not isinstance(raw, Mapping):
        raise StakeError("INVALID_BET", "a bet must be an object")
    kind, amount = raw.get("type"), raw.get("amount")
    if kind not in BET_TYPES:
        raise StakeError("INVALID_BET", f"unknown bet type {kind!r}")
    assert isinstance(kind, str)
    if not is_int(amount) or amount <= 0:
        raise StakeError("INVALID_BET", "a bet amount must be a positive integer")
    allowed = {"type", "amount"}
    index: int | None = None
    if kind in INSIDE:
        allowed.add("numbers")
        raw_numbers = raw.get("numbers")
        if not isinstance(raw_numbers, list) or not all(is_int(n) for n in raw_numbers):
            raise StakeError("INVALID_BET", f"a {kind} bet needs a list of numbers")
        numbers = frozenset(raw_numbers)
        if len(numbers) != len(raw_numbers) or numbers not in INSIDE[kind]:
            raise StakeError("INVALID_BET", f"{sorted(raw_numbers)} is not a {kind} on the layout")
    elif kind in OUTSIDE_INDEXED:
        allowed.add("index")
        raw_index = raw.get("index")
        if not is_int(raw_index) or not 1 <= raw_index <= 3:
            raise StakeError("INVALID_BET", f"a {kind} bet needs an index from 1 to 3")
        index = raw_index
        numbers = OUTSIDE_INDEXED[kind][index - 1]
    else:
        numbers = EVEN_MONEY[kind]
    extra = set(raw) - allowed
    if extra:
        raise StakeError("INVALID_BET", f"a {kind} bet takes no {sorted(map(str, extra))}")
    return Bet(kind, numbers, amount, index)


def parse_bets(stake: int, options: Options) -> tuple[Bet, ...]:
    if not isinstance(options, Mapping) or set(options) != {"bets"}:
        raise StakeError("INVALID_BET", 'roulette options must be {"bets": [...]}')
    raw_bets = options["bets"]
    if not isinstance(raw_bets, list) or not raw_bets:
        raise StakeError("INVALID_BET", "bets must be a non-empty list")
    if len(raw_bets) > MAX_BETS:
        raise StakeError("INVALID_BET", f"at most {MAX_BETS} bets per spin")
    bets = tuple(parse_bet(raw) for raw in raw_bets)
    if sum(bet.amount for bet in bets) != stake:
        raise StakeError("INVALID_STAKE", "the stake must equal the sum of the bets")
    return bets


def settle(stake: int, bets: tuple[Bet, ...], pocket: int) -> RouletteState:
    return RouletteState(stake, bets, pocket, sum(bet.returns(pocket) for bet in bets))


class Roulette(SingleStepGame):
    info = INFO

    def validate(self, stake: int, options: Options = None) -> None:
        check_stake(self.info, stake)
        parse_bets(stake, options)

    def start(self, stake: int, rng: Generator, options: Options = None) -> RouletteState:
        check_stake(self.info, stake)
        return settle(stake, parse_bets(stake, options), rng.randbelow(POCKETS))

    def payout(self, state: RouletteState) -> int:
        return state.payout

    def describe(self, state: RouletteState) -> dict[str, Any]:
        return {
            "pocket": state.pocket,
            "colour": "red" if state.pocket in RED else "black" if state.pocket else "green",
            "bets": [{**bet.to_data(), "returns": bet.returns(state.pocket)} for bet in state.bets],
        }

    def state_to_data(self, state: RouletteState) -> dict[str, Any]:
        return {
            "stake": state.stake,
            "bets": [bet.to_data() for bet in state.bets],
            "pocket": state.pocket,
        }

    def state_from_data(self, data: Mapping[str, Any]) -> RouletteState:
        stake = stored_int(data, "stake")
        pocket = stored_int(data, "pocket", 0, POCKETS - 1)
        try:
            bets = parse_bets(stake, {"bets": data.get("bets")})
        except StakeError as error:
            raise ValueError(f"stored bets do not parse: {error}") from error
        return settle(stake, bets, pocket)
