"""The payments service's life in the server: built at start-up when a gateway is configured,
a recovery pass at start-up and then periodically, closed at shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

import redis.asyncio as aioredis

from server.config import Settings
from server.money.chargebacks import Chargebacks
from server.money.wallet import Wallet
from server.money.withdrawal_locks import WithdrawalLocks
from server.payments.disputes import Disputes
from server.payments.gateway import GatewayClient, GatewayPolicy
from server.payments.methods import MethodStore
from server.payments.service import Payments

__all__ = ["Payments", "PaymentsRuntime", "build"]
from server.payments.store import PaymentStore
from server.storage.database import Database, now_ms

log = logging.getLogger(__name__)

GATEWAY_NAME = "sandbox_gateway"


@dataclass(slots=True)
class PaymentsRuntime:
    payments: Payments
    recovery_interval_s: float
    grace_ms: int
    webhook_secrets: tuple[
        str, ...
    ]  # a pending payment younger than this may still be in its request's hands
    task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._recover_forever(), name="payments-recovery")

    async def _recover_forever(self) -> None:
        # The first pass takes what an earlier process left pending, without holding up the
        # start-up when the gateway is slow; later passes leave young payments to requests.
        cutoff = now_ms()
        while True:
            try:
                await self.payments.recover(cutoff)
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis or the database away for a while: try again next time
                log.exception("payments recovery pass failed")
            await asyncio.sleep(self.recovery_interval_s)
            cutoff = now_ms() - self.grace_ms

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.payments.gateway.close()


def build(
    settings: Settings, db: Database, wallet: Wallet, client: aioredis.Redis
) -> PaymentsRuntime | None:
    """None when no gateway is configured: the payments API then answers PAYMENTS_UNAVAILABLE."""
    if not settings.payment_gateway_url:
        return None
    policy = GatewayPolicy(
        timeout_s=settings.payment_timeout_ms / 1000,
        retries=settings.payment_retries,
        backoff_s=settings.payment_backoff_ms / 1000,
    )
    gateway = GatewayClient(
        GATEWAY_NAME, settings.payment_gateway_url, policy, settings.payment_gateway_key
    )
    store = PaymentStore(db)
    disputes = Disputes(db, store, wallet, Chargebacks(client))
    payments = Payments(
        store, wallet, WithdrawalLocks(client), gateway, client, MethodStore(db), disputes,
        settings.payment_method_limits, settings.withdrawal_cancel,
    )  # fmt: skip
    # Longest a request can still be working on a payment: every attempt times out, and backoff.
    budget_s = (policy.retries + 1) * policy.timeout_s + policy.backoff_s * 2**policy.retries
    return PaymentsRuntime(
        payments,
        settings.payment_recovery_s,
        int(budget_s * 1000) + 1000,
        settings.payment_webhook_secrets,
    )
