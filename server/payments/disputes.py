"""Disputes of deposits, as the gateway's webhooks tell them, and the chargeback a lost one is.

A dispute moves needs_response -> under_review -> won or lost, never back: a
webhook of an earlier state arriving late changes nothing. Only a lost dispute
moves money, once (the chargeback script, keyed by the dispute): the deposit is
reversed in the ledger through the operator's chargeback-losses account; what the
player's cash covers is taken from it, the rest is recorded as the player's debt
(`taken` and `debt` here, and the ledger's player_debt account), and the player
may not withdraw while a debt is owed (`restriction`); a later deposit repays it first
(money does, in the deposit's transaction), and the restriction lifts when nothing is
owed. Cash never goes negative.
A won dispute moves nothing: the sandbox, like Adyen, takes the funds only when
the dispute is lost. Evidence goes to the gateway from the staff API.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from protocol.errors import ErrorCode, Refused
from server.money.chargebacks import Chargebacks
from server.money.scripts import ScriptStatus
from server.money.wallet import Wallet
from server.payments.rules import WithdrawalRequest
from server.payments.store import PaymentStore
from server.storage.database import Database, now_ms

log = logging.getLogger(__name__)

RANK = {"needs_response": 0, "under_review": 1, "won": 2, "lost": 2}
_SELECT = (
    "SELECT id, gateway_dispute_id, payment_id, player_id, amount, currency, status, taken, debt"
    " FROM payment_disputes"
)


@dataclass(frozen=True, slots=True)
class Dispute:
    id: int
    gateway_dispute_id: str
    payment_id: int
    player_id: int
    amount: int
    currency: str
    status: str
    taken: int | None
    debt: int | None

    def public(self) -> dict[str, Any]:
        return {
            "dispute_id": self.id, "gateway_dispute_id": self.gateway_dispute_id,
            "payment_id": self.payment_id, "amount": self.amount, "currency": self.currency,
            "status": self.status, "taken": self.taken, "debt": self.debt,
        }  # fmt: skip


class Disputes:
    def __init__(
        self, db: Database, store: PaymentStore, wallet: Wallet, chargebacks: Chargebacks
    ) -> None:
        self.db = db
        self.store = store
        self.wallet = wallet
        self.chargebacks = chargebacks

    async def get(self, dispute_id: int) -> Dispute | None:
        row = await self.db.fetchone(_SELECT + " WHERE id = ?", (dispute_id,))
        return Dispute(*row) if row else None

    async def by_gateway_id(self, gateway_dispute_id: str) -> Dispute | None:
        row = await self.db.fetchone(
            _SELECT + " WHERE gateway_dispute_id = ?", (gateway_dispute_id,)
        )
        return Dispute(*row) if row else None

    async def apply(self, data: dict[str, Any]) -> Dispute | None:
        """A dispute webhook's news: the dispute moved forward (or is new), and charged back
        when lost. None when it names no deposit of ours (logged, nothing moves)."""
        gateway_id, status = str(data.get("id", "")), str(data.get("status", ""))
        payment = await self.store.by_gateway_key(str(data.get("payment_key", "")))
        if payment is None or payment.kind != "deposit" or status not in RANK:
            log.warning("dispute %s names no deposit of ours (or status %s)", gateway_id, status)
            return None
        if (data.get("amount"), data.get("currency")) != (payment.amount, payment.currency):
            log.error("dispute %s: terms differ from payment %s", gateway_id, payment.id)
            return None
        now = now_ms()
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO payment_disputes (gateway_dispute_id, payment_id, player_id, amount,"
                " currency, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (gateway_dispute_id) DO NOTHING",
                (gateway_id, payment.id, payment.player_id, payment.amount, payment.currency,
                 status, now, now),
            )  # fmt: skip
            # Forward only: a late webhook of an earlier state leaves the later one.
            await tx.execute(
                "UPDATE payment_disputes SET status = ?, updated_at = ? WHERE"
                " gateway_dispute_id = ? AND status IN ('needs_response', 'under_review')"
                " AND ? > CASE status WHEN 'needs_response' THEN 0 ELSE 1 END",
                (status, now, gateway_id, RANK[status]),
            )
        dispute = await self.by_gateway_id(gateway_id)
        assert dispute is not None
        if dispute.status == "lost" and dispute.taken is None:
            dispute = await self._charge_back(dispute, payment.gateway)
        return dispute

    async def _charge_back(self, dispute: Dispute, gateway: str) -> Dispute:
        """Take the deposit back from cash, once; record what was taken and what is owed."""
        args = (dispute.id, dispute.player_id, dispute.currency, dispute.amount, gateway)
        reply = await self.chargebacks.charge(*args)
        if reply.status is ScriptStatus.NO_WALLET:
            await self.wallet.ensure_hot(dispute.player_id, dispute.currency)
            reply = await self.chargebacks.charge(*args)
        if reply.status not in (ScriptStatus.OK, ScriptStatus.ALREADY):
            raise RuntimeError(f"chargeback of dispute {dispute.id} answered {reply.status}")
        taken = reply.integer("taken")
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE payment_disputes SET taken = ?, debt = ?, updated_at = ?"
                " WHERE id = ? AND taken IS NULL",
                (taken, dispute.amount - taken, now_ms(), dispute.id),
            )
        if dispute.amount > taken:
            log.warning(
                "chargeback of dispute %s: player %s owes %d %s; withdrawals are restricted",
                dispute.id, dispute.player_id, dispute.amount - taken, dispute.currency,
            )  # fmt: skip
        found = await self.get(dispute.id)
        assert found is not None
        return found

    async def recover(self) -> int:
        """Finish every lost dispute whose chargeback was not recorded (a crash between the
        script and the row): the script answers ALREADY with what it took. How many."""
        rows = await self.db.fetchall(
            "SELECT d.id, p.gateway FROM payment_disputes d JOIN payments p"
            " ON p.id = d.payment_id WHERE d.status = 'lost' AND d.taken IS NULL"
        )
        for dispute_id, gateway in rows:
            found = await self.get(int(dispute_id))
            assert found is not None
            await self._charge_back(found, str(gateway))
        return len(rows)

    async def debt(self, player_id: int, currency: str) -> int:
        """What the player still owes: the lost disputes' debts less what later deposits
        repaid (money repays from each deposit first, server/money/wallet.py)."""
        row = await self.db.fetchone(
            "SELECT COALESCE(SUM(debt), 0) FROM payment_disputes WHERE player_id = ?"
            " AND currency = ? AND status = 'lost'",
            (player_id, currency),
        )
        recorded = int(row[0]) if row else 0
        if recorded == 0:
            return 0
        return max(recorded - await self.wallet.debt_repaid(player_id, currency), 0)

    async def awaiting(self, limit: int) -> list[Dispute]:
        """Disputes not decided yet (needs_response, under_review), newest first."""
        rows = await self.db.fetchall(
            _SELECT + " WHERE status IN ('needs_response', 'under_review') ORDER BY id DESC"
            " LIMIT ?",
            (limit,),
        )
        return [Dispute(*row) for row in rows]

    async def of_player(self, player_id: int) -> list[Dispute]:
        rows = await self.db.fetchall(_SELECT + " WHERE player_id = ? ORDER BY id", (player_id,))
        return [Dispute(*row) for row in rows]

    async def restriction(self, request: WithdrawalRequest) -> Refused | None:
        """The withdrawal rule: no withdrawal while a chargeback debt is owed."""
        owed = await self.debt(request.player_id, request.currency)
        if owed <= 0:
            return None
        return Refused(
            ErrorCode.ACCOUNT_RESTRICTED,
            "a lost chargeback left a debt on this account: withdrawals are restricted",
            debt=owed,
            params={"variant": "debt", "debt": owed, "currency": request.currency},
        )
