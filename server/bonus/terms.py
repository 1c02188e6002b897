"""A promotion's terms and their arithmetic, pure: what is granted, what must be wagered, what
converts to cash. Amounts are integers in minor units, weights and percentages whole percents.

Rules (each held by `tests/test_bonus_terms.py`):
- Free spins grant nothing up front: each spin of the named slot at the named stake is paid by
  the promotion, and each win becomes bonus money adding `wagering` times itself to the
  requirement.
- A deposit match grants `deposit * percent // 100`, at most `cap` (0: no cap), and nothing for
  a deposit under `min_deposit`; a fixed bonus (no-deposit, welcome) grants `amount`.
- Wagering required is `multiplier * bonus`, or `multiplier * (bonus + deposit)` when the
  definition says so; a stake counts `stake * weight / 100` of it, exactly (the scripts count
  in hundredths of a minor unit), and a game with no weight counts nothing.
- On completion the bonus balance converts to cash up to `max_convert` (None: all); the rest
  goes to the operator's bonus cost. Nothing is ever created: cash + cost == bonus.
- Loyalty: a stake earns `stake * weight // 100` points; `rate` points redeem for one minor
  unit, as cash (no wagering) or as bonus money under the programme's wagering.
- The UK profile caps the multiplier at 10 and refuses a promotion whose weights mix product
  types (LCCP SR code 5.1.1, from 19 January 2026).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from games import catalogue as house_games
from games.base import StakeError, check_stake
from protocol.errors import ErrorCode, Refused

KINDS = ("no_deposit", "welcome", "deposit_match", "cashback", "free_spins", "loyalty")
# `campaign`: offered only to the players staff name, as a provider's free-bet campaign
# (server/bonus/campaign_offers.py); never listed to everyone nor claimed by its id.
TRIGGERS = ("code", "deposit", "registration", "manual", "campaign")
WAGERING_ON = ("bonus", "bonus_deposit")
MAX_AMOUNT = 10**12
# Product types a weight key belongs to (house kinds and game ids; anything else: a provider
# category, which is its own product type).
PRODUCTS = {
    "slot": "slots", "slots": "slots", "classic-sevens": "slots", "crown-jewels": "slots",
    "table": "casino-tables", "table-games": "casino-tables", "european-roulette": "casino-tables",
    "blackjack": "casino-tables", "punto-banco": "casino-tables",
}  # fmt: skip
UK_MAX_WAGERING = 10


@dataclass(frozen=True, slots=True)
class Terms:
    kind: str
    amount: int = 0  # fixed grant: no_deposit, welcome
    percent: int = 0  # deposit_match: of the deposit; cashback: of net losses
    cap: int = 0  # most a match or cashback grants; 0: no cap
    min_deposit: int = 0
    wagering: int = 0  # the multiplier; 0: converts at once (cashback paid as cash)
    wagering_on: str = "bonus"
    weights: Mapping[str, int] = field(default_factory=lambda: {"slot": 100})
    max_stake: int = 0  # 0: none
    valid_days: int = 30
    max_convert: int | None = None
    countries: tuple[str, ...] = ()  # empty: every country
    game: str = ""  # free_spins: the slot of ours they play, or the provider's game code
    provider: str = ""  # free_spins on a provider game (free rounds): the provider's id
    spins: int = 0  # free_spins: how many
    spin_stake: int = 0  # free_spins: the stake of each, paid by the promotion
    redeem_rate: int = 0  # loyalty: points per minor unit redeemed

    def public(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "amount": self.amount, "percent": self.percent, "cap": self.cap,
            "min_deposit": self.min_deposit, "wagering": self.wagering,
            "wagering_on": self.wagering_on, "weights": dict(self.weights),
            "max_stake": self.max_stake, "valid_days": self.valid_days,
            "max_convert": self.max_convert, "countries": list(self.countries),
            "game": self.game, "spins": self.spins, "spin_stake": self.spin_stake,
            "redeem_rate": self.redeem_rate, "provider": self.provider,
        }  # fmt: skip

    @property
    def free_game(self) -> str:
        """The game free spins play, as the scripts name it: ours by id, a provider's as
        `provider:game_code` (what a provider bet counts under)."""
        return f"{self.provider}:{self.game}" if self.provider else self.game


def grant_amount(terms: Terms, deposit: int = 0) -> int:
    """What the promotion grants; for a deposit match, on this deposit (0 under the minimum)."""
    if terms.kind == "deposit_match":
        if deposit < max(terms.min_deposit, 1):
            return 0
        granted = deposit * terms.percent // 100
        return min(granted, terms.cap) if terms.cap else granted
    return terms.amount


def required(terms: Terms, bonus: int, deposit: int = 0) -> int:
    """Wagering to complete, in minor units of weighted stakes."""
    base = bonus + deposit if terms.wagering_on == "bonus_deposit" else bonus
    return terms.wagering * base


def counted(stake: int, weight: int) -> int:
    """Hundredths of a minor unit a stake counts towards wagering (the scripts' unit)."""
    return stake * weight


def conversion(bonus: int, max_convert: int | None) -> tuple[int, int]:
    """(to cash, to bonus cost) of a completed bonus's balance."""
    to_cash = bonus if max_convert is None else min(bonus, max_convert)
    return to_cash, bonus - to_cash


def cashback(net_loss: int, terms: Terms) -> int:
    """What cashback pays on a period's net loss (stakes minus wins; nothing on a net win)."""
    if net_loss <= 0:
        return 0
    paid = net_loss * terms.percent // 100
    return min(paid, terms.cap) if terms.cap else paid


def weight(weights: Mapping[str, int], game: str) -> int:
    """A game's contribution in percent: by its id, else its kind (slot, table), else `*`."""
    if game in weights:
        return weights[game]
    found = house_games.get(game)
    if found is not None and found.info.kind in weights:
        return weights[found.info.kind]
    return weights.get("*", 0)


def points(weights: Mapping[str, int], game: str, stake: int) -> int:
    """Loyalty points a stake earns: one per minor unit staked, times the game's weight."""
    return stake * weight(weights, game) // 100


def redemption(points_held: int, asked: int, rate: int) -> int:
    """Minor units `asked` points redeem for; 0 when the player holds fewer, or too few."""
    if asked <= 0 or asked > points_held:
        return 0
    return asked // rate


def _bad(field_name: str, message: str) -> Refused:
    return Refused(ErrorCode.VALIDATION_FAILED, message, field=field_name)


def _int(data: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = data.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _bad(name, f"{name} must be an integer from {low} to {high}")
    return value


def parse(data: Mapping[str, Any]) -> Terms:
    """Terms from a staff request's JSON; VALIDATION_FAILED naming the first bad field."""
    kind = data.get("kind")
    if kind not in KINDS:
        raise _bad("kind", f"kind must be one of {', '.join(KINDS)}")
    weights = data.get("weights", {"slot": 100})
    if not isinstance(weights, dict) or not all(
        isinstance(k, str) and 0 < len(k) <= 80 and isinstance(v, int) and 0 <= v <= 100
        for k, v in weights.items()
    ):
        raise _bad("weights", "weights map a game, kind or category to a percent 0-100")
    wagering_on = data.get("wagering_on", "bonus")
    if wagering_on not in WAGERING_ON:
        raise _bad("wagering_on", "wagering_on is bonus or bonus_deposit")
    countries = data.get("countries", [])
    if not isinstance(countries, list) or not all(
        isinstance(c, str) and len(c) == 2 and c.isupper() for c in countries
    ):
        raise _bad("countries", "countries are ISO 3166 alpha-2 codes")
    max_convert = data.get("max_convert")
    if max_convert is not None:
        max_convert = _int(data, "max_convert", 0, 0, MAX_AMOUNT)
    terms = Terms(
        kind=kind,
        amount=_int(data, "amount", 0, 0, MAX_AMOUNT),
        percent=_int(data, "percent", 0, 0, 1000),
        cap=_int(data, "cap", 0, 0, MAX_AMOUNT),
        min_deposit=_int(data, "min_deposit", 0, 0, MAX_AMOUNT),
        wagering=_int(data, "wagering", 0, 0, 200),
        wagering_on=wagering_on,
        weights=dict(weights),
        max_stake=_int(data, "max_stake", 0, 0, MAX_AMOUNT),
        valid_days=_int(data, "valid_days", 30, 1, 365),
        max_convert=max_convert,
        countries=tuple(countries),
        game=str(data.get("game", "")),
        provider=str(data.get("provider") or ""),
        spins=_int(data, "spins", 0, 0, 1000),
        spin_stake=_int(data, "spin_stake", 0, 0, MAX_AMOUNT),
        redeem_rate=_int(data, "redeem_rate", 0, 0, 10**6),
    )
    if kind in ("no_deposit", "welcome") and terms.amount <= 0:
        raise _bad("amount", "a fixed bonus grants a positive amount")
    if kind == "free_spins" and terms.provider:
        # Free rounds on a provider game (a campaign the provider plays): its catalogue is the
        # provider domain's, which checks the game when staff award the campaign.
        if not (_printable_id(terms.provider) and _printable_id(terms.game)):
            raise _bad("game", "free rounds name a provider id and its game code")
        if terms.spins <= 0:
            raise _bad("spins", "free rounds need a positive count")
        if terms.spin_stake <= 0:
            raise _bad("spin_stake", "free rounds need a positive stake")
    elif kind == "free_spins":
        game = house_games.get(terms.game)
        if game is None or game.info.kind != "slot":
            raise _bad("game", "free spins play one of our slots")
        if terms.spins <= 0:
            raise _bad("spins", "free spins need a positive count")
        try:
            check_stake(game.info, terms.spin_stake)
        except StakeError as error:
            raise _bad("spin_stake", str(error)) from None
    if kind == "loyalty" and terms.redeem_rate <= 0:
        raise _bad("redeem_rate", "a loyalty programme redeems a positive number of points")
    if kind in ("deposit_match", "cashback") and terms.percent <= 0:
        raise _bad("percent", "a match or cashback needs a positive percent")
    return terms


def _printable_id(value: str) -> bool:
    """1-128 printable ASCII characters, no '|' (the scripts' free-spins field separator)."""
    return 0 < len(value) <= 128 and all("!" <= c <= "~" and c != "|" for c in value)


def uk_refusal(terms: Terms) -> Refused | None:
    """The UK jurisdiction profile's two rules for a promotion offered to GB players."""
    if terms.wagering > UK_MAX_WAGERING:
        return _bad("wagering", f"the UK caps wagering at {UK_MAX_WAGERING}x")
    products = {PRODUCTS.get(name, name) for name, weight in terms.weights.items() if weight}
    if len(products) > 1:
        return _bad("weights", "the UK refuses a promotion that mixes product types")
    return None
