"""The risk rules: pure functions of one event and the player's features as they stood with
it (`Facts`, gathered by server/risk/features.py) to the hits they raise. No I/O, no clock:
the event's own time is the time, so a replay of a recorded log gives the same hits.

A hit names its rule, severity and action (from the policy), the evidence a person reads to
judge it, and the ids of the events behind it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from games import catalogue as games
from games.base import SingleStepGame
from server.events.catalogue import (
    Deposited,
    Event,
    LoggedInV2,
    PaymentMethodSaved,
    ProfileChangedV2,
    ProviderMovement,
    RoundBets,
    RoundSettled,
    RoundSettledV2,
    StakeTaken,
    Withdrawal,
)
from server.risk import exposure
from server.risk.policy import Policy, RuleSettings


@dataclass(frozen=True, slots=True)
class Movement:
    """A deposit, withdrawal or stake the features remember: its event, time and amount."""

    id: str
    at_ms: int
    amount: int


@dataclass(frozen=True, slots=True)
class Login:
    """A successful login the features remember, with where it came from."""

    id: str
    at_ms: int
    country: str
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True, slots=True)
class Facts:
    """What the features held for one event, the event itself included.

    `deposits`, `withdrawals`: the player's recent ones, oldest first. `stakes`: the
    player's recent stakes (at most the features' keep, oldest first; `stakes_full` when
    older ones were dropped). `device_first_ms` / `country_first_ms`: when the player first
    logged in with this login's device or from its country; `logins_before`: how many
    successful logins came before; `previous_login`: the last one before this. `sprayed`:
    accounts that failed a login from this login's address in the window. `device_accounts`:
    accounts that logged in with this device id. `instrument_accounts`: accounts that saved
    this payment instrument; `address_accounts`, `street_accounts`: accounts whose postal
    address, or its first line, is this one; `devices`: the player's device ids; `street`:
    the digest of the player's first address line; `household`: accounts sharing a device
    and the first address line with the player (the player included)."""

    deposits: tuple[Movement, ...] = ()
    withdrawals: tuple[Movement, ...] = ()
    stakes: tuple[Movement, ...] = ()
    stakes_full: bool = False
    recent_bets: int = 0
    country: str = ""
    latitude: float | None = None
    longitude: float | None = None
    device_first_ms: int | None = None
    country_first_ms: int | None = None
    logins_before: int = 0
    previous_login: Login | None = None
    sprayed: tuple[int, ...] = ()
    device_accounts: tuple[int, ...] = ()
    instrument_accounts: tuple[int, ...] = ()
    address_accounts: tuple[int, ...] = ()
    street_accounts: tuple[int, ...] = ()
    devices: tuple[str, ...] = ()
    street: str = ""
    household: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Hit:
    rule: str
    severity: str
    action: str
    player_id: int
    evidence: dict[str, Any]
    event_ids: tuple[str, ...] = field(default_factory=tuple)
    kyc_level: int | None = None  # what a `require_kyc` action asks for; None for the others


def _hit(settings: RuleSettings, event: Event, evidence: dict[str, Any], *ids: str) -> Hit:
    return Hit(
        settings.name, settings.severity, settings.action, event.player_id, evidence,
        tuple(dict.fromkeys((*ids, event.id))),
        settings.kyc_level if settings.action == "require_kyc" else None,
    )  # fmt: skip


def _outlier(
    settings: RuleSettings, event: Event, amount: int, history: tuple[Movement, ...]
) -> Hit | None:
    """This movement against the player's own earlier ones: `factor` times their average,
    or `count` of them (this one included) within the window."""
    earlier = [m for m in history if m.id != event.id and m.at_ms <= event.at_ms]
    window_from = event.at_ms - settings["window_s"] * 1000
    recent = [m for m in earlier if m.at_ms > window_from]
    if len(recent) + 1 >= settings["count"] > 0:
        return _hit(
            settings, event,
            {"reason": "velocity", "count": len(recent) + 1, "window_s": settings["window_s"]},
            *(m.id for m in recent),
        )  # fmt: skip
    if len(earlier) >= settings["min_history"] > 0:
        total = sum(m.amount for m in earlier)
        # amount >= factor * average, in integers: amount * n >= factor * total
        if amount * len(earlier) >= settings["factor"] * total:
            return _hit(
                settings, event,
                {"reason": "amount", "amount": amount, "average": total // len(earlier),
                 "history": len(earlier)},
            )  # fmt: skip
    return None


def deposit_outlier(policy: Policy, event: Event, facts: Facts) -> Hit | None:
    settings = policy.rule("deposit_outlier")
    if settings is None or not isinstance(event, Deposited):
        return None
    return _outlier(settings, event, event.amount, facts.deposits)


def withdrawal_outlier(policy: Policy, event: Event, facts: Facts) -> Hit | None:
    settings = policy.rule("withdrawal_outlier")
    if settings is None or not (isinstance(event, Withdrawal) and event.status == "requested"):
        return None
    return _outlier(settings, event, event.amount, facts.withdrawals)


def quick_cashout(policy: Policy, event: Event, facts: Facts) -> Hit | None:
    settings = policy.rule("quick_cashout")
    if settings is None or not (isinstance(event, Withdrawal) and event.status == "requested"):
        return None
    window_from = event.at_ms - settings["window_s"] * 1000
    before = [d for d in facts.deposits if window_from < d.at_ms <= event.at_ms]
    if not before:
        return None
    last = before[-1]
    if last.amount < settings["min_deposit"]:
        return None
    since = [s for s in facts.stakes if last.at_ms <= s.at_ms <= event.at_ms]
    if facts.stakes_full and (not facts.stakes or facts.stakes[0].at_ms >= last.at_ms):
        return None  # more stakes since the deposit than the features keep: plenty of play
    staked = sum(s.amount for s in since)
    if staked * 100 >= settings["play_percent"] * last.amount:
        return None
    return _hit(
        settings, event,
        {"deposit": last.amount, "staked": staked, "withdrawal": event.amount,
         "play_percent": settings["play_percent"]},
        last.id,
    )  # fmt: skip


# Our games that settle in one step (slots, roulette, baccarat): their script emits no
# `stake` event, only `round_settled`, which is then the bet. A game of several steps
# (blackjack) emits `stake` for each stake it holds, and its `round_settled` is no new bet.
ONE_STEP_GAMES = frozenset(
    game_id for game_id, game in games.GAMES.items() if isinstance(game, SingleStepGame)
)


def bet_amount(event: Event) -> int | None:
    """The player's stake when `event` is a bet (ours or a provider's), else None. A voided
    round and a bonus's free round stake none of the player's money."""
    if isinstance(event, StakeTaken):
        return event.amount
    if isinstance(event, ProviderMovement):
        return event.amount if event.action == "bet" else None
    if isinstance(event, RoundSettled) and event.game in ONE_STEP_GAMES:
        free = isinstance(event, RoundSettledV2) and event.free
        return None if event.voided or free else event.stake
    return None


def rapid_betting(policy: Policy, event: Event, facts: Facts) -> Hit | None:
    settings = policy.rule("rapid_betting")
    if settings is None or bet_amount(event) is None or facts.recent_bets < settings["count"]:
        return None
    return _hit(settings, event, {"bets": facts.recent_bets, "window_s": settings["window_s"]})


def _round_evidence(event: RoundBets, found: exposure.Exposure) -> dict[str, Any]:
    return {
        "game": event.game, "round_id": event.round_id, "stake": event.stake,
        "stake_bonus": event.stake_bonus, "hedged": found.hedged, "pairs": list(found.pairs),
        "covered": found.covered, "pockets": found.pockets,
    }  # fmt: skip


def hedged_bets(policy: Policy, event: Event, facts: Facts) -> Hit | None:
    """A table round with at least `percent` % of its stake on both sides of even-money
    pairs (red and black, odd and even, low and high): turnover at almost no risk, to wager
    a bonus through, earn points or cashback on, or pass money through."""
    settings = policy.rule("hedged_bets")
    if settings is None or not isinstance(event, RoundBets) or event.stake <= 0:
        return None
    found = exposure.of_round(event.game, event.options)
    if not found.hedged or found.hedged * 100 < settings["percent"] * event.stake:
        return None
    return _hit(settings, event, _round_evidence(event, found))


def bonus_low_risk(policy: Policy, event: Event, facts: Facts) -> Hit | None:
    """A table round staked partly with bonus money that risks almost nothing: at least
    `hedged_percent` % of the stake hedged, or at least `coverage_percent` % of the wheel's
    pockets covered. The bonus's wagering is cleared without the risk it is meant to carry."""
    settings = policy.rule("bonus_low_risk")
    if settings is None or not isinstance(event, RoundBets) or event.stake_bonus <= 0:
        return None
    found = exposure.of_round(event.game, event.options)
    hedged = found.hedged > 0 and found.hedged * 100 >= settings["hedged_percent"] * event.stake
    covering = (
        found.pockets > 0 and found.covered * 100 >= settings["coverage_percent"] * found.pockets
    )
    if not (hedged or covering):
        return None
    return _hit(settings, event, _round_evidence(event, found))


def _ok_login(event: Event) -> bool:
    return isinstance(event, LoggedInV2) and event.outcome == "ok"


def new_device(policy: Policy, event: Event, facts: Facts) -> Hit | None:
    settings = policy.rule("new_device")
    if settings is None or not _ok_login(event) or facts.logins_before == 0:
        return None
    assert isinstance(event, LoggedInV2)
    if facts.device_first_ms is not None and facts.device_first_ms < event.at_ms:
        return None
    return _hit(settings, event, {"device_id": event.device_id, "address": event.address})


def new_country(policy: Policy, event: Event, facts: Facts) -> Hit | None:
    settings = policy.rule("new_country")
    if settings is None or not _ok_login(event) or facts.logins_before == 0 or not facts.country:
        return None
    if facts.country_first_ms is not None and facts.country_first_ms < event.at_ms:
        return None
    assert isinstance(event, LoggedInV2)
    return _hit(settings, event, {"country": facts.country, "address": event.address})


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius): geography, not money."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def impossible_travel(policy: Policy, event: Event, facts: Facts) -> Hit | None:
    settings = policy.rule("impossible_travel")
    previous = facts.previous_login
    if settings is None or not _ok_login(event) or previous is None:
        return None
    if None in (facts.latitude, facts.longitude, previous.latitude, previous.longitude):
        return None
    assert facts.latitude is not None and facts.longitude is not None
    assert previous.latitude is not None and previous.longitude is not None
    km = distance_km(previous.latitude, previous.longitude, facts.latitude, facts.longitude)
    hours = max(event.at_ms - previous.at_ms, 1) / 3_600_000
    if km < settings["min_km"] or km / hours <= settings["max_kmh"]:
        return None
    return _hit(
        settings, event,
        {"km": round(km), "minutes": round(hours * 60, 1), "from": previous.country,
         "to": facts.country},
        previous.id,
    )  # fmt: skip


def password_spraying(policy: Policy, event: Event, facts: Facts) -> Hit | None:
    settings = policy.rule("password_spraying")
    if settings is None or not isinstance(event, LoggedInV2) or event.outcome == "ok":
        return None
    if len(facts.sprayed) < settings["accounts"]:
        return None
    return _hit(
        settings, event,
        {"address": event.address, "accounts": sorted(facts.sprayed),
         "window_s": settings["window_s"]},
    )  # fmt: skip


def shared_device(policy: Policy, event: Event, facts: Facts) -> Hit | None:
    settings = policy.rule("shared_device")
    if (
        settings is None
        or not _ok_login(event)
        or len(facts.device_accounts) < settings["accounts"]
    ):
        return None
    assert isinstance(event, LoggedInV2)
    return _hit(
        settings, event,
        {"link": "device", "value": event.device_id, "accounts": sorted(facts.device_accounts)},
    )  # fmt: skip


def shared_instrument(policy: Policy, event: Event, facts: Facts) -> Hit | None:
    """Accounts that saved one payment instrument (the gateway's fingerprint of a card,
    e-wallet account or IBAN)."""
    settings = policy.rule("shared_instrument")
    if settings is None or not isinstance(event, PaymentMethodSaved) or not event.fingerprint:
        return None
    if len(facts.instrument_accounts) < settings["accounts"]:
        return None
    return _hit(
        settings, event,
        {"link": "instrument", "value": event.fingerprint, "type": event.type,
         "label": event.label, "accounts": sorted(facts.instrument_accounts)},
    )  # fmt: skip


def shared_address(policy: Policy, event: Event, facts: Facts) -> Hit | None:
    """Accounts whose postal address is the same once normalised (case, punctuation and
    spacing aside): one household, or one address used for many accounts."""
    settings = policy.rule("shared_address")
    if settings is None or not isinstance(event, ProfileChangedV2) or not event.address_digest:
        return None
    if len(facts.address_accounts) < settings["accounts"]:
        return None
    return _hit(
        settings, event,
        {"link": "address", "value": event.address_digest,
         "accounts": sorted(facts.address_accounts)},
    )  # fmt: skip


def household(policy: Policy, event: Event, facts: Facts) -> Hit | None:
    """Accounts on one device whose addresses share the first line (one building, another
    flat): found on the login or the address change that completes the pair."""
    settings = policy.rule("household")
    relevant = _ok_login(event) or isinstance(event, ProfileChangedV2)
    if settings is None or not relevant or len(facts.household) < settings["accounts"]:
        return None
    return _hit(
        settings, event,
        {"link": "household", "accounts": list(facts.household),
         "value": event.street_digest if isinstance(event, ProfileChangedV2) else facts.street},
    )  # fmt: skip


# The rules that link accounts: their hits join a cluster (server/risk/clusters.py).
LINKING = ("shared_device", "shared_instrument", "shared_address", "household")


RULES = (
    deposit_outlier,
    withdrawal_outlier,
    quick_cashout,
    rapid_betting,
    hedged_bets,
    bonus_low_risk,
    new_device,
    new_country,
    impossible_travel,
    password_spraying,
    shared_device,
    shared_instrument,
    shared_address,
    household,
)


def evaluate(policy: Policy, event: Event, facts: Facts) -> list[Hit]:
    """Every hit the enabled rules raise on `event`."""
    return [hit for rule in RULES if (hit := rule(policy, event, facts)) is not None]
