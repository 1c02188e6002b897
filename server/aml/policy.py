"""The AML policy: thresholds, windows, actions and exchange rates, as data. Pure.

The defaults are the casino CDD threshold of EUR 2,000 (UK MLR 2017 reg. 27; the EU
directive uses the same figure) over linked transactions in a rolling window, and three
rules. An operator replaces any of it with a JSON file (CASINO_AML_POLICY_FILE):

    {"cdd_threshold_eur": "2000.00", "cdd_window_hours": 168, "match_threshold": 0.9,
     "eur_rates": {"GBP": "1.17", "USD": "0.92"},
     "rules": [{"name": "cumulative_deposits", "threshold_eur": "5000", "window_hours": 720,
                "action": "hold_withdrawals"}, ...]}

Amounts convert to euro cents exactly (fractions, rounded up: a converted amount is never
understated). A currency without a rate cannot be judged, and `to_eur_cents` says so
(None) instead of guessing.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from server.money.currencies import MINOR_UNITS

ACTIONS = ("flag", "hold_withdrawals", "restrict")
RULE_NAMES = ("cumulative_deposits", "quick_cashout", "many_instruments")
HOUR_MS = 3_600_000

# EUR per one unit of each currency: indicative defaults (ECB reference rates, late 2026
# order of magnitude); a live operator sets its own in the policy file.
DEFAULT_RATES: dict[str, Fraction] = {
    "EUR": Fraction(1), "GBP": Fraction("1.17"), "USD": Fraction("0.92"),
    "CHF": Fraction("1.05"), "SEK": Fraction("0.087"), "NOK": Fraction("0.085"),
    "DKK": Fraction("0.134"), "PLN": Fraction("0.23"), "CAD": Fraction("0.67"),
    "AUD": Fraction("0.60"), "JPY": Fraction("0.0061"),
}  # fmt: skip


class PolicyError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Rule:
    """One configurable rule: fires at `threshold_eur_cents` over `window_ms`, then `action`.

    cumulative_deposits: deposits in the window reach the threshold.
    quick_cashout: a withdrawal after deposits of at least the threshold in the window, with
      stakes below `play_ratio` of those deposits (deposit, barely play, cash out).
    many_instruments: deposits came through at least `count` distinct payment instruments
      in the window (the threshold is not used)."""

    name: str
    threshold_eur_cents: int
    window_ms: int
    action: str
    play_ratio: Fraction = Fraction(1, 2)
    count: int = 3


@dataclass(frozen=True, slots=True)
class Policy:
    cdd_threshold_eur_cents: int = 200_000
    cdd_window_ms: int = 7 * 24 * HOUR_MS
    match_threshold: float = 0.9
    eur_rates: dict[str, Fraction] = field(default_factory=lambda: dict(DEFAULT_RATES))
    rules: tuple[Rule, ...] = (
        Rule("cumulative_deposits", 1_000_000, 30 * 24 * HOUR_MS, "hold_withdrawals"),
        Rule("quick_cashout", 50_000, 7 * 24 * HOUR_MS, "hold_withdrawals"),
        Rule("many_instruments", 0, 30 * 24 * HOUR_MS, "flag", count=3),
    )

    def to_eur_cents(self, amount: int, currency: str) -> int | None:
        """`amount` minor units of `currency` in euro cents, rounded up; None: no rate."""
        rate = self.eur_rates.get(currency)
        digits = MINOR_UNITS.get(currency)
        if rate is None or digits is None:
            return None
        return math.ceil(amount * rate * Fraction(10) ** (2 - digits))


def _cents(value: Any, name: str) -> int:
    try:
        cents = Fraction(str(value)) * 100
    except (ValueError, ZeroDivisionError):
        raise PolicyError(f"{name} must be a decimal amount in euros, got {value!r}") from None
    if cents < 0 or cents.denominator != 1:
        raise PolicyError(f"{name} must be a non-negative amount with at most 2 decimals")
    return int(cents)


def _hours(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise PolicyError(f"{name} must be a positive whole number of hours")
    return value * HOUR_MS


def _rule(data: Any) -> Rule:
    if not isinstance(data, dict) or data.get("name") not in RULE_NAMES:
        raise PolicyError(f"a rule needs a name among {', '.join(RULE_NAMES)}")
    name = str(data["name"])
    if data.get("action") not in ACTIONS:
        raise PolicyError(f"rule {name}: action must be one of {', '.join(ACTIONS)}")
    rule = Rule(
        name,
        _cents(data.get("threshold_eur", "0"), f"rule {name}: threshold_eur"),
        _hours(data.get("window_hours"), f"rule {name}: window_hours"),
        str(data["action"]),
    )
    if "play_ratio" in data:
        rule = replace(rule, play_ratio=Fraction(str(data["play_ratio"])))
    if "count" in data:
        if not isinstance(data["count"], int) or data["count"] < 2:
            raise PolicyError(f"rule {name}: count must be a whole number of at least 2")
        rule = replace(rule, count=data["count"])
    return rule


def from_data(data: dict[str, Any]) -> Policy:
    policy = Policy()
    if "cdd_threshold_eur" in data:
        cents = _cents(data["cdd_threshold_eur"], "cdd_threshold_eur")
        policy = replace(policy, cdd_threshold_eur_cents=cents)
    if "cdd_window_hours" in data:
        window = _hours(data["cdd_window_hours"], "cdd_window_hours")
        policy = replace(policy, cdd_window_ms=window)
    if "match_threshold" in data:
        threshold = float(data["match_threshold"])
        if not 0.5 <= threshold <= 1:
            raise PolicyError("match_threshold must be between 0.5 and 1")
        policy = replace(policy, match_threshold=threshold)
    if "eur_rates" in data:
        rates = dict(policy.eur_rates)
        for code, rate in dict(data["eur_rates"]).items():
            if code not in MINOR_UNITS:
                raise PolicyError(f"eur_rates: {code} is not a currency the wallet holds")
            rates[code] = Fraction(str(rate))
        policy = replace(policy, eur_rates=rates)
    if "rules" in data:
        policy = replace(policy, rules=tuple(_rule(item) for item in data["rules"]))
    return policy


def load(path: str) -> Policy:
    """The policy file at `path` over the defaults; the defaults when `path` is empty."""
    if not path:
        return Policy()
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise PolicyError(f"AML policy file {path}: {error}") from None
    if not isinstance(data, dict):
        raise PolicyError(f"AML policy file {path}: a JSON object is expected")
    return from_data(data)
