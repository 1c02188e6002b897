"""Risk alerts: raised by a rule's hit, assigned to and resolved by staff.

An alert is a row of `risk_alerts`, at most one open per player and rule (the unique index
decides: a rule firing again, the same event delivered twice, or two monitors at once raise
one alert). Its `action` applies from the moment it is written: `flag` only asks staff to
look, `require_kyc` makes withdrawals and deposits above the KYC threshold need the alert's
`kyc_level` until the player reaches it (`kyc_requirement`, read by the KYC rules the wiring
composes), `hold_withdrawals` refuses withdrawals (`withdrawal_rule`), `block_bonuses`
refuses bonus claims and keeps awards from being granted while it is open (`bonus_rule`),
`restrict` also restricts the account, `lock` disables it; a restricting action also ends
the player's open play sessions at once (a `forced_logout` push), not at the next login.
Staff resolve an alert as `dismissed` (a false positive: its action lifts) or `confirmed`
(the suspicion stands: a hold or a KYC requirement stays, the account stays as it is; a
bonus block lifts with any resolution, as staff have then looked). Raising emits a
`RiskAlerted` event and appends an audit entry, resolving appends one, each in the
transaction that writes the alert.

Account status belongs to accounts: the change goes through `AccountStatus`, which the
wiring fills with `Accounts.set_status`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from protocol.errors import ErrorCode, Refused
from server.audit import trail
from server.events import outbox, push
from server.events.catalogue import RiskAlerted
from server.risk.rules import Hit
from server.storage.database import Database, Row, Transaction, now_ms

# (player id, status, reason): sets `players.status` (active, restricted, disabled).
AccountStatus = Callable[[int, str, str], Awaitable[None]]

HOLDING = ("hold_withdrawals", "restrict", "lock")  # actions that refuse a withdrawal
STATUS_OF = {"restrict": "restricted", "lock": "disabled"}
OUTCOMES = ("dismissed", "confirmed")
STATUSES = ("open", *OUTCOMES)

SELECT = (
    "SELECT id, player_id, rule, severity, action, status, evidence, event_ids, raised_at,"
    " assignee, resolved_at, resolved_by, resolved_reason, kyc_level FROM risk_alerts"
)


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    player_id: int
    rule: str
    severity: str
    action: str
    status: str
    evidence: dict[str, Any]
    event_ids: list[str]
    raised_at: int
    assignee: str | None
    resolved_at: int | None
    resolved_by: str | None
    resolved_reason: str | None
    kyc_level: int | None = None

    def public(self) -> dict[str, Any]:
        """The staff API's view."""
        return {
            "id": self.id, "player_id": self.player_id, "rule": self.rule,
            "severity": self.severity, "action": self.action, "status": self.status,
            "evidence": self.evidence, "event_ids": self.event_ids, "raised_at": self.raised_at,
            "assignee": self.assignee, "resolved_at": self.resolved_at,
            "resolved_by": self.resolved_by, "resolved_reason": self.resolved_reason,
            "kyc_level": self.kyc_level,
        }  # fmt: skip


def _alert(row: Row) -> Alert:
    return Alert(
        int(row[0]), int(row[1]), str(row[2]), str(row[3]), str(row[4]), str(row[5]),
        json.loads(str(row[6])), json.loads(str(row[7])), int(row[8]), row[9], row[10],
        row[11], row[12], None if row[13] is None else int(row[13]),
    )  # fmt: skip


async def raise_alert(db: Database, hit: Hit) -> Alert | None:
    """Record a hit as an open alert, with its event and audit entry; None when the rule has
    an open alert on the player already."""
    now = now_ms()
    async with db.transaction() as tx:
        alert_id = await tx.insert(
            "INSERT INTO risk_alerts (player_id, rule, severity, action, status, evidence,"
            " event_ids, raised_at, kyc_level) VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?)"
            " ON CONFLICT (player_id, rule) WHERE status = 'open' DO NOTHING",
            (
                hit.player_id, hit.rule, hit.severity, hit.action,
                json.dumps(hit.evidence, sort_keys=True), json.dumps(list(hit.event_ids)), now,
                hit.kyc_level,
            ),
        )  # fmt: skip
        if alert_id is None:
            return None
        await outbox.emit(
            tx,
            RiskAlerted(
                id=f"risk_alert:{alert_id}", player_id=hit.player_id, at_ms=now,
                alert_id=alert_id, rule=hit.rule, severity=hit.severity, action=hit.action,
            ),
        )  # fmt: skip
        await trail.record(
            tx, f"rule:{hit.rule}", "risk_alert_raised", f"player:{hit.player_id}",
            f"{hit.severity} {hit.rule}", "",
            {"alert_id": alert_id, "action": hit.action, "events": list(hit.event_ids),
             "kyc_level": hit.kyc_level},
        )  # fmt: skip
    return await get(db, alert_id)


async def apply_action(
    alert: Alert, set_status: AccountStatus | None, client: aioredis.Redis | None
) -> None:
    """What a new alert's action does beyond the alert: restrict or lock the account, and end
    the player's open play sessions now (a hold is read by `withdrawal_rule` as it is)."""
    status = STATUS_OF.get(alert.action)
    if status is None:
        return
    if set_status is not None:
        await set_status(alert.player_id, status, f"risk:{alert.rule}")
    if client is not None:
        await push.publish(client, alert.player_id, {"type": "forced_logout", "reason": "risk"})


async def assign(
    db: Database, alert_id: int, assignee: str, staff: str, address: str = ""
) -> Alert:
    assignee = " ".join(assignee.split())
    if not assignee:
        raise Refused(ErrorCode.VALIDATION_FAILED, "an assignee is required", field="assignee")
    async with db.transaction() as tx:
        alert = await _open(tx, alert_id)
        await tx.execute("UPDATE risk_alerts SET assignee = ? WHERE id = ?", (assignee, alert_id))
        await trail.record(
            tx, f"staff:{staff}", "risk_alert_assigned", f"player:{alert.player_id}",
            f"assigned to {assignee}", address, {"alert_id": alert_id, "rule": alert.rule},
        )  # fmt: skip
    found = await get(db, alert_id)
    assert found is not None
    return found


async def resolve(
    db: Database,
    alert_id: int,
    outcome: str,
    staff: str,
    reason: str,
    address: str = "",
    set_status: AccountStatus | None = None,
) -> Alert:
    """Staff's decision on an open alert, with the reason kept in the audit trail:
    `dismissed` lifts its action (the account back to active when no other open alert
    restricts it), `confirmed` keeps it."""
    if outcome not in OUTCOMES:
        raise Refused(
            ErrorCode.VALIDATION_FAILED, f"outcome is one of {', '.join(OUTCOMES)}", field="outcome"
        )
    reason = " ".join(reason.split())
    if not reason:
        raise Refused(ErrorCode.VALIDATION_FAILED, "a reason is required", field="reason")
    async with db.transaction() as tx:
        alert = await _open(tx, alert_id)
        await tx.execute(
            "UPDATE risk_alerts SET status = ?, resolved_at = ?, resolved_by = ?,"
            " resolved_reason = ? WHERE id = ? AND status = 'open'",
            (outcome, now_ms(), staff, reason, alert_id),
        )
        await trail.record(
            tx, f"staff:{staff}", f"risk_alert_{outcome}", f"player:{alert.player_id}", reason,
            address, {"alert_id": alert_id, "rule": alert.rule, "action": alert.action},
        )  # fmt: skip
        still = await tx.fetchone(
            "SELECT COUNT(*) FROM risk_alerts WHERE player_id = ? AND status = 'open'"
            " AND action IN ('restrict', 'lock')",
            (alert.player_id,),
        )
    lifts = outcome == "dismissed" and alert.action in STATUS_OF and not (still and int(still[0]))
    if lifts and set_status is not None:
        await set_status(alert.player_id, "active", f"risk:{alert.rule}:dismissed")
    found = await get(db, alert_id)
    assert found is not None
    return found


async def _open(tx: Transaction, alert_id: int) -> Alert:
    row = await tx.fetchone(SELECT + " WHERE id = ?", (alert_id,))
    if row is None:
        raise Refused(ErrorCode.NOT_FOUND, f"no risk alert {alert_id}")
    alert = _alert(row)
    if alert.status != "open":
        raise Refused(
            ErrorCode.RISK_ALERT_RESOLVED, f"risk alert {alert_id} is already {alert.status}"
        )
    return alert


async def get(db: Database, alert_id: int) -> Alert | None:
    row = await db.fetchone(SELECT + " WHERE id = ?", (alert_id,))
    return _alert(row) if row else None


async def listing(
    db: Database,
    status: str | None = "open",
    rule: str | None = None,
    player_id: int | None = None,
    assignee: str | None = None,
    limit: int = 100,
) -> list[Alert]:
    """Alerts, oldest first, filtered by whichever of status, rule, player and assignee are
    given."""
    # A filter left as None matches every row; the statement stays one static text. The
    # CASTs: PostgreSQL cannot tell the type of a placeholder that is only tested for NULL.
    rows = await db.fetchall(
        SELECT + " WHERE (CAST(? AS TEXT) IS NULL OR status = ?)"
        " AND (CAST(? AS TEXT) IS NULL OR rule = ?)"
        " AND (CAST(? AS BIGINT) IS NULL OR player_id = ?)"
        " AND (CAST(? AS TEXT) IS NULL OR assignee = ?)"
        " ORDER BY id LIMIT ?",
        (status, status, rule, rule, player_id, player_id, assignee, assignee, limit),
    )
    return [_alert(row) for row in rows]


async def holding(db: Database, player_id: int) -> Alert | None:
    """The first alert that holds the player's withdrawals: open or confirmed, with a holding
    action."""
    row = await db.fetchone(
        SELECT + " WHERE player_id = ? AND status IN ('open', 'confirmed')"
        " AND action IN ('hold_withdrawals', 'restrict', 'lock') ORDER BY id LIMIT 1",
        (player_id,),
    )
    return _alert(row) if row else None


def withdrawal_rule(db: Database) -> Callable[[Any], Awaitable[Refused | None]]:
    """The withdrawal rule the wiring appends: refuses while an alert holds withdrawals."""

    async def rule(request: Any) -> Refused | None:
        alert = await holding(db, int(request.player_id))
        if alert is None:
            return None
        return Refused(
            ErrorCode.RISK_REVIEW_REQUIRED,
            "withdrawals are held while staff review a fraud alert",
            alert_id=alert.id,
        )

    return rule


async def kyc_requirement(db: Database | Transaction, player_id: int) -> Alert | None:
    """The open or confirmed `require_kyc` alert asking the most of the player, if any: the
    KYC rules compare its `kyc_level` with the player's own (risk never reads KYC's tables)."""
    row = await db.fetchone(
        SELECT + " WHERE player_id = ? AND status IN ('open', 'confirmed')"
        " AND action = 'require_kyc' ORDER BY kyc_level DESC, id LIMIT 1",
        (player_id,),
    )
    return _alert(row) if row else None


async def bonus_block(db: Database, player_id: int) -> Alert | None:
    """The first open alert that blocks the player's bonuses."""
    row = await db.fetchone(
        SELECT + " WHERE player_id = ? AND status = 'open' AND action = 'block_bonuses'"
        " ORDER BY id LIMIT 1",
        (player_id,),
    )
    return _alert(row) if row else None


def bonus_rule(db: Database) -> Callable[[int], Awaitable[Refused | None]]:
    """The bonus engine's seam (`Bonuses.bonus_block`): refuses claims and automatic awards
    while an open alert blocks bonuses."""

    async def rule(player_id: int) -> Refused | None:
        alert = await bonus_block(db, player_id)
        if alert is None:
            return None
        return Refused(
            ErrorCode.BONUSES_BLOCKED,
            "bonuses are paused while staff review a fraud alert",
            alert_id=alert.id,
        )

    return rule
