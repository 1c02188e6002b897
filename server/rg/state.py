"""A player's responsible-gambling state: limits, time-outs, self-exclusions; stored, enforced.

SQL (`rg_limits`, `rg_exclusions`, `rg_deposits`, migration 0016) is the record. What the
stake path must enforce atomically, on every path and in every process, is copied into the
player's Redis hash `keys.rg` (server/money/lua/_loss_limit.lua reads it inside the stake
scripts): the end of a running exclusion and the loss limits in force. `sync` rewrites that
copy from SQL after every change, when a play session opens and when the server reads the
player's state, so a lost Redis copy comes back before the player can stake through a
session (the net-loss buckets live only in Redis: see docs/operators/responsible-gambling.md).

This module never moves money. Deposit limits are checked by `refuse_deposit`, a rule that
money's deposit seam (server/money/deposit_rules.py) runs inside the deposit's own write
transaction. Changes are events on the stream through the SQL outbox (`LimitChanged`,
`TimedOut`, `SelfExcluded`) and entries of the audit trail (server/audit/trail.py), both
written in the transaction that makes them, so no decision stands without its record.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis

from protocol.errors import ErrorCode, Refused
from server.audit import trail
from server.events import outbox, push
from server.events.catalogue import LimitChanged, RealityCheck, SelfExcluded, TimedOut
from server.money import keys
from server.money.deposit_rules import DepositAttempt
from server.rg import limits
from server.rg.limits import Limit
from server.rg.profiles import Profile
from server.storage.database import Database, Transaction, now_ms

TIME_OUT = "time_out"
SELF_EXCLUSION = "self_exclusion"
HOUR_MS = 3600 * 1000


@dataclass(frozen=True, slots=True)
class Exclusion:
    kind: str  # TIME_OUT or SELF_EXCLUSION
    until_ms: int


def months_later(start_ms: int, months: int) -> int:
    """The same day and time `months` calendar months after `start_ms` (clamped to the
    month's last day), so "6 months" is never shorter than six calendar months."""
    start = datetime.fromtimestamp(start_ms / 1000, UTC)
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return int(start.replace(year=year, month=month, day=day).timestamp() * 1000)


def _actor(player_id: int) -> str:
    return f"player:{player_id}"  # every decision here is the player's own


class ResponsibleGambling:
    def __init__(
        self,
        db: Database,
        redis: aioredis.Redis,
        reality_check_min_s: int = limits.MIN_REALITY_CHECK_SECONDS,
    ) -> None:
        self.db = db
        self.redis = redis
        self.reality_check_min_s = reality_check_min_s

    # -- reading -------------------------------------------------------------------------------
    async def limits(self, player_id: int) -> dict[str, Limit]:
        rows = await self.db.fetchall(
            "SELECT kind, value, pending, pending_value, pending_at FROM rg_limits"
            " WHERE player_id = ?",
            (player_id,),
        )
        return {
            str(r[0]): Limit(str(r[0]), _opt(r[1]), bool(r[2]), _opt(r[3]), _opt(r[4]))
            for r in rows
        }

    async def values(self, player_id: int) -> dict[str, int | None]:
        return {kind: limit.value for kind, limit in (await self.limits(player_id)).items()}

    async def exclusion(self, player_id: int, at_ms: int | None = None) -> Exclusion | None:
        """The exclusion running at `at_ms` (now): the one that ends last."""
        at = now_ms() if at_ms is None else at_ms
        row = await self.db.fetchone(
            "SELECT kind, ends_at FROM rg_exclusions WHERE player_id = ? AND ends_at > ?"
            " ORDER BY ends_at DESC LIMIT 1",
            (player_id, at),
        )
        return Exclusion(str(row[0]), int(row[1])) if row else None

    async def marketing_allowed(self, player_id: int) -> bool:
        """The flag marketing reads: never while a time-out or self-exclusion runs."""
        return await self.exclusion(player_id) is None

    # -- changing ------------------------------------------------------------------------------
    async def set_limit(
        self,
        player_id: int,
        currency: str,
        kind: str,
        value: int | None,
        profile: Profile,
        address: str = "",
    ) -> Limit:
        if not limits.valid(kind, value, self.reality_check_min_s):
            raise Refused(
                ErrorCode.VALIDATION_FAILED,
                f"a limit is one of {', '.join(limits.KINDS)} with a positive integer value"
                f" (session minutes at most {limits.MAX_MINUTES}; reality-check seconds from"
                f" {self.reality_check_min_s} to {limits.MAX_SECONDS}) or null",
                field=kind,
            )
        now = now_ms()
        async with self.db.transaction() as tx:
            current = await _limit_in(tx, player_id, kind)
            after = limits.change(current, value, now, profile.limit_raise_delay_ms)
            await _store(tx, player_id, after, now)
            if after.value != current.value or after.pending != current.pending:
                await trail.record(
                    tx, _actor(player_id), "rg.limit_pending" if after.pending else "rg.limit_set",
                    f"player:{player_id}",
                    "looser: waits for its delay and a confirmation" if after.pending
                    else "stricter or first: applies at once",
                    address,
                    {"kind": kind, "before": current.value, "value": after.value,
                     "pending_value": after.pending_value, "pending_at": after.pending_at,
                     "currency": currency},
                )  # fmt: skip
                await outbox.emit(
                    tx,
                    LimitChanged(
                        id=f"limit:{player_id}:{kind}:{now}", player_id=player_id, at_ms=now,
                        limit=kind if not after.pending else f"{kind}:pending",
                        amount=after.value if not after.pending else after.pending_value,
                        currency=currency,
                    ),
                )  # fmt: skip
        await self.sync(player_id)
        return after

    async def confirm(self, player_id: int, currency: str, kind: str, address: str = "") -> Limit:
        if kind not in limits.KINDS:
            raise Refused(ErrorCode.VALIDATION_FAILED, f"no limit {kind!r}")
        now = now_ms()
        async with self.db.transaction() as tx:
            current = await _limit_in(tx, player_id, kind)
            try:
                after = limits.confirm(current, now)
            except limits.NothingPending as error:
                raise Refused(ErrorCode.NOT_FOUND, str(error)) from None
            except limits.LimitNotDue as error:
                raise Refused(
                    ErrorCode.RG_LIMIT_NOT_DUE, str(error), effective_at_ms=error.effective_at_ms
                ) from None
            await _store(tx, player_id, after, now)
            await trail.record(
                tx, _actor(player_id), "rg.limit_confirmed", f"player:{player_id}",
                "looser value reconfirmed after its delay", address,
                {"kind": kind, "before": current.value, "value": after.value,
                 "currency": currency},
            )  # fmt: skip
            await outbox.emit(
                tx,
                LimitChanged(
                    id=f"limit:{player_id}:{kind}:{now}", player_id=player_id, at_ms=now,
                    limit=kind, amount=after.value, currency=currency,
                ),
            )  # fmt: skip
        await self.sync(player_id)
        return after

    async def exclude(
        self, player_id: int, kind: str, until_ms: int, address: str = ""
    ) -> Exclusion:
        """Start a time-out or self-exclusion ending at `until_ms`; an exclusion never ends
        sooner than one already running. Ends every open play session with a push."""
        now = now_ms()
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT MAX(ends_at) FROM rg_exclusions WHERE player_id = ? AND ends_at > ?",
                (player_id, now),
            )
            running = int(row[0]) if row and row[0] is not None else None
            if running is not None and running >= until_ms:
                raise Refused(
                    ErrorCode.RG_ALREADY_EXCLUDED,
                    "an exclusion already runs past that end; it cannot be shortened",
                    until_ms=running,
                )
            exclusion_id = await tx.insert(
                "INSERT INTO rg_exclusions (player_id, kind, starts_at, ends_at)"
                " VALUES (?, ?, ?, ?)",
                (player_id, kind, now, until_ms),
            )
            event = (
                TimedOut(id=f"time_out:{exclusion_id}", player_id=player_id, at_ms=now,
                         until_ms=until_ms)
                if kind == TIME_OUT
                else SelfExcluded(id=f"self_excluded:{exclusion_id}", player_id=player_id,
                                  at_ms=now, until_ms=until_ms)
            )  # fmt: skip
            await outbox.emit(tx, event)
            await trail.record(
                tx, _actor(player_id), f"rg.{kind}", f"player:{player_id}",
                "the player's own request; no early end", address,
                {"exclusion_id": exclusion_id, "starts_at": now, "until_ms": until_ms},
            )  # fmt: skip
        await self.sync(player_id)
        await push.publish(self.redis, player_id, {"type": "forced_logout", "reason": kind})
        return Exclusion(kind, until_ms)

    async def record_reality_check(
        self,
        player_id: int,
        session_id: str,
        currency: str,
        figures: dict[str, int],
        acknowledged: bool,
    ) -> None:
        """The reality check shown (or acknowledged) on the event stream, through the outbox."""
        now = now_ms()
        state = "ack" if acknowledged else "shown"
        async with self.db.transaction() as tx:
            await outbox.emit(
                tx,
                RealityCheck(
                    id=f"reality_check:{session_id}:{figures['elapsed_ms']}:{state}",
                    player_id=player_id, at_ms=now, elapsed_ms=figures["elapsed_ms"],
                    net=figures["net"], currency=currency, acknowledged=acknowledged,
                ),
            )  # fmt: skip

    # -- enforcing -----------------------------------------------------------------------------
    async def sync(self, player_id: int) -> dict[str, int | None]:
        """Write what the stake scripts enforce (exclusion end, loss limits) to Redis; a
        player with neither has no hash at all, so their stakes cost one EXISTS. Returns the
        limits in force (a play session reads its reality check and time limit here)."""
        values = await self.values(player_id)
        exclusion = await self.exclusion(player_id)
        fields: dict[Any, int] = {
            kind: v for kind in limits.LOSS_KINDS if (v := values.get(kind)) is not None
        }
        if exclusion is not None:
            fields["blocked_until"] = exclusion.until_ms
        key = keys.rg(player_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hdel(key, "blocked_until", *limits.LOSS_KINDS)
            if fields:
                pipe.hset(key, mapping=fields)
            await pipe.execute()
        # The hash stays while it holds buckets (losses still inside a window), so a limit
        # removed and set again counts the losses already made.
        return values

    async def refuse_deposit(self, tx: Transaction, attempt: DepositAttempt) -> Refused | None:
        """Money's deposit seam: record the deposit (gross) and refuse it when it takes any
        window past its limit, or when an exclusion runs. Runs inside the deposit's write
        transaction, after any earlier deposit committed: concurrent deposits cannot pass a
        limit together (SQLite's one writer; PostgreSQL will need the player row locked)."""
        row = await tx.fetchone(
            "SELECT MAX(ends_at) FROM rg_exclusions WHERE player_id = ? AND ends_at > ?",
            (attempt.player_id, attempt.at_ms),
        )
        if row and row[0] is not None:
            return Refused(
                ErrorCode.PLAY_BLOCKED, "no deposits during a time-out or self-exclusion"
            )
        inserted = await tx.insert(
            "INSERT INTO rg_deposits (player_id, reference, amount, created_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (reference) DO NOTHING",
            (attempt.player_id, attempt.reference, attempt.amount, attempt.at_ms),
        )
        if inserted is None:
            return None  # this deposit was counted before (a retry)
        rows = await tx.fetchall(
            "SELECT kind, value FROM rg_limits WHERE player_id = ? AND value IS NOT NULL"
            " AND kind IN (?, ?, ?)",
            (attempt.player_id, *limits.DEPOSIT_KINDS),
        )
        values: dict[str, int | None] = {str(r[0]): int(r[1]) for r in rows}
        for window, span in limits.WINDOW_MS.items():
            limit = limits.lowest(values, "deposit", window)
            if limit is None:
                continue
            total_row = await tx.fetchone(
                "SELECT COALESCE(SUM(amount), 0) FROM rg_deposits WHERE player_id = ?"
                " AND created_at > ?",
                (attempt.player_id, attempt.at_ms - span),
            )
            total = int(total_row[0]) if total_row else attempt.amount
            if total > limit:
                return Refused(
                    ErrorCode.DEPOSIT_LIMIT_REACHED,
                    f"deposits are limited to {limit} per {window}",
                    window=window,
                    limit=limit,
                    remaining=max(limit - total + attempt.amount, 0),
                    params={
                        "variant": window,  # 24h, 7d or 30d: the sentence names the period
                        "limit": limit,
                        "remaining": max(limit - total + attempt.amount, 0),
                        "currency": attempt.currency,
                    },
                )
        return None

    async def first_deposit(self, player_id: int) -> bool:
        """Has this player asked for exactly one deposit so far (the limit prompt's moment)?"""
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM rg_deposits WHERE player_id = ?", (player_id,)
        )
        return row is not None and int(row[0]) == 1

    async def limit_prompt(self, player_id: int, profile: Profile) -> bool:
        """Should the deposit reply ask the player to set a deposit limit? Once, at the first
        deposit, where the profile asks for it and the player has none yet."""
        if not profile.limit_prompt_at_first_deposit or not await self.first_deposit(player_id):
            return False
        return not await self.has_deposit_limit(player_id)

    async def has_deposit_limit(self, player_id: int) -> bool:
        values = await self.values(player_id)
        return any(values.get(kind) is not None for kind in limits.DEPOSIT_KINDS)


async def _limit_in(tx: Transaction, player_id: int, kind: str) -> Limit:
    row = await tx.fetchone(
        "SELECT value, pending, pending_value, pending_at FROM rg_limits"
        " WHERE player_id = ? AND kind = ?",
        (player_id, kind),
    )
    if row is None:
        return Limit(kind, None)
    return Limit(kind, _opt(row[0]), bool(row[1]), _opt(row[2]), _opt(row[3]))


async def _store(tx: Transaction, player_id: int, limit: Limit, now: int) -> None:
    await tx.execute(
        "INSERT INTO rg_limits (player_id, kind, value, pending, pending_value, pending_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (player_id, kind) DO UPDATE SET"
        " value = excluded.value, pending = excluded.pending,"
        " pending_value = excluded.pending_value, pending_at = excluded.pending_at,"
        " updated_at = excluded.updated_at",
        (
            player_id, limit.kind, limit.value, int(limit.pending), limit.pending_value,
            limit.pending_at, now,
        ),
    )  # fmt: skip


def _opt(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]
