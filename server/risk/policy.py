"""The risk rules' settings as data: for each rule, on or off, its thresholds and window, its
severity and the action a hit applies. Pure.

The defaults below hold until an operator replaces any part with a JSON file
(CASINO_RISK_POLICY_FILE); a rule it leaves out keeps its defaults, a setting it leaves out
keeps its default value:

    {"rules": {"rapid_betting": {"count": 40, "window_s": 10, "action": "restrict"},
               "new_device": {"enabled": false},
               "quick_cashout": {"action": "require_kyc", "kyc_level": 2}}}

Actions: `flag` (staff look), `require_kyc` (withdrawals, and deposits above the KYC
threshold, need the rule's `kyc_level` until the player reaches it), `hold_withdrawals`,
`block_bonuses` (no claims or awards while the alert is open), `restrict`, `lock`.

Amounts are minor units of the event's own currency (a rule compares a player's movements
with that player's own history, so no conversion is needed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ACTIONS = ("flag", "require_kyc", "hold_withdrawals", "block_bonuses", "restrict", "lock")
KYC_LEVELS = (1, 2)  # what `require_kyc` may ask: identity, or address and source of funds
SEVERITIES = ("low", "medium", "high")


class PolicyError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class RuleSettings:
    name: str
    action: str
    severity: str
    params: dict[str, int] = field(default_factory=dict)
    enabled: bool = True
    # The KYC level a `require_kyc` action asks for (server/kyc/levels.py: 1 identity, 2
    # address and source of funds); read by no other action.
    kyc_level: int = 2

    def __getitem__(self, key: str) -> int:
        return self.params[key]


DEFAULTS: dict[str, RuleSettings] = {
    # A deposit of `factor` times the player's average of at least `min_history` earlier
    # ones, or `count` deposits within `window_s`.
    "deposit_outlier": RuleSettings(
        "deposit_outlier", "flag", "medium",
        {"factor": 5, "min_history": 3, "count": 5, "window_s": 3_600},
    ),
    "withdrawal_outlier": RuleSettings(
        "withdrawal_outlier", "flag", "medium",
        {"factor": 5, "min_history": 3, "count": 4, "window_s": 3_600},
    ),
    # A withdrawal within `window_s` of a deposit of at least `min_deposit`, with stakes since
    # that deposit below `play_percent` % of it: deposit, barely play, cash out.
    # Flag by default: AML's own quick_cashout rule already holds such withdrawals where the
    # operator wants a hold (docs/operators/aml.md); an operator may set hold_withdrawals here.
    "quick_cashout": RuleSettings(
        "quick_cashout", "flag", "high",
        {"min_deposit": 5_000, "play_percent": 20, "window_s": 86_400},
    ),
    # `count` stakes within `window_s` seconds: faster than a person clicks.
    "rapid_betting": RuleSettings(
        "rapid_betting", "flag", "high", {"count": 30, "window_s": 10}
    ),
    # A table round with `percent` % of its stake on both sides of even-money pairs.
    "hedged_bets": RuleSettings("hedged_bets", "flag", "medium", {"percent": 50}),
    # A table round staked partly with bonus money, `hedged_percent` % of it hedged or
    # covering `coverage_percent` % of the pockets: clearing a bonus at almost no risk. An
    # operator may set block_bonuses here.
    "bonus_low_risk": RuleSettings(
        "bonus_low_risk", "flag", "high", {"hedged_percent": 50, "coverage_percent": 90}
    ),
    "new_device": RuleSettings("new_device", "flag", "low"),
    "new_country": RuleSettings("new_country", "flag", "medium"),
    # Two successful logins whose places are at least `min_km` apart at more than `max_kmh`.
    "impossible_travel": RuleSettings(
        "impossible_travel", "flag", "high", {"max_kmh": 900, "min_km": 500}
    ),
    # Failed logins on `accounts` different accounts from one address within `window_s`.
    "password_spraying": RuleSettings(
        "password_spraying", "flag", "high", {"accounts": 5, "window_s": 600}
    ),
    # One device id (sent by the client) logged in to `accounts` different accounts.
    "shared_device": RuleSettings("shared_device", "flag", "medium", {"accounts": 2}),
    # One payment instrument (the gateway's fingerprint) saved by `accounts` accounts.
    "shared_instrument": RuleSettings("shared_instrument", "flag", "high", {"accounts": 2}),
    # One postal address (normalised) on `accounts` accounts.
    "shared_address": RuleSettings("shared_address", "flag", "medium", {"accounts": 2}),
    # `accounts` accounts on one device whose addresses share the first line.
    "household": RuleSettings("household", "flag", "medium", {"accounts": 2}),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Policy:
    rules: dict[str, RuleSettings] = field(default_factory=lambda: dict(DEFAULTS))

    def rule(self, name: str) -> RuleSettings | None:
        """The settings of an enabled rule, or None when it is off."""
        found = self.rules.get(name)
        return found if found is not None and found.enabled else None


def from_data(data: dict[str, Any]) -> Policy:
    """The defaults overridden by `data` (the policy file's JSON); PolicyError naming what is
    wrong."""
    given = data.get("rules", {})
    if not isinstance(given, dict):
        raise PolicyError("rules is an object of rule name -> settings")
    rules = dict(DEFAULTS)
    for name, changes in given.items():
        base = DEFAULTS.get(name)
        if base is None:
            raise PolicyError(f"unknown rule {name!r} (known: {', '.join(DEFAULTS)})")
        if not isinstance(changes, dict):
            raise PolicyError(f"{name}: settings are an object")
        params = dict(base.params)
        updated = base
        for key, value in changes.items():
            if key == "action":
                if value not in ACTIONS:
                    raise PolicyError(f"{name}: action is one of {', '.join(ACTIONS)}")
                updated = replace(updated, action=value)
            elif key == "severity":
                if value not in SEVERITIES:
                    raise PolicyError(f"{name}: severity is one of {', '.join(SEVERITIES)}")
                updated = replace(updated, severity=value)
            elif key == "kyc_level":
                if value not in KYC_LEVELS or isinstance(value, bool):
                    raise PolicyError(f"{name}: kyc_level is 1 or 2")
                updated = replace(updated, kyc_level=value)
            elif key == "enabled":
                if not isinstance(value, bool):
                    raise PolicyError(f"{name}: enabled is true or false")
                updated = replace(updated, enabled=value)
            elif key in params:
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    raise PolicyError(f"{name}: {key} is a whole number >= 0")
                params[key] = value
            else:
                raise PolicyError(f"{name}: unknown setting {key!r}")
        rules[name] = replace(updated, params=params)
    return Policy(rules)


def load(path: str) -> Policy:
    if not path:
        return Policy()
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise PolicyError(f"risk policy {path}: {error}") from None
    if not isinstance(data, dict):
        raise PolicyError(f"risk policy {path}: a JSON object")
    return from_data(data)
