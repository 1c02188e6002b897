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

A payment may name a saved method (server/payments/methods.py). Then the gateway
may answer before it is final: `requires_action` (the player completes the
3-D Secure or e-wallet page) or `processing` (a bank transfer): the payment stays
pending with the gateway's word, and the signed webhook (`apply_event`), or the
recovery pass asking by key, completes it. Whichever comes first completes it;
the rest find it no longer pending, so a deposit is credited once whatever
arrives in whatever order. Refunds (staff) leave cash the way withdrawals do.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from protocol.errors import ErrorCode, Refused
from server.money.scripts import ScriptStatus
from server.money.wallet import Wallet
from server.money.withdrawal_locks import WithdrawalLocks
from server.observability import metrics
from server.payments import closed_loop
from server.payments.disputes import Disputes
from server.payments.gateway import (
    GatewayClient,
    GatewayConflict,
    GatewayRefused,
    GatewayResult,
    GatewayUnavailable,
    result_of,
)
from server.payments.methods import Method, MethodStore
from server.payments.rules import WITHDRAWAL_RULES, Rule, WithdrawalRequest, first_refusal
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
        methods: MethodStore,
        disputes: Disputes,
        method_limits: tuple[tuple[str, str, int, int], ...] = (),
        withdrawal_cancel: bool = True,
    ) -> None:
        self.method_limits = method_limits
        self.withdrawal_cancel = withdrawal_cancel
        self.store = store
        self.wallet = wallet
        self.locks = locks
        self.gateway = gateway
        self.redis = redis
        self.methods = methods
        self.disputes = disputes
        # After the seam's rules (KYC, wagering, ...): a chargeback debt, then the closed loop.
        self.own_rules: list[Rule] = [disputes.restriction, self._closed_loop]
        # One advance per payment at a time in this process (other processes: the steps are
        # idempotent, and every row update names the state it leaves).
        self._busy: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    async def deposit(
        self,
        player_id: int,
        currency: str,
        amount: int,
        key: str,
        method: Method | None = None,
        return_url: str = "",
    ) -> Receipt:
        method_id = None if method is None else method.id
        if await self.store.by_key(player_id, "deposit", key) is None:
            # The method's own bounds; every other deposit rule runs in money's seam
            # (server/money/deposit_rules.py) when the payment row is written.
            refusal = self._limit(None if method is None else method.type, currency, amount)
            if refusal is not None:
                raise refusal
        payment, created = await self._create(
            player_id, "deposit", key, amount, currency, method_id
        )
        if payment.status == "pending" and payment.gateway_status is None:
            payment = await self.advance(payment, return_url=return_url)
        return Receipt(payment, created, await self.wallet.balance(player_id, currency))

    async def withdraw(
        self,
        player_id: int,
        currency: str,
        amount: int,
        key: str,
        method: Method | None = None,
        forfeit_bonus: bool = False,
        code: str | None = None,
    ) -> Receipt:
        """`code`: the player's two-factor code, which a rule asks for when the method was
        never paid out to before (`new_method`)."""
        method_id = None if method is None else method.id
        existing = await self.store.by_key(player_id, "withdrawal", key)
        if existing is None:
            new_method = method_id is not None and not await self.store.withdrawn_to(
                player_id, method_id
            )
            request = WithdrawalRequest(
                player_id, currency, amount, gateway=self.gateway.name,
                forfeit_bonus=forfeit_bonus, method_id=method_id, new_method=new_method,
                code=code, key=key,
            )  # fmt: skip
            refusal = self._limit(None if method is None else method.type, currency, amount)
            refusal = refusal or await first_refusal(request, [*WITHDRAWAL_RULES, *self.own_rules])
            if refusal is not None:
                raise refusal
        payment, created = await self._create(
            player_id, "withdrawal", key, amount, currency, method_id
        )
        if payment.status == "pending" and payment.gateway_status is None:
            payment = await self.advance(payment)
        if created and payment.status == "refused":
            raise Refused(
                ErrorCode.INSUFFICIENT_FUNDS,
                "the spendable balance does not cover the withdrawal; nothing was moved",
                balance=(balance := await self.wallet.balance(player_id, currency)),
                params={"variant": "withdrawal", "balance": balance, "currency": currency},
            )
        return Receipt(payment, created, await self.wallet.balance(player_id, currency))

    async def refund(self, deposit_id: int, amount: int, key: str) -> Receipt:
        """A staff refund of (part of) a completed deposit, to the method that paid it: it
        leaves the player's cash as a withdrawal does (refused when the cash is short)."""
        deposit = await self.store.get(deposit_id)
        if deposit is None or (deposit.kind, deposit.status) != ("deposit", "completed"):
            raise Refused(ErrorCode.NOT_FOUND, "no completed deposit with this id")
        existing = await self.store.by_key(deposit.player_id, "refund", key)
        left = deposit.amount - await self.store.refunded(deposit.id)
        if existing is None and amount > left:
            raise Refused(
                ErrorCode.INVALID_AMOUNT,
                f"at most {left} of this deposit may still be refunded",
                params={"variant": "refund_max", "maximum": left, "currency": deposit.currency},
            )
        payment, created = await self.store.create(
            deposit.player_id, "refund", key, deposit.gateway, amount, deposit.currency,
            deposit.method_id, deposit.id,
        )  # fmt: skip
        if (payment.amount, payment.refund_of) != (amount, deposit.id):
            raise Refused(ErrorCode.IDEMPOTENCY_CONFLICT, "key already used for another refund")
        if payment.status == "pending":
            payment = await self.advance(payment)
        if created and payment.status == "refused":
            raise Refused(
                ErrorCode.INSUFFICIENT_FUNDS,
                "the player's cash does not cover the refund; nothing was moved",
                balance=await self.wallet.balance(deposit.player_id, deposit.currency),
            )
        balance = await self.wallet.balance(deposit.player_id, deposit.currency)
        return Receipt(payment, created, balance)

    async def apply_event(self, event: dict[str, Any]) -> str:
        """A verified webhook's news, applied idempotently; what became of it, for the log."""
        kind, data = str(event.get("type", "")), event.get("data")
        if not isinstance(data, dict):
            return "ignored: no data"
        if kind.startswith("dispute."):
            dispute = await self.disputes.apply(data)
            return "ignored: unknown dispute" if dispute is None else f"dispute {dispute.status}"
        if not kind.startswith(("payment.", "refund.")):
            return f"ignored: type {kind}"
        payment = await self.store.by_gateway_key(str(data.get("key", "")))
        if payment is None:
            return "ignored: no payment of ours has this key"
        if (data.get("amount"), data.get("currency")) != (payment.amount, payment.currency):
            log.error("webhook for payment %s: terms differ from ours; ignored", payment.id)
            return "ignored: terms differ"
        after = await self.advance(payment, told=result_of(data))
        return f"payment {after.id} {after.status}"

    def _limit(self, method_type: str | None, currency: str, amount: int) -> Refused | None:
        """The configured minimum and maximum of this method and currency."""
        for kind, cur, low, high in self.method_limits:
            if (kind, cur) == (method_type, currency) and not low <= amount <= high:
                return Refused(
                    ErrorCode.INVALID_AMOUNT,
                    f"a {kind} payment in {cur} is {low} to {high} minor units",
                    minimum=low,
                    maximum=high,
                    params={"variant": "range", "minimum": low, "maximum": high, "currency": cur},
                )
        return None

    async def cancel(self, player_id: int, payment_id: int) -> Payment:
        """A pending withdrawal taken back by the player, while the bank has not paid it and
        where the jurisdiction allows it: the gateway cancels it, and its money returns to
        cash through the same decline path as any other (exactly once)."""
        payment = await self.get(player_id, payment_id)
        if payment is None:
            raise Refused(ErrorCode.NOT_FOUND, "no such payment")
        if not self.withdrawal_cancel:
            raise Refused(ErrorCode.CANCEL_NOT_ALLOWED, "withdrawals cannot be cancelled here")
        if (payment.kind, payment.status, payment.gateway_status) != (
            "withdrawal", "pending", "processing",
        ):  # fmt: skip
            raise Refused(ErrorCode.CANCEL_NOT_ALLOWED, "only a withdrawal with the bank")
        try:
            result = await self.gateway.cancel(payment.gateway_key)
        except GatewayRefused as refused:
            raise Refused(ErrorCode.CANCEL_NOT_ALLOWED, refused.reason) from None
        except (GatewayUnavailable, GatewayConflict):
            raise Refused(ErrorCode.GATEWAY_UNAVAILABLE, "the gateway did not answer") from None
        return await self.advance(payment, told=result)

    async def _closed_loop(self, request: WithdrawalRequest) -> Refused | None:
        return await closed_loop.refusal(
            self.store.db, request.player_id, request.currency, request.amount, request.method_id
        )

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
        try:
            if charged := await self.disputes.recover():
                log.info("recovery recorded %d lost disputes' chargebacks", charged)
        except Exception:
            log.exception("recovery of lost disputes failed; tried again next pass")
        return resolved

    async def _create(
        self,
        player_id: int,
        kind: str,
        key: str,
        amount: int,
        currency: str,
        method_id: int | None = None,
    ) -> tuple[Payment, bool]:
        payment, created = await self.store.create(
            player_id, kind, key, self.gateway.name, amount, currency, method_id
        )
        if (payment.amount, payment.currency, payment.method_id) != (amount, currency, method_id):
            metrics.record_payment(kind, self.gateway.name, currency, amount, "refused")
            raise Refused(
                ErrorCode.IDEMPOTENCY_CONFLICT, "idempotency key already used for another payment"
            )
        return payment, created

    async def advance(
        self,
        payment: Payment,
        recovering: bool = False,
        told: GatewayResult | None = None,
        return_url: str = "",
    ) -> Payment:
        """Take a pending payment as far as the gateway lets us now (`told`: what a verified
        webhook says, used instead of asking)."""
        lock = self._busy.get(payment.id)
        if lock is None:
            lock = self._busy[payment.id] = asyncio.Lock()
        async with lock:
            current = await self.store.get(payment.id)
            assert current is not None
            if current.status != "pending":
                return current
            if current.kind == "deposit":
                await self._advance_deposit(current, recovering, told, return_url)
            else:
                await self._advance_withdrawal(current, recovering, told)
        after = await self.store.get(payment.id)
        assert after is not None
        return after

    async def _ask_gateway(
        self, payment: Payment, kind: str, recovering: bool, return_url: str = ""
    ) -> GatewayResult | None:
        """The gateway's result, or None when it gave none (the payment stays pending)."""
        account = f"player:{payment.player_id}"
        method = None
        if payment.method_id is not None:
            found = await self.methods.get(payment.player_id, payment.method_id)
            method = None if found is None else found.for_gateway()
        refund_of = None
        if payment.refund_of is not None:
            deposit = await self.store.get(payment.refund_of)
            refund_of = None if deposit is None else deposit.gateway_key
        try:
            result = await self.gateway.status(payment.gateway_key) if recovering else None
            if result is None:
                result = await self.gateway.submit(
                    payment.gateway_key, kind, payment.amount, payment.currency, account,
                    method, return_url, refund_of,
                )  # fmt: skip
        except GatewayRefused as error:
            # The gateway will never take these terms: the payment cannot happen.
            log.warning("payment %s refused by the gateway: %s", payment.id, error.reason)
            if await self.store.resolve(
                payment.id, "refused", ErrorCode.PAYMENT_DECLINED.value, None, error.code
            ):
                self._record(payment, "refused")
            return None
        except GatewayUnavailable as error:
            log.warning("payment %s: outcome unknown, stays pending: %s", payment.id, error)
            await self.store.note_error(payment.id, ErrorCode.GATEWAY_UNAVAILABLE.value)
            return None
        except GatewayConflict:
            log.error("payment %s: the gateway holds its key with other terms", payment.id)
            await self.store.note_error(payment.id, ErrorCode.GATEWAY_UNAVAILABLE.value)
            return None
        return result

    async def _advance_deposit(
        self, payment: Payment, recovering: bool, told: GatewayResult | None, return_url: str
    ) -> None:
        result = told or await self._ask_gateway(
            payment, "deposit", recovering or payment.gateway_status is not None, return_url
        )
        if result is None:
            return
        if not result.final:
            action = None if result.action_url is None else self.gateway.absolute(result.action_url)
            await self.store.note_gateway(payment.id, result.status, action)
            return
        if not result.approved:
            if await self.store.resolve(
                payment.id, "declined", ErrorCode.PAYMENT_DECLINED.value, result.reference,
                result.decline_code,
            ):  # fmt: skip
                self._record(payment, "declined")
            return
        await self.wallet.deposit(
            payment.player_id,
            payment.currency,
            payment.amount,
            f"payment:{payment.gateway_key}",
            gateway=payment.gateway,
            screened=True,  # the deposit rules ran when the payment was created
        )
        if await self.store.resolve(payment.id, "completed", None, result.reference):
            self._record(payment, "completed")

    async def _advance_withdrawal(
        self, payment: Payment, recovering: bool, told: GatewayResult | None
    ) -> None:
        if payment.locked_at is None and not await self._lock(payment):
            return
        kind = "refund" if payment.kind == "refund" else "payout"
        result = told or await self._ask_gateway(
            payment, kind, recovering or payment.gateway_status is not None
        )
        if result is None:
            return
        if not result.final:
            await self.store.note_gateway(payment.id, result.status, None)
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
        if await self.store.resolve(
            payment.id, status, code, result.reference, result.decline_code
        ):
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
