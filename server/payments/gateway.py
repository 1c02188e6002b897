"""The payment gateway client: one HTTP peer, explicit timeouts, bounded retries, one key.

Every attempt of a payment carries the same idempotency key, so a retry after a
timeout or a dropped reply gets the gateway's original result and never pays
twice. When no attempt gets an answer the outcome is unknown, not failed:
`GatewayUnavailable` says so, and `status(key)` asks later what became of it.
Every call carries the operator's API key as a bearer token; its prefix
(`sk_test_` or `sk_live_`) says which money the gateway moves, and
server/mode.py decides which one this server may use. A gateway that refuses
the key is a configuration fault, logged as such (never the key itself).
This module knows HTTP and the gateway's wire format; nothing about the wallet.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger(__name__)


class GatewayUnavailable(RuntimeError):
    """No attempt got an answer: the payment may or may not have happened."""


class GatewayConflict(RuntimeError):
    """The gateway holds this key with other terms (a bug of ours, never retried)."""


class GatewayKeyRefused(GatewayConflict):
    """The gateway refused our API key (401/403): fix CASINO_PAYMENT_GATEWAY_KEY. Never
    retried; the payment stays pending and recovery completes it once the key is right."""


@dataclass(frozen=True, slots=True)
class GatewayResult:
    approved: bool
    reference: str


@dataclass(frozen=True, slots=True)
class GatewayPolicy:
    timeout_s: float  # per attempt: connect, read and write each
    retries: int  # attempts after the first
    backoff_s: float  # before the first retry; doubled each time


class GatewayClient:
    def __init__(self, name: str, base_url: str, policy: GatewayPolicy, api_key: str) -> None:
        self.name = name
        self.policy = policy
        self.http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(policy.timeout_s),
            headers={"Authorization": f"Bearer {api_key}"},
        )

    async def close(self) -> None:
        await self.http.aclose()

    async def submit(
        self, key: str, kind: str, amount: int, currency: str, account: str
    ) -> GatewayResult:
        """Charge (kind `deposit`) or pay out (`payout`), retried with the same key."""
        body = {"key": key, "kind": kind, "amount": amount, "currency": currency}
        body["account"] = account
        reply = await self._call("POST", "/payments", body)
        if reply is None:
            raise GatewayUnavailable(f"gateway answered 404 for payment {key}")
        return reply

    async def status(self, key: str) -> GatewayResult | None:
        """What the gateway did with `key`; None when it never received that payment."""
        return await self._call("GET", f"/payments/{key}", None)

    async def _call(self, method: str, path: str, body: Any) -> GatewayResult | None:
        delay = self.policy.backoff_s
        last = "no attempt"
        for attempt in range(self.policy.retries + 1):
            if attempt:
                await asyncio.sleep(delay)
                delay *= 2
            try:
                response = await self.http.request(method, path, json=body)
            except httpx.HTTPError as error:  # timeout, refused, reply dropped mid-way
                last = type(error).__name__
                log.warning("gateway %s %s attempt %d: %s", method, path, attempt + 1, last)
                continue
            if response.status_code == 404 and method == "GET":
                return None
            if response.status_code == 409:
                raise GatewayConflict(f"gateway refused {path}: key used with other terms")
            if response.status_code in (401, 403):
                log.error(
                    "gateway %s refused our API key (HTTP %d): check CASINO_PAYMENT_GATEWAY_KEY",
                    self.name, response.status_code,
                )  # fmt: skip
                raise GatewayKeyRefused(f"gateway refused {path}: HTTP {response.status_code}")
            if response.status_code >= 500 or response.status_code == 404:
                last = f"HTTP {response.status_code}"
                log.warning("gateway %s %s attempt %d: %s", method, path, attempt + 1, last)
                continue
            if response.status_code != 200:
                raise GatewayConflict(f"gateway refused {path}: HTTP {response.status_code}")
            data = response.json()
            return GatewayResult(data.get("status") == "approved", str(data.get("reference", "")))
        raise GatewayUnavailable(
            f"gateway gave no answer after {self.policy.retries + 1} tries: {last}"
        )
