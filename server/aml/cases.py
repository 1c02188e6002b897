"""AML cases: opened by a rule or a screening hit, closed by staff (cleared or confirmed).

A case is a row of `aml_cases`, at most one open per player and rule (the unique index
decides, so a rule firing twice, or in two processes at once, opens one case). While open
its `action` applies: `flag` only asks staff to look, `hold_withdrawals` refuses
withdrawals (server/aml/withdrawals.py), `restrict` also restricts the account, `close`
(customer due diligence failed) ends the relationship. Staff close a case as `cleared`
(nothing wrong: the hold lifts) or `confirmed` (the suspicion stands: the account is
closed; its funds may go back only to where they came from). Every opening and closing
emits an event through the outbox and appends an audit entry, both in the transaction
that writes the case.

Account status belongs to accounts: the change goes through `AccountStatus`, which the
wiring fills with `Accounts.set_status`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from protocol.errors import ErrorCode, Refused
from server.audit import trail
from server.events import outbox
from server.events.catalogue import AmlCaseClosed, AmlCaseOpened
from server.storage.database import Database, Row, Transaction, now_ms

# (player id, status, reason): sets `players.status` (active, restricted, disabled).
AccountStatus = Callable[[int, str, str], Awaitable[None]]

HOLDING = ("hold_withdrawals", "restrict", "close")  # actions that refuse a withdrawal
CDD = "cdd"  # the rule name of customer due diligence's case
SANCTIONS = "sanctions"
OUTCOMES = ("cleared", "confirmed")

SELECT = (
    "SELECT id, player_id, rule, action, status, reason, details, opened_at, closed_at,"
    " closed_by, closed_reason FROM aml_cases"
)


@dataclass(frozen=True, slots=True)
class Case:
    id: int
    player_id: int
    rule: str
    action: str
    status: str  # open, cleared, confirmed
    reason: str
    details: dict[str, Any]
    opened_at: int
    closed_at: int | None
    closed_by: str | None
    closed_reason: str | None


def _case(row: Row) -> Case:
    return Case(
        int(row[0]), int(row[1]), str(row[2]), str(row[3]), str(row[4]), str(row[5]),
        json.loads(str(row[6])), int(row[7]), row[8], row[9], row[10],
    )  # fmt: skip


async def open_case(
    db: Database,
    player_id: int,
    rule: str,
    action: str,
    reason: str,
    details: dict[str, Any],
    set_status: AccountStatus | None = None,
) -> Case | None:
    """Open a case (with its event and audit entry); None when one is open already."""
    now = now_ms()
    async with db.transaction() as tx:
        case_id = await tx.insert(
            "INSERT INTO aml_cases (player_id, rule, action, status, reason, details, opened_at)"
            " VALUES (?, ?, ?, 'open', ?, ?, ?)"
            " ON CONFLICT (player_id, rule) WHERE status = 'open' DO NOTHING",
            (player_id, rule, action, reason, json.dumps(details, sort_keys=True), now),
        )
        if case_id is None:
            return None
        await outbox.emit(
            tx,
            AmlCaseOpened(
                id=f"aml_case:{case_id}:opened", player_id=player_id, at_ms=now,
                case_id=case_id, rule=rule, action=action, reason=reason,
            ),
        )  # fmt: skip
        await trail.record(
            tx, f"rule:{rule}", "aml_case_opened", f"player:{player_id}", reason, "",
            {"case_id": case_id, "action": action, **details},
        )  # fmt: skip
    if action in ("restrict", "close") and set_status is not None:
        await set_status(player_id, "restricted" if action == "restrict" else "disabled",
                         f"aml:{rule}")  # fmt: skip
    return await get(db, case_id)


async def close_case(
    db: Database,
    case_id: int,
    outcome: str,
    staff: str,
    reason: str,
    address: str = "",
    set_status: AccountStatus | None = None,
) -> Case:
    """Staff's decision on an open case: `cleared` lifts its action, `confirmed` closes the
    account. Refused (NOT_FOUND, AML_CASE_CLOSED) when there is no open case of that id."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome is one of {', '.join(OUTCOMES)}")
    if not reason.strip():
        raise Refused(ErrorCode.VALIDATION_FAILED, "a reason is required", field="reason")
    now = now_ms()
    async with db.transaction() as tx:
        row = await tx.fetchone(SELECT + " WHERE id = ?", (case_id,))
        if row is None:
            raise Refused(ErrorCode.NOT_FOUND, f"no AML case {case_id}")
        case = _case(row)
        changed = await tx.execute(
            "UPDATE aml_cases SET status = ?, closed_at = ?, closed_by = ?, closed_reason = ?"
            " WHERE id = ? AND status = 'open'",
            (outcome, now, staff, reason, case_id),
        )
        if not changed:
            raise Refused(ErrorCode.AML_CASE_CLOSED, f"AML case {case_id} is already {case.status}")
        await outbox.emit(
            tx,
            AmlCaseClosed(
                id=f"aml_case:{case_id}:closed", player_id=case.player_id, at_ms=now,
                case_id=case_id, rule=case.rule, outcome=outcome, reason=reason,  # type: ignore[arg-type]
            ),
        )  # fmt: skip
        await trail.record(
            tx, f"staff:{staff}", f"aml_case_{outcome}", f"player:{case.player_id}", reason,
            address, {"case_id": case_id, "rule": case.rule, "action": case.action},
        )  # fmt: skip
        still_held = await _restricting(tx, case.player_id)
    if set_status is not None:
        if outcome == "confirmed":
            await set_status(case.player_id, "disabled", f"aml:{case.rule}:confirmed")
        elif case.action in ("restrict", "close") and not still_held:
            await set_status(case.player_id, "active", f"aml:{case.rule}:cleared")
    closed = await get(db, case_id)
    assert closed is not None
    return closed


async def _restricting(tx: Transaction, player_id: int) -> bool:
    row = await tx.fetchone(
        "SELECT COUNT(*) FROM aml_cases WHERE player_id = ? AND status = 'open'"
        " AND action IN ('restrict', 'close')",
        (player_id,),
    )
    return bool(row and int(row[0]))


async def get(db: Database, case_id: int) -> Case | None:
    row = await db.fetchone(SELECT + " WHERE id = ?", (case_id,))
    return _case(row) if row else None


async def of_player(db: Database, player_id: int, status: str | None = None) -> list[Case]:
    if status is None:
        rows = await db.fetchall(SELECT + " WHERE player_id = ? ORDER BY id", (player_id,))
    else:
        rows = await db.fetchall(
            SELECT + " WHERE player_id = ? AND status = ? ORDER BY id", (player_id, status)
        )
    return [_case(row) for row in rows]


async def listing(db: Database, status: str = "open", limit: int = 100) -> list[Case]:
    rows = await db.fetchall(SELECT + " WHERE status = ? ORDER BY id LIMIT ?", (status, limit))
    return [_case(row) for row in rows]


async def holding(db: Database, player_id: int, winding_up: bool = False) -> Case | None:
    """The first case that holds the player's withdrawals, if any: a confirmed case (other
    than failed due diligence, which the closed loop governs) freezes them for good; an open
    one with a holding action holds them until staff decide, unless the relationship is
    being wound up (`winding_up`: due diligence failed, the funds go back to their origin)."""
    for case in await of_player(db, player_id):
        if case.status == "confirmed" and case.rule != CDD:
            return case
        if case.status == "open" and case.action in HOLDING and not winding_up:
            return case
    return None


async def cdd_failed(db: Database, player_id: int) -> bool:
    """Whether staff confirmed that customer due diligence failed: the relationship ended."""
    row = await db.fetchone(
        "SELECT 1 FROM aml_cases WHERE player_id = ? AND rule = ? AND status = 'confirmed'",
        (player_id, CDD),
    )
    return row is not None


async def last_cleared(db: Database, player_id: int) -> dict[str, int]:
    """Rule -> when staff last cleared one of its cases for the player (ms)."""
    rows = await db.fetchall(
        "SELECT rule, MAX(closed_at) FROM aml_cases WHERE player_id = ? AND status = 'cleared'"
        " GROUP BY rule",
        (player_id,),
    )
    return {str(rule): int(at) for rule, at in rows}
