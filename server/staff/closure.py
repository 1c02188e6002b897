"""Closing a player's account for good (staff, roles compliance and admin), once per
idempotency key.

Owns `account_closures`: one row per closing run, claimed by its key before anything is done
and holding the run's reply once done, so a retry with the key answers the same reply and
moves nothing twice (each step below is idempotent on its own too, so a run cut short by a
crash is finished by its retry). The steps, in this order:

1. The account's status becomes `closed` (accounts' `set_status`): every login session and
   every provider game session ends in that transaction, a connected socket is told at once
   (`forced_logout`), and from then on no login, stake or deposit is accepted.
2. Bonus money is forfeited through the bonus engine's own path (to the operator's bonus
   cost); awards still waiting are cancelled, so none is granted after.
3. The cash is paid out: as a withdrawal through the normal withdrawal path (every rule of
   the seam, the gateway, the ledger) to the method of the player's last completed deposit
   (the closed loop). When there is no such deposit, no gateway, or the path refuses it (a
   rule, the gateway declining), all the cash moves instead to the operator's liability
   `house:closed_accounts_payable:CUR` (server/money/closures.py), so nothing is lost.
4. A pending withdrawal is left to finish: its funds are locked already and go to a method
   of the player's. Should the gateway decline it later, its money returns to the closed
   account's cash, which the profile shows; closing again with a new key pays that out.

The audit entry and the `AccountClosed` event are written with the reply.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from protocol.errors import ErrorCode, Refused
from server.accounts.service import CLOSED, Accounts
from server.audit import trail
from server.bonus.service import Bonuses
from server.events import outbox, push
from server.events.catalogue import AccountClosed
from server.money.closures import ClosedAccounts
from server.payments.service import Payments
from server.payments.store import Payment
from server.staff.accounts import StaffMember
from server.storage.database import Database, now_ms

MAX_KEY = 100


@dataclass(frozen=True, slots=True)
class Closing:
    """Who closes which account, why, from where, under which key."""

    player_id: int
    key: str
    reason: str
    member: StaffMember
    address: str


class Closures:
    def __init__(
        self,
        db: Database,
        redis: aioredis.Redis,
        accounts: Accounts,
        bonuses: Bonuses,
        closed: ClosedAccounts,
        payments: Payments | None,
    ) -> None:
        self.db = db
        self.redis = redis
        self.accounts = accounts
        self.bonuses = bonuses
        self.closed = closed
        self.payments = payments

    async def close(self, closing: Closing) -> dict[str, Any]:
        """Close the account (the steps above); the reply, the same for every retry of the
        key. NOT_FOUND for no such player, IDEMPOTENCY_CONFLICT for a key another player's
        closure used."""
        player = await self.accounts.player(closing.player_id)
        if player is None:
            raise Refused(ErrorCode.NOT_FOUND, "no such player")
        closure_id, done = await self._claim(closing)
        if done is not None:
            return done
        pid, currency = player.id, player.currency
        await self.accounts.set_status(pid, CLOSED, closing.member.actor)
        # Every process's socket of the player ends now (the sessions already did).
        await push.publish(self.redis, pid, {"type": "forced_logout", "reason": "staff"})
        bonus = await self.bonuses.close_account(pid, currency)
        locked = await self.bonuses.wallet.hot.locked(pid, currency)  # pending withdrawals'
        payout = await self._pay_out(closure_id, pid, currency)
        reply = {
            "player_id": pid, "status": CLOSED, "currency": currency, "bonus_forfeited": bonus,
            "locked": locked, **payout,
        }  # fmt: skip
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE account_closures SET reply = ?, done_at = ? WHERE id = ? AND reply IS NULL",
                (json.dumps(reply, sort_keys=True), now_ms(), closure_id),
            )
            await trail.record(
                tx, closing.member.actor, "player_closed", f"player:{pid}", closing.reason,
                closing.address, {"closure_id": closure_id, **reply},
            )  # fmt: skip
            await outbox.emit(
                tx,
                AccountClosed(
                    id=f"account_closed:{closure_id}", player_id=pid, at_ms=now_ms(),
                    currency=currency, cash=int(payout["cash"]), bonus_forfeited=bonus,
                    locked=locked, payout=payout["payout"], payment_id=payout["payment_id"],
                    by=closing.member.actor, reason=closing.reason,
                ),
            )  # fmt: skip
        return reply

    async def _claim(self, closing: Closing) -> tuple[int, dict[str, Any] | None]:
        """The run of this key: its id, and its reply when it finished before."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO account_closures (idempotency_key, player_id, actor, reason,"
                " created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING",
                (closing.key, closing.player_id, closing.member.actor, closing.reason, now_ms()),
            )
            row = await tx.fetchone(
                "SELECT id, player_id, reply FROM account_closures WHERE idempotency_key = ?",
                (closing.key,),
            )
        assert row is not None
        if int(row[1]) != closing.player_id:
            raise Refused(
                ErrorCode.IDEMPOTENCY_CONFLICT, "this key closed another account",
                field="idempotency_key",
            )  # fmt: skip
        return int(row[0]), None if row[2] is None else json.loads(str(row[2]))

    async def _pay_out(self, closure_id: int, player_id: int, currency: str) -> dict[str, Any]:
        """The cash out of the account: a withdrawal to the last deposit's method, or else
        the closed-accounts liability. `refused`: why the withdrawal was not the way. A retry
        finds what its first run started (the payment by its key, the move by its marker)."""
        key = f"account-closure:{closure_id}"
        if self.payments is not None:
            earlier = await self.payments.store.by_key(player_id, "withdrawal", key)
            if earlier is not None and earlier.status not in ("declined", "refused"):
                return _withdrawal(earlier)
        cash = await self.bonuses.wallet.balance(player_id, currency)
        refused: str | None = None
        if cash > 0:
            paid = await self._withdraw(key, player_id, currency, cash)
            if isinstance(paid, dict):
                return paid
            refused = paid
        moved = await self.closed.to_payable(closure_id, player_id, currency)
        if moved == 0:
            return {"payout": "none", "cash": 0, "payment_id": None, "refused": None}
        return {"payout": "payable", "cash": moved, "payment_id": None, "refused": refused}

    async def _withdraw(
        self, key: str, player_id: int, currency: str, cash: int
    ) -> dict[str, Any] | str:
        """The withdrawal's reply part, or why there was none (a code or a word)."""
        if self.payments is None:
            return "NO_GATEWAY"
        deposit = await self.payments.store.last_deposit(player_id, currency)
        if deposit is None:
            return "NO_DEPOSIT_METHOD"
        method = None
        if deposit.method_id is not None:
            method = await self.payments.methods.get(player_id, deposit.method_id)
            if method is None:
                return "NO_DEPOSIT_METHOD"
        try:
            receipt = await self.payments.withdraw(
                player_id, currency, cash, key, method, forfeit_bonus=True
            )
        except Refused as refusal:
            return refusal.code.value
        payment = receipt.payment
        if payment.status in ("declined", "refused"):
            return payment.decline_code or payment.error_code or payment.status
        return _withdrawal(payment)


def _withdrawal(payment: Payment) -> dict[str, Any]:
    return {
        "payout": "withdrawal", "cash": payment.amount, "payment_id": payment.id,
        "payment_status": payment.status, "refused": None,
    }  # fmt: skip
