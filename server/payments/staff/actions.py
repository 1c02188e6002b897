"""What staff do to payments, one home for the command line (server/payments/admin.py) and
the staff HTTP API (routes.py here): read disputes and what a player owes, submit a
dispute's evidence, refund a deposit. Each action that changes something is recorded in
the audit trail with the staff's reason once it has happened; a refused action changes
nothing and records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol.errors import ErrorCode, Refused
from server.audit import trail
from server.payments.disputes import Dispute
from server.payments.gateway import GatewayRefused, GatewayUnavailable
from server.payments.service import Payments, Receipt

MAX_EVIDENCE = 4000


@dataclass(frozen=True, slots=True)
class Staff:
    """Who acts (`actor`, e.g. "staff" until staff log in) and from where (`address`)."""

    actor: str
    address: str = ""


async def owed(payments: Payments, disputes: list[Dispute]) -> dict[str, int]:
    """currency -> what the disputes' player still owes after later deposits repaid some."""
    found: dict[str, int] = {}
    for dispute in disputes:
        if dispute.currency not in found:
            found[dispute.currency] = await payments.disputes.debt(
                dispute.player_id, dispute.currency
            )
    return found


async def submit_evidence(
    payments: Payments, staff: Staff, dispute_id: int, text: str, reason: str
) -> tuple[Dispute, str]:
    """The dispute and the gateway's status after the evidence (its outcome comes later, by
    webhook). NOT_FOUND, VALIDATION_FAILED, EVIDENCE_REFUSED or GATEWAY_UNAVAILABLE else."""
    dispute = await payments.disputes.get(dispute_id)
    if dispute is None:
        raise Refused(ErrorCode.NOT_FOUND, "no such dispute")
    text = text.strip()
    if not 1 <= len(text) <= MAX_EVIDENCE:
        raise Refused(
            ErrorCode.VALIDATION_FAILED, f"text is 1-{MAX_EVIDENCE} characters", field="text"
        )
    try:
        answer = await payments.gateway.submit_evidence(dispute.gateway_dispute_id, text)
    except GatewayRefused as refused:
        raise Refused(ErrorCode.EVIDENCE_REFUSED, refused.reason) from None
    except GatewayUnavailable:
        raise Refused(ErrorCode.GATEWAY_UNAVAILABLE, "the gateway did not answer") from None
    status = str(answer.get("status", ""))
    await trail.record(
        payments.store.db, staff.actor, "dispute_evidence", f"player:{dispute.player_id}",
        reason, staff.address, {"dispute_id": dispute.id, "gateway_status": status},
    )  # fmt: skip
    return dispute, status


async def refund(
    payments: Payments, staff: Staff, payment_id: int, amount: int, key: str, reason: str
) -> Receipt:
    """A refund of (part of) a completed deposit to the method that paid it, idempotent by
    `key`; recorded once, when this call started it."""
    receipt = await payments.refund(payment_id, amount, key)
    if receipt.created:
        await trail.record(
            payments.store.db, staff.actor, "refund", f"player:{receipt.payment.player_id}",
            reason, staff.address,
            {"deposit_id": payment_id, "refund_id": receipt.payment.id, "amount": amount,
             "status": receipt.payment.status},
        )  # fmt: skip
    return receipt
