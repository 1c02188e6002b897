"""Four eyes where money moves by hand: a manual balance adjustment, and the approval of a
withdrawal above the configured threshold, are proposed by one staff member and approved
by another; the proposer can never approve their own proposal (FOUR_EYES_REQUIRED).

An adjustment is proposed with its signed amount, a reason and an idempotency key (the same
key with the same terms answers the same proposal; with others, IDEMPOTENCY_CONFLICT). Its
approval is recorded first (pending -> approved, on the audit trail), then moved by money
(server/money/adjustments.py: Lua, keyed by the proposal, so approving again after a crash
moves it once) and marked applied; a debit the cash no longer covers leaves it `failed`
with INSUFFICIENT_FUNDS and nothing moved.

A withdrawal above CASINO_WITHDRAWAL_APPROVAL_ABOVE meets `hold_withdrawal`, the last of the
withdrawal rules: the first request is held (WITHDRAWAL_APPROVAL_REQUIRED, nothing moved)
as a proposal of status `held`, and asking again for the same amount answers the same
proposal; a staff member proposes its approval, another approves it, and the player's next
withdrawal of that amount goes through, using the approval up. The retry of a rejected
request (the same idempotency key) is refused with WITHDRAWAL_REFUSED. Every step is on the
audit trail with who, from where and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import rng
from protocol.errors import ErrorCode, Refused
from server.audit import trail
from server.money.adjustments import Adjustments
from server.money.scripts import ScriptStatus
from server.payments.rules import WithdrawalRequest
from server.staff.accounts import StaffMember
from server.storage.database import Database, Row, now_ms

MAX_AMOUNT = 10**12
HOLD_ACTOR = "rule:withdrawal_approval"
STATUSES = ("held", "pending", "approved", "rejected", "failed")
_COLUMNS = (
    "id, kind, player_id, currency, amount, status, reason, proposed_by, proposed_at,"
    " decided_by, decided_at, decided_reason, applied_at, created_at"
)


@dataclass(frozen=True, slots=True)
class Proposal:
    id: int
    kind: str  # adjustment | withdrawal
    player_id: int
    currency: str
    amount: int
    status: str
    reason: str
    proposed_by: str | None
    proposed_at: int | None
    decided_by: str | None
    decided_at: int | None
    decided_reason: str | None
    applied_at: int | None
    created_at: int

    def public(self) -> dict[str, Any]:
        return {
            "proposal_id": self.id, "kind": self.kind, "player_id": self.player_id,
            "currency": self.currency, "amount": self.amount, "status": self.status,
            "reason": self.reason, "proposed_by": self.proposed_by,
            "proposed_at": self.proposed_at, "decided_by": self.decided_by,
            "decided_at": self.decided_at, "decided_reason": self.decided_reason,
            "applied_at": self.applied_at, "created_at": self.created_at,
        }  # fmt: skip


def _proposal(row: Row) -> Proposal:
    def opt_int(value: Any) -> int | None:
        return None if value is None else int(value)

    def opt_str(value: Any) -> str | None:
        return None if value is None else str(value)

    return Proposal(
        int(row[0]), str(row[1]), int(row[2]), str(row[3]), int(row[4]), str(row[5]),
        str(row[6]), opt_str(row[7]), opt_int(row[8]), opt_str(row[9]), opt_int(row[10]),
        opt_str(row[11]), opt_int(row[12]), int(row[13]),
    )  # fmt: skip


def _not_pending(proposal: Proposal, wanted: str) -> Refused:
    return Refused(
        ErrorCode.PROPOSAL_NOT_PENDING,
        f"proposal {proposal.id} is {proposal.status}, not {wanted}",
        status=proposal.status,
    )


class FourEyes:
    def __init__(self, db: Database, adjustments: Adjustments, threshold: int) -> None:
        self.db = db
        self.adjustments = adjustments
        self.threshold = threshold  # withdrawals above it wait for approval; 0: none do

    async def get(self, proposal_id: int) -> Proposal:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM staff_proposals WHERE id = ?",  # noqa: S608
            (proposal_id,),
        )
        if row is None:
            raise Refused(ErrorCode.NOT_FOUND, f"no proposal {proposal_id}")
        return _proposal(row)

    async def listing(self, status: str | None, limit: int) -> list[Proposal]:
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM staff_proposals"  # noqa: S608
            " WHERE (CAST(? AS TEXT) IS NULL OR status = ?) ORDER BY id LIMIT ?",
            (status, status, limit),
        )
        return [_proposal(row) for row in rows]

    # Adjustments ---------------------------------------------------------------------------
    async def propose_adjustment(
        self, member: StaffMember, player_id: int, amount: int, reason: str, key: str,
        address: str,
    ) -> tuple[Proposal, bool]:  # fmt: skip
        """The proposal (new: True; the same key and terms again: False)."""
        if amount == 0 or abs(amount) > MAX_AMOUNT:
            raise Refused(
                ErrorCode.INVALID_AMOUNT,
                f"amount is a non-zero integer in minor units, at most {MAX_AMOUNT} either way",
            )
        async with self.db.transaction() as tx:
            player = await tx.fetchone("SELECT currency FROM players WHERE id = ?", (player_id,))
            if player is None:
                raise Refused(ErrorCode.NOT_FOUND, f"no player {player_id}")
            currency, at = str(player[0]), now_ms()
            new_id = await tx.insert(
                "INSERT INTO staff_proposals (kind, player_id, currency, amount,"
                " idempotency_key, status, reason, created_at, proposed_by, proposed_at)"
                " VALUES ('adjustment', ?, ?, ?, ?, 'pending', ?, ?, ?, ?)"
                " ON CONFLICT (kind, idempotency_key) DO NOTHING",
                (player_id, currency, amount, key, reason, at, member.name, at),
            )
            if new_id is not None:
                await trail.record(
                    tx, member.actor, "adjustment_proposed", f"player:{player_id}", reason,
                    address, {"proposal_id": new_id, "amount": amount, "currency": currency},
                )  # fmt: skip
        if new_id is None:
            row = await self.db.fetchone(
                "SELECT id, player_id, amount, reason FROM staff_proposals"
                " WHERE kind = 'adjustment' AND idempotency_key = ?",
                (key,),
            )
            assert row is not None
            if (int(row[1]), int(row[2]), str(row[3])) != (player_id, amount, reason):
                raise Refused(
                    ErrorCode.IDEMPOTENCY_CONFLICT, "this key proposed another adjustment"
                )
            return await self.get(int(row[0])), False
        return await self.get(new_id), True

    # Withdrawals ---------------------------------------------------------------------------
    async def hold_withdrawal(self, request: WithdrawalRequest) -> Refused | None:
        """The withdrawal rule (the last one): above the threshold, only an approved
        withdrawal passes. An approval is for one withdrawal of its player, amount and
        currency, whatever its idempotency key (a browser sends a new one each time): the
        first such withdrawal that reaches this rule uses it up (`applied_at`)."""
        if not self.threshold or request.amount <= self.threshold:
            return None
        terms = (request.player_id, request.amount, request.currency)
        async with self.db.transaction() as tx:
            rejected = await tx.fetchone(
                "SELECT id FROM staff_proposals WHERE kind = 'withdrawal' AND player_id = ?"
                " AND withdrawal_key = ? AND status = 'rejected'",
                (request.player_id, request.key),
            )
            if rejected is not None:
                return Refused(
                    ErrorCode.WITHDRAWAL_REFUSED, "staff did not approve this withdrawal",
                    proposal_id=int(rejected[0]),
                )  # fmt: skip
            row = await tx.fetchone(
                "SELECT id, status FROM staff_proposals WHERE kind = 'withdrawal'"
                " AND player_id = ? AND amount = ? AND currency = ? AND applied_at IS NULL"
                " AND status IN ('held', 'pending', 'approved') ORDER BY id LIMIT 1",
                terms,
            )
            if row is not None and str(row[1]) == "approved":
                await tx.execute(
                    "UPDATE staff_proposals SET applied_at = ?, withdrawal_key = ? WHERE id = ?",
                    (now_ms(), request.key, int(row[0])),
                )
                return None
            if row is not None:
                proposal_id, status = int(row[0]), str(row[1])
            else:
                new_id = await tx.insert(
                    "INSERT INTO staff_proposals (kind, player_id, currency, amount,"
                    " idempotency_key, withdrawal_key, status, created_at)"
                    " VALUES ('withdrawal', ?, ?, ?, ?, ?, 'held', ?)",
                    (request.player_id, request.currency, request.amount,
                     rng.token_urlsafe(16), request.key, now_ms()),
                )  # fmt: skip
                assert new_id is not None
                proposal_id, status = new_id, "held"
                await trail.record(
                    tx, HOLD_ACTOR, "withdrawal_held", f"player:{request.player_id}",
                    f"above {self.threshold}", "",
                    {"proposal_id": proposal_id, "amount": request.amount,
                     "currency": request.currency},
                )  # fmt: skip
        return Refused(
            ErrorCode.WITHDRAWAL_APPROVAL_REQUIRED,
            f"withdrawals above {self.threshold} wait for staff approval; withdraw the same"
            " amount again once it is approved",
            proposal_id=proposal_id, status=status,
        )  # fmt: skip

    async def propose_withdrawal(
        self, member: StaffMember, proposal_id: int, reason: str, address: str
    ) -> Proposal:
        """A held withdrawal's approval, proposed by `member` (another must approve it)."""
        proposal = await self.get(proposal_id)
        async with self.db.transaction() as tx:
            at = now_ms()
            moved = await tx.execute(
                "UPDATE staff_proposals SET status = 'pending', reason = ?, proposed_by = ?,"
                " proposed_at = ? WHERE id = ? AND kind = 'withdrawal' AND status = 'held'",
                (reason, member.name, at, proposal_id),
            )
            if not moved:
                raise _not_pending(proposal, "a held withdrawal")
            await trail.record(
                tx, member.actor, "withdrawal_approval_proposed",
                f"player:{proposal.player_id}", reason, address, {"proposal_id": proposal_id},
            )  # fmt: skip
        return await self.get(proposal_id)

    # Decisions -----------------------------------------------------------------------------
    async def approve(
        self, member: StaffMember, proposal_id: int, reason: str, address: str
    ) -> Proposal:
        proposal = await self.get(proposal_id)
        if proposal.proposed_by is not None and (
            proposal.proposed_by.lower() == member.name.lower()
        ):
            raise Refused(
                ErrorCode.FOUR_EYES_REQUIRED,
                "the staff member who proposed this cannot approve it: another must",
            )
        retry = proposal.status == "approved" and proposal.kind == "adjustment"
        if proposal.status != "pending" and not (retry and proposal.applied_at is None):
            raise _not_pending(proposal, "pending")
        if proposal.status == "pending":
            async with self.db.transaction() as tx:
                decided = await tx.execute(
                    "UPDATE staff_proposals SET status = 'approved', decided_by = ?,"
                    " decided_at = ?, decided_reason = ? WHERE id = ? AND status = 'pending'",
                    (member.name, now_ms(), reason, proposal_id),
                )
                if decided:
                    await trail.record(
                        tx, member.actor, f"{proposal.kind}_approved",
                        f"player:{proposal.player_id}", reason, address,
                        {"proposal_id": proposal_id, "amount": proposal.amount,
                         "currency": proposal.currency, "proposed_by": proposal.proposed_by},
                    )  # fmt: skip
            if not decided:
                raise _not_pending(await self.get(proposal_id), "pending")
        if proposal.kind == "adjustment":
            await self._apply(member, proposal, address)
        return await self.get(proposal_id)

    async def _apply(self, member: StaffMember, proposal: Proposal, address: str) -> None:
        reply = await self.adjustments.apply(
            proposal.id, proposal.player_id, proposal.currency, proposal.amount
        )
        async with self.db.transaction() as tx:
            if reply.status in (ScriptStatus.OK, ScriptStatus.ALREADY):
                await tx.execute(
                    "UPDATE staff_proposals SET applied_at = ? WHERE id = ? AND applied_at IS NULL",
                    (now_ms(), proposal.id),
                )
                return
            await tx.execute(
                "UPDATE staff_proposals SET status = 'failed' WHERE id = ?", (proposal.id,)
            )
            await trail.record(
                tx, member.actor, "adjustment_failed", f"player:{proposal.player_id}",
                "the cash does not cover the debit", address,
                {"proposal_id": proposal.id, "cash": reply.integer("cash")},
            )  # fmt: skip
        raise Refused(
            ErrorCode.INSUFFICIENT_FUNDS,
            "the player's cash does not cover the debit; nothing was moved",
            balance=reply.integer("cash"),
        )

    async def reject(
        self, member: StaffMember, proposal_id: int, reason: str, address: str
    ) -> Proposal:
        proposal = await self.get(proposal_id)
        async with self.db.transaction() as tx:
            decided = await tx.execute(
                "UPDATE staff_proposals SET status = 'rejected', decided_by = ?,"
                " decided_at = ?, decided_reason = ? WHERE id = ?"
                " AND status IN ('held', 'pending')",
                (member.name, now_ms(), reason, proposal_id),
            )
            if not decided:
                raise _not_pending(proposal, "held or pending")
            await trail.record(
                tx, member.actor, f"{proposal.kind}_rejected", f"player:{proposal.player_id}",
                reason, address, {"proposal_id": proposal_id},
            )  # fmt: skip
        return await self.get(proposal_id)
