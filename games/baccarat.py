"""Punto banco baccarat from an 8-deck shoe, with the full third-card tableau.

Options select the bet: `{"bet": "banker" | "player" | "tie"}`, the whole stake
on it. Banker wins pay 0.95 to 1 (the stake step of 20 keeps 0.95 x stake a
whole number of minor units), player wins 1 to 1, a tie 8 to 1; a tie returns
banker and player bets. Each round deals from a freshly shuffled shoe: the six
cards a coup can use are drawn with `rng.sample`, which is a partial
Fisher-Yates shuffle, so they are exactly the top of a full shuffle. The
exact odds come from `games.baccarat_maths`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from games import cards
from games.base import (
    GameInfo,
    Options,
    SingleStepGame,
    StakeError,
    Volatility,
    check_stake,
    require,
    stored_int,
    stored_list,
)
from rng.generator import Generator

DECKS = 8
BETS = ("banker", "player", "tie")
# Odds paid on a win, as exact fractions of the stake.
ODDS: dict[str, Fraction] = {"banker": Fraction(95, 100), "player": Fraction(1), "tie": Fraction(8)}

INFO = GameInfo(
    id="punto-banco",
    name="Punto Banco Baccarat",
    kind="table",
    min_stake=100,
    max_stake=100_000,
    stake_step=20,
    # the banker bet, the best one (98.9421 %): baccarat_maths.bet_rtp("banker"), held by a test
    rtp=Fraction(10732465128097, 10847218479825),
    volatility=Volatility.LOW,
)

_SHOE = tuple(cards.new_shoe(DECKS))


def value(card: int) -> int:
    """Baccarat points: ace 1, two to nine at face, tens and pictures 0."""
    r = cards.rank(card) + 1
    return r if r < 10 else 0


def banker_draws(banker_total: int, player_third: int | None) -> bool:
    """The banker's side of the tableau, given the player's third card's points (None: stood)."""
    if player_third is None:
        return banker_total <= 5
    if banker_total <= 2:
        return True
    if banker_total == 3:
        return player_third != 8
    if banker_total == 4:
        return 2 <= player_third <= 7
    if banker_total == 5:
        return 4 <= player_third <= 7
    if banker_total == 6:
        return player_third in (6, 7)
    return False


def coup(points: tuple[int, ...]) -> tuple[bool, bool]:
    """Whether player and banker take a third card, given the points of the next six cards.

    Cards are dealt player, banker, player, banker, then the player's third and
    the banker's third as the tableau asks.
    """
    player = (points[0] + points[2]) % 10
    banker = (points[1] + points[3]) % 10
    if player >= 8 or banker >= 8:
        return False, False
    if player <= 5:
        return True, banker_draws(banker, points[4])
    return False, banker_draws(banker, None)


def winner(player_total: int, banker_total: int) -> str:
    if player_total > banker_total:
        return "player"
    if banker_total > player_total:
        return "banker"
    return "tie"


def returns(bet: str, stake: int, result: str) -> int:
    """Paid back on `bet` for `result`, stake included; exact given the stake step."""
    if result == bet:
        won = ODDS[bet] * stake
        assert won.denominator == 1, "stake step must make the win whole"
        return stake + int(won)
    if result == "tie":
        return stake  # banker and player bets push
    return 0


@dataclass(frozen=True, slots=True)
class BaccaratState:
    stake: int
    bet: str
    player: tuple[int, ...]
    banker: tuple[int, ...]

    @property
    def player_total(self) -> int:
        return sum(value(c) for c in self.player) % 10

    @property
    def banker_total(self) -> int:
        return sum(value(c) for c in self.banker) % 10

    @property
    def result(self) -> str:
        return winner(self.player_total, self.banker_total)


def deal(stake: int, bet: str, top: tuple[int, ...]) -> BaccaratState:
    """The coup from the top six cards of the shoe (only those the tableau calls for are used)."""
    player_third, banker_third = coup(tuple(value(c) for c in top))
    player = (top[0], top[2]) + ((top[4],) if player_third else ())
    banker = (top[1], top[3]) + ((top[5 if player_third else 4],) if banker_third else ())
    return BaccaratState(stake, bet, player, banker)


def parse_bet(options: Options) -> str:
    if not isinstance(options, Mapping) or set(options) != {"bet"} or options["bet"] not in BETS:
        raise StakeError("INVALID_BET", 'baccarat options must be {"bet": banker|player|tie}')
    bet: str = options["bet"]
    return bet


class Baccarat(SingleStepGame):
    info = INFO

    def validate(self, stake: int, options: Options = None) -> None:
        check_stake(self.info, stake)
        parse_bet(options)

    def start(self, stake: int, rng: Generator, options: Options = None) -> BaccaratState:
        check_stake(self.info, stake)
        return deal(stake, parse_bet(options), tuple(rng.sample(_SHOE, 6)))

    def payout(self, state: BaccaratState) -> int:
        return returns(state.bet, state.stake, state.result)

    def describe(self, state: BaccaratState) -> dict[str, Any]:
        return {
            "bet": state.bet,
            "player": [cards.name(c) for c in state.player],
            "banker": [cards.name(c) for c in state.banker],
            "player_total": state.player_total,
            "banker_total": state.banker_total,
            "result": state.result,
        }

    def state_to_data(self, state: BaccaratState) -> dict[str, Any]:
        return {
            "stake": state.stake,
            "bet": state.bet,
            "player": [cards.name(c) for c in state.player],
            "banker": [cards.name(c) for c in state.banker],
        }

    def state_from_data(self, data: Mapping[str, Any]) -> BaccaratState:
        stake, bet = stored_int(data, "stake"), data.get("bet")
        if not isinstance(bet, str) or bet not in BETS:
            raise ValueError("unknown bet")
        player = tuple(cards.parse(c) for c in stored_list(data, "player"))
        banker = tuple(cards.parse(c) for c in stored_list(data, "banker"))
        require(len(player) in (2, 3) and len(banker) in (2, 3), "a hand holds 2 or 3 cards")
        # Re-deal from the stored cards: a state the tableau could not produce is refused.
        top = player[:1] + banker[:1] + player[1:2] + banker[1:2] + player[2:] + banker[2:]
        state = deal(stake, bet, top + (0,) * (6 - len(top)))
        require((state.player, state.banker) == (player, banker), "cards break the tableau")
        return state
