"""Deposits and withdrawals through the payment gateway, each completed exactly once.

Deposit: the payment row is written `pending` first, then the gateway charges
(the same key on every attempt), then the wallet credits it through its
durable-then-hot path (ledger once, Redis once, keyed by the payment).
Withdrawal: the rules seam, then the row, then the amount moves from cash to
locked funds atomically with the funds check, then the gateway pays out; a
payout moves the locked funds to the gateway's clearing account, a decline
returns them to cash. When the server cannot learn the gateway's answer
(timeout, crash) the payment stays `pending` and `recover` asks the gateway by
key later. This module never moves money itself: the wallet and the Lua
scripts do, and each of their steps is idempotent.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass

import redis.asyncio as aioredis

from protocol.errors import ErrorCode, Refused
from server.money.scripts import ScriptStatus
from server.money.wallet import Wallet
from server.money.withdrawal_locks import WithdrawalLocks
from server.observability import metrics
from server.payments.gateway import (
    GatewayClient,
    GatewayConflict,
    GatewayResult,
    GatewayUnavailable,
)
from server.payments.rules import WithdrawalRequest, first_refusal
from server.payments.store import Payment, PaymentStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a deposit or withdrawal request got: its payment and the balance after it."""

    payment: Payment
    created: bool  # False: this key's earlier payment, nothing new was started
    balance: int


class Payments:
    def __init__(
        self,
        store: PaymentStore,
        wallet: Wallet,
        locks: WithdrawalLocks,
        gateway: GatewayClient,
        redis: aioredis.Redis,
    ) -> None:
        self.store = store
        self.wallet = wallet
        self.locks = locks
        self.gateway = gateway
        self.redis = redis
        # One advance per payment at a time in this process (other processes: the steps are
        # idempotent, and every row update names the state it leaves).
        self._busy: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    async def deposit(self, player_id: int, currency: str, amount: int, key: str) -> Receipt:
        payment, created = await self._create(player_id, "deposit", key, amount, currency)
        if payment.status == "pending":
            payment = await self.advance(payment)
        return Receipt(payment, created, await self.wallet.balance(player_id, currency))

    async def withdraw(self, player_id: int, currency: str, amount: int, key: str) -> Receipt:
        existing = await self.store.by_key(player_id, "withdrawal", key)
        if existing is None:
            refusal = await first_refusal(
                WithdrawalRequest(player_id, currency, amount, self.gateway.name)
            )
            if refusal is not None:
                raise refusal
        payment, created = await self._create(player_id, "withdrawal", key, amount, currency)
        if payment.status == "pending":
            payment = await self.advance(payment)
        if created and payment.status == "refused":
            raise Refused(
                ErrorCode.INSUFFICIENT_FUNDS,
                "the spendable balance does not cover the withdrawal; nothing was moved",
                balance=await self.wallet.balance(player_id, currency),
            )
        return Receipt(payment, created, await self.wallet.balance(player_id, currency))

    async def get(self, player_id: int, payment_id: int) -> Payment | None:
        payment = await self.store.get(payment_id)
        return payment if payment is not None and payment.player_id == player_id else None

    async def recover(self, before_ms: int) -> int:
        """Complete every payment pending since before `before_ms`; returns how many resolved."""
        resolved = 0
        for payment in await self.store.pending(before_ms):
            try:
                after = await self.advance(payment, recovering=True)
            except Exception:  # one bad payment must not stop the others' recovery
                log.exception("recovery of payment %s failed; it stays pending", payment.id)
                continue
            resolved += after.status != "pending"
        if resolved:
            log.info("recovery resolved %d pending payments", resolved)
        return resolved

    async def _create(
        self, player_id: int, kind: str, key: str, amount: int, currency: str
    ) -> tuple[Payment, bool]:
        payment, created = await self.store.create(
            player_id, kind, key, self.gateway.name, amount, currency
        )
        if (payment.amount, payment.currency) != (amount, currency):
            metrics.record_payment(kind, self.gateway.name, currency, amount, "refused")
            raise Refused(
                ErrorCode.IDEMPOTENCY_CONFLICT, "idempotency key already used for another payment"
            )
        return payment, created

    async def advance(self, payment: Payment, recovering: bool = False) -> Payment:
        """Take a pending payment as far as the gateway lets us now."""
        lock = self._busy.get(payment.id)
        if lock is None:
            lock = self._busy[payment.id] = asyncio.Lock()
        async with lock:
            current = await self.store.get(payment.id)
            assert current is not None
            if current.status != "pending":
                return current
            if current.kind == "deposit":
                await self._advance_deposit(current, recovering)
            else:
                await self._advance_withdrawal(current, recovering)
        after = await self.store.get(payment.id)
        assert after is not None
        return after

    async def _ask_gateway(
        self, payment: Payment, kind: str, recovering: bool
    ) -> GatewayResult | None:
        """The gateway's result, or None when it gave none (the payment stays pending)."""
        account = f"player:{payment.player_id}"
        try:
            result = await self.gateway.status(payment.gateway_key) if recovering else None
            if result is None:
                result = await self.gateway.submit(
                    payment.gateway_key, kind, payment.amount, payment.currency, account
                )
        except GatewayUnavailable as error:
            log.warning("payment %s: outcome unknown, stays pending: %s", payment.id, error)
            await self.store.note_error(payment.id, ErrorCode.GATEWAY_UNAVAILABLE.value)
            return None
        except GatewayConflict:
            log.error("payment %s: the gateway holds its key with other terms", payment.id)
            await self.store.note_error(payment.id, ErrorCode.GATEWAY_UNAVAILABLE.value)
            return None
        return result

    async def _advance_deposit(self, payment: Payment, recovering: bool) -> None:
        result = await self._ask_gateway(payment, "deposit", recovering)
        if result is None:
            return
        if not result.approved:
            if await self.store.resolve(
                payment.id, "declined", ErrorCode.PAYMENT_DECLINED.value, result.reference
            ):
                self._record(payment, "declined")
            return
        await self.wallet.deposit(
            payment.player_id,
            payment.currency,
            payment.amount,
            f"payment:{payment.gateway_key}",
            gateway=payment.gateway,
        )
        if await self.store.resolve(payment.id, "completed", None, result.reference):
            self._record(payment, "completed")

    async def _advance_withdrawal(self, payment: Payment, recovering: bool) -> None:
        if payment.locked_at is None and not await self._lock(payment):
            return
        result = await self._ask_gateway(payment, "payout", recovering)
        if result is None:
            return
        outcome = "paid" if result.approved else "returned"
        resolved = await self.locks.resolve(
            payment.id,
            payment.player_id,
            payment.currency,
            payment.amount,
            payment.gateway,
            outcome,
        )
        if resolved.status not in (ScriptStatus.OK, ScriptStatus.ALREADY):
            # The hot record disagrees with a locked payment: leave it pending for an operator.
            log.error("payment %s: hot withdrawal record says %s", payment.id, resolved.status)
            return
        status, code = (
            ("completed", None)
            if result.approved
            else ("declined", ErrorCode.PAYMENT_DECLINED.value)
        )
        if await self.store.resolve(payment.id, status, code, result.reference):
            self._record(payment, status)

    async def _lock(self, payment: Payment) -> bool:
        """Move the amount from cash to locked funds; False when refused (no funds)."""
        await self.wallet.ensure_hot(payment.player_id, payment.currency)
        locked = await self.locks.lock(
            payment.id, payment.player_id, payment.currency, payment.amount, payment.gateway
        )
        if locked.status is ScriptStatus.INSUFFICIENT_FUNDS:
            if await self.store.resolve(payment.id, "refused", ErrorCode.INSUFFICIENT_FUNDS.value):
                self._record(payment, "refused")
            return False
        if locked.status not in (ScriptStatus.OK, ScriptStatus.ALREADY):
            log.error("payment %s: withdrawal lock answered %s", payment.id, locked.status)
            return False
        await self.store.mark_locked(payment.id)
        return True

    def _record(self, payment: Payment, state: str) -> None:
        metrics.record_payment(
            payment.kind, payment.gateway, payment.currency, payment.amount, state
        )
