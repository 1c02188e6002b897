"""What the AML rules conclude from a player's movements. Pure: movements in, findings out.

`linked_total` is customer due diligence's figure: deposits, withdrawals and winnings in
the rolling window, in euro cents, so transactions each under EUR 2,000 but together over
it are one linked transaction (structuring is caught because nothing is judged alone).
`findings` runs the configurable rules (server/aml/policy.py) for a withdrawal about to
be made. An amount in a currency without a rate counts as `None` and the caller holds it:
money that cannot be judged is not waved through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.aml.policy import Policy, Rule
from server.money.movements import Movement

LINKED = ("deposit", "withdrawal", "win")


class NoRate(ValueError):
    def __init__(self, currency: str) -> None:
        super().__init__(f"no EUR rate is configured for {currency}")
        self.currency = currency


@dataclass(frozen=True, slots=True)
class Finding:
    rule: Rule
    reason: str
    details: dict[str, Any]


def _eur(policy: Policy, amount: int, currency: str) -> int:
    cents = policy.to_eur_cents(amount, currency)
    if cents is None:
        raise NoRate(currency)
    return cents


def _sum(policy: Policy, movements: list[Movement], kinds: tuple[str, ...], since: int) -> int:
    total = 0
    for m in movements:
        if m.at_ms >= since and m.kind in kinds:
            total += _eur(policy, m.amount, m.currency)
        elif m.at_ms >= since and m.kind == "withdrawal_returned" and "withdrawal" in kinds:
            total -= _eur(policy, m.amount, m.currency)  # a declined payout was never paid
    return total


def linked_total(
    policy: Policy, movements: list[Movement], now_ms: int, amount: int, currency: str
) -> int:
    """Euro cents of linked transactions in the CDD window, with a new `amount` included."""
    since = now_ms - policy.cdd_window_ms
    return _sum(policy, movements, LINKED, since) + _eur(policy, amount, currency)


def _euros(cents: int) -> str:
    return f"EUR {cents // 100:,}.{cents % 100:02d}"


def findings(
    policy: Policy,
    movements: list[Movement],
    now_ms: int,
    amount: int,
    currency: str,
    cleared: dict[str, int] | None = None,
) -> list[Finding]:
    """The rules a withdrawal of `amount` would fire, given the movements before it.

    `cleared` maps a rule to when staff last cleared its case for this player: movements
    judged then are not judged again (the window starts after the clearance)."""
    found = []
    for rule in policy.rules:
        since = max(now_ms - rule.window_ms, (cleared or {}).get(rule.name, 0) + 1)
        deposits = _sum(policy, movements, ("deposit",), since)
        if rule.name == "cumulative_deposits" and deposits >= rule.threshold_eur_cents:
            found.append(Finding(rule, f"deposits of {_euros(deposits)} in the window",
                                 {"deposits_eur_cents": deposits}))  # fmt: skip
        elif rule.name == "quick_cashout" and deposits >= rule.threshold_eur_cents:
            staked = _sum(policy, movements, ("stake",), since)
            if staked < deposits * rule.play_ratio:
                found.append(Finding(
                    rule,
                    f"withdrawal after deposits of {_euros(deposits)} with {_euros(staked)} staked",
                    {"deposits_eur_cents": deposits, "staked_eur_cents": staked,
                     "withdrawal": amount, "currency": currency},
                ))  # fmt: skip
        elif rule.name == "many_instruments":
            used = sorted(
                {m.gateway for m in movements if m.kind == "deposit" and m.at_ms >= since}
            )
            if len(used) >= rule.count:
                found.append(Finding(rule, f"deposits through {len(used)} payment instruments",
                                     {"instruments": used}))  # fmt: skip
    return found
