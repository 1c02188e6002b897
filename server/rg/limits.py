"""The rules of a player's own limits, pure: what a change asks for, when it applies, which wins.

A limit (deposit or loss per 24 hours, 7 days or 30 days, session minutes) may always be
made stricter at once: that protects the player. Making it looser (a higher value, or none)
waits: it applies only after the profile's delay (24 hours) AND a reconfirmation by the
player, so a decision taken in the heat of play cannot take effect in it. A stricter change
drops a looser one still waiting. The reality-check interval is not a limit: any change
applies at once. No I/O and no clock here: `server/rg/state.py` stores what these return.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from protocol.errors import ErrorCode, Refused

DEPOSIT_KINDS = ("deposit_24h", "deposit_7d", "deposit_30d")
LOSS_KINDS = ("loss_24h", "loss_7d", "loss_30d")
SESSION = "session_minutes"
REALITY_CHECK = "reality_check_seconds"
KINDS = (*DEPOSIT_KINDS, *LOSS_KINDS, SESSION, REALITY_CHECK)
WINDOW_MS = {
    "24h": 24 * 3600 * 1000,
    "7d": 7 * 24 * 3600 * 1000,
    "30d": 30 * 24 * 3600 * 1000,
}
MAX_VALUE = 10**12  # minor units, as money's amounts
MAX_MINUTES = 24 * 60
MAX_SECONDS = 24 * 3600
# The shortest reality-check interval a player may choose. One minute: a shorter one would
# interrupt every game cycle. Only tests lower it (CASINO_REALITY_CHECK_MIN_SECONDS), so the
# server's real timers and pushes are exercised in seconds instead of minutes.
MIN_REALITY_CHECK_SECONDS = 60


class LimitNotDue(ValueError):
    """A looser value was confirmed before its waiting time ran out."""

    def __init__(self, effective_at_ms: int) -> None:
        super().__init__(f"the change applies no sooner than {effective_at_ms} (ms)")
        self.effective_at_ms = effective_at_ms


class NothingPending(ValueError):
    """A confirmation with no looser value waiting."""


@dataclass(frozen=True, slots=True)
class Limit:
    kind: str
    value: int | None  # in force; None: no limit
    pending: bool = False  # a looser value waits for its time and a confirmation
    pending_value: int | None = None  # None with `pending`: the limit is to be removed
    pending_at: int | None = None  # ms since the epoch when it may be confirmed


def stricter(new: int | None, old: int | None) -> bool:
    """Is `new` at least as strict as `old`? (None is no limit: the loosest.)"""
    if new is None:
        return old is None
    return old is None or new <= old


def valid(kind: str, value: object, reality_min_s: int = MIN_REALITY_CHECK_SECONDS) -> bool:
    if kind not in KINDS:
        return False
    if value is None:
        return True
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        return False
    if kind == REALITY_CHECK:
        return reality_min_s <= value <= MAX_SECONDS
    return value <= (MAX_MINUTES if kind == SESSION else MAX_VALUE)


def change(current: Limit, value: int | None, now_ms: int, delay_ms: int) -> Limit:
    """The limit after the player asks for `value`: at once when stricter (or the reality
    check), else waiting `delay_ms` for a confirmation, with the value in force unchanged."""
    if current.kind == REALITY_CHECK or stricter(value, current.value):
        return Limit(current.kind, value)
    return replace(current, pending=True, pending_value=value, pending_at=now_ms + delay_ms)


def confirm(current: Limit, now_ms: int) -> Limit:
    """The limit after the player reconfirms the looser value waiting."""
    if not current.pending or current.pending_at is None:
        raise NothingPending(f"no change of {current.kind} is waiting")
    if now_ms < current.pending_at:
        raise LimitNotDue(current.pending_at)
    return Limit(current.kind, current.pending_value)


def lowest(limits: dict[str, int | None], prefix: str, window: str) -> int | None:
    """The limit that applies to `window` of `prefix` ("deposit" or "loss"): a longer window's
    limit lower than a shorter one's caps the shorter one too (the lowest applicable wins)."""
    order = ("24h", "7d", "30d")
    found = [
        v for w in order[order.index(window) :] if (v := limits.get(f"{prefix}_{w}")) is not None
    ]
    return min(found) if found else None


def at_registration(raw: object) -> dict[str, int]:
    """The deposit limits a new player asks for in the registration form (`limits`: an object
    of deposit_24h, deposit_7d, deposit_30d to positive minor units; absent or null: none).
    Checked before the account exists, so a bad one registers nothing; a first limit is
    stricter than none, so each applies at once."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(
        kind in DEPOSIT_KINDS and (value is None or valid(kind, value))
        for kind, value in raw.items()
    ):
        raise Refused(
            ErrorCode.VALIDATION_FAILED,
            f"limits maps {', '.join(DEPOSIT_KINDS)} to a positive whole number of minor units"
            f" (at most {MAX_VALUE}) or null",
            field="limits",
        )
    return {kind: value for kind, value in raw.items() if value is not None}
