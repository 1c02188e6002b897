"""The `payments` table: one row per deposit or withdrawal, written before the gateway call.

A row moves `pending` -> `completed`, `declined` or `refused`, once: every
update names the state it leaves, so two processes resolving the same payment
cannot both win. Only this module reads or writes the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import rng
from server.events import outbox
from server.events.catalogue import Withdrawal
from server.money import deposit_rules
from server.money.deposit_rules import DepositAttempt
from server.storage.database import Database, Transaction, now_ms

SELECT = (
    "SELECT id, player_id, kind, idempotency_key, gateway, gateway_key, gateway_reference, amount,"
    " currency, status, error_code, created_at, updated_at, locked_at, resolved_at, method_id,"
    " gateway_status, action_url, decline_code, refund_of FROM payments"
)


@dataclass(frozen=True, slots=True)
class Payment:
    id: int
    player_id: int
    kind: str  # deposit or withdrawal
    idempotency_key: str
    gateway: str
    gateway_key: str  # sent to the gateway on every attempt
    gateway_reference: str | None
    amount: int
    currency: str
    status: str  # pending, completed, declined, refused
    error_code: str | None
    created_at: int
    updated_at: int
    locked_at: int | None
    resolved_at: int | None
    method_id: int | None = None
    gateway_status: str | None = None  # the gateway's word while pending: requires_action...
    action_url: str | None = None  # the page the player completes (3-D Secure, e-wallet)
    decline_code: str | None = None  # the gateway's reason: insufficient_funds, expired_card...
    refund_of: int | None = None  # a refund's deposit

    def public(self) -> dict[str, Any]:
        return {
            "payment_id": self.id,
            "kind": self.kind,
            "status": self.status,
            "amount": self.amount,
            "currency": self.currency,
            "gateway": self.gateway,
            "gateway_reference": self.gateway_reference,
            "error_code": self.error_code,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "method_id": self.method_id,
            "gateway_status": self.gateway_status,
            "action_url": self.action_url if self.status == "pending" else None,
            "decline_code": self.decline_code,
        }


def _payment(row: Any) -> Payment:
    return Payment(*row)


class PaymentStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        player_id: int,
        kind: str,
        key: str,
        gateway: str,
        amount: int,
        currency: str,
        method_id: int | None = None,
        refund_of: int | None = None,
    ) -> tuple[Payment, bool]:
        """The payment for this key, and whether this call created it."""
        now = now_ms()
        async with self.db.transaction() as tx:
            new_id = await tx.insert(
                "INSERT INTO payments (player_id, kind, idempotency_key, gateway, gateway_key,"
                " amount, currency, status, created_at, updated_at, method_id, refund_of)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)"
                " ON CONFLICT (player_id, kind, idempotency_key) DO NOTHING",
                (
                    player_id, kind, key, gateway, rng.token_urlsafe(18), amount, currency, now,
                    now, method_id, refund_of,
                ),
            )  # fmt: skip
            if new_id is not None and kind == "withdrawal":
                await _withdrawal_event(tx, new_id, "requested", now)
            if new_id is not None and kind == "deposit":
                # Before the gateway is asked to charge: a refusal rolls the row back.
                attempt = DepositAttempt(player_id, currency, amount, f"payment:{new_id}", now)
                refusal = await deposit_rules.refuse_deposit(tx, attempt)
                if refusal is not None:
                    raise refusal
        found = await self.by_key(player_id, kind, key)
        assert found is not None
        return found, new_id is not None

    async def by_key(self, player_id: int, kind: str, key: str) -> Payment | None:
        row = await self.db.fetchone(
            SELECT + " WHERE player_id = ? AND kind = ? AND idempotency_key = ?",
            (player_id, kind, key),
        )
        return _payment(row) if row else None

    async def last_deposit(self, player_id: int, currency: str) -> Payment | None:
        """The player's latest completed gateway deposit in `currency`: where the closed loop
        pays a closed account's balance back to (server/staff/closure.py)."""
        row = await self.db.fetchone(
            SELECT + " WHERE player_id = ? AND currency = ? AND kind = 'deposit'"
            " AND status = 'completed' ORDER BY id DESC LIMIT 1",
            (player_id, currency),
        )
        return _payment(row) if row else None

    async def withdrawn_to(self, player_id: int, method_id: int) -> bool:
        """Whether this player ever withdrew to this method (a withdrawal pending or paid: its
        row exists only once every withdrawal rule, the second factor's included, let it by)."""
        row = await self.db.fetchone(
            "SELECT 1 FROM payments WHERE player_id = ? AND method_id = ? AND kind = 'withdrawal'"
            " AND status IN ('pending', 'completed') LIMIT 1",
            (player_id, method_id),
        )
        return row is not None

    async def refunded(self, deposit_id: int) -> int:
        """What refunds of this deposit took or are taking."""
        row = await self.db.fetchone(
            "SELECT COALESCE(SUM(amount), 0) FROM payments WHERE refund_of = ?"
            " AND kind = 'refund' AND status IN ('pending', 'completed')",
            (deposit_id,),
        )
        return int(row[0]) if row else 0

    async def by_gateway_key(self, gateway_key: str) -> Payment | None:
        row = await self.db.fetchone(SELECT + " WHERE gateway_key = ?", (gateway_key,))
        return _payment(row) if row else None

    async def note_gateway(self, payment_id: int, status: str, action_url: str | None) -> None:
        """A pending payment's intermediate state at the gateway (it stays pending)."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE payments SET gateway_status = ?, action_url = COALESCE(?, action_url),"
                " error_code = NULL, updated_at = ? WHERE id = ? AND status = 'pending'",
                (status, action_url, now_ms(), payment_id),
            )

    async def record_webhook(self, event_id: str, kind: str) -> None:
        """A verified webhook, kept once by its id (a redelivery is applied again: harmless)."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO payment_webhooks (event_id, type, received_at) VALUES (?, ?, ?)"
                " ON CONFLICT (event_id) DO NOTHING",
                (event_id, kind, now_ms()),
            )

    async def webhook_applied(self, event_id: str) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE payment_webhooks SET applied_at = COALESCE(applied_at, ?)"
                " WHERE event_id = ?",
                (now_ms(), event_id),
            )

    async def get(self, payment_id: int) -> Payment | None:
        row = await self.db.fetchone(SELECT + " WHERE id = ?", (payment_id,))
        return _payment(row) if row else None

    async def of_player(self, player_id: int, limit: int) -> list[Payment]:
        rows = await self.db.fetchall(
            SELECT + " WHERE player_id = ? ORDER BY id DESC LIMIT ?",
            (player_id, limit),
        )
        return [_payment(row) for row in rows]

    async def pending(self, before_ms: int) -> list[Payment]:
        """Payments still pending whose last change came before `before_ms`."""
        rows = await self.db.fetchall(
            SELECT + " WHERE status = 'pending' AND updated_at < ? ORDER BY id",
            (before_ms,),
        )
        return [_payment(row) for row in rows]

    async def mark_locked(self, payment_id: int) -> None:
        now = now_ms()
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE payments SET locked_at = ?, updated_at = ?"
                " WHERE id = ? AND locked_at IS NULL",
                (now, now, payment_id),
            )

    async def note_error(self, payment_id: int, error_code: str) -> None:
        """A pending payment's latest trouble (it stays pending)."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE payments SET error_code = ?, updated_at = ?"
                " WHERE id = ? AND status = 'pending'",
                (error_code, now_ms(), payment_id),
            )

    async def resolve(
        self,
        payment_id: int,
        status: str,
        error_code: str | None = None,
        reference: str | None = None,
        decline_code: str | None = None,
    ) -> bool:
        """pending -> `status`; False when the payment had already left pending."""
        now = now_ms()
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE payments SET status = ?, error_code = ?, decline_code = ?,"
                " gateway_reference = COALESCE(?, gateway_reference), updated_at = ?,"
                " resolved_at = ? WHERE id = ? AND status = 'pending'",
                (status, error_code, decline_code, reference, now, now, payment_id),
            )
            if changed == 1:
                await _withdrawal_event(tx, payment_id, status, now)
        return changed == 1


async def _withdrawal_event(tx: Transaction, payment_id: int, status: str, at_ms: int) -> None:
    """The event of a withdrawal's change, in the transaction making it (a deposit's event is
    the wallet's, when the money arrives)."""
    row = await tx.fetchone(
        "SELECT player_id, kind, amount, currency, gateway FROM payments WHERE id = ?",
        (payment_id,),
    )
    if row is None or row[1] != "withdrawal":
        return
    assert status in ("requested", "completed", "declined", "refused"), status
    await outbox.emit(
        tx,
        Withdrawal(
            id=f"withdrawal:{payment_id}:{status}", player_id=int(row[0]), at_ms=at_ms,
            payment_id=payment_id, amount=int(row[2]), currency=str(row[3]),
            gateway=str(row[4]), status=status,  # type: ignore[arg-type]
        ),
    )  # fmt: skip
