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
    # approved, declined, or not final yet: requires_action (the player completes
    # `action_url` in the browser) or processing (a bank transfer that settles later).
    status: str = "approved"
    decline_code: str | None = None
    action_url: str | None = None

    @property
    def final(self) -> bool:
        return self.status in ("approved", "declined")


class GatewayRefused(GatewayConflict):
    """The gateway refused the terms (422): an unknown card number, a refund past the
    deposit. Never retried; `reason` is the gateway's own words."""

    def __init__(self, reason: str, code: str | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True, slots=True)
class GatewayPolicy:
    timeout_s: float  # per attempt: connect, read and write each
    retries: int  # attempts after the first
    backoff_s: float  # before the first retry; doubled each time


def result_of(data: dict[str, Any]) -> GatewayResult:
    """A payment as the gateway tells it, in a reply or a webhook."""
    status = str(data.get("status", ""))
    action = data.get("action_url")
    return GatewayResult(
        status == "approved",
        str(data.get("reference", "")),
        status,
        data.get("decline_code"),
        str(action) if action else None,
    )


class GatewayClient:
    def __init__(self, name: str, base_url: str, policy: GatewayPolicy, api_key: str) -> None:
        self.name = name
        self.policy = policy
        self.http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(policy.timeout_s),
            headers={"Authorization": f"Bearer {api_key}"},
        )

    def absolute(self, path: str) -> str:
        """A page of the gateway's (the 3-D Secure challenge) as the browser opens it."""
        return path if "://" in path else str(self.http.base_url).rstrip("/") + path

    async def close(self) -> None:
        await self.http.aclose()

    async def submit(
        self,
        key: str,
        kind: str,
        amount: int,
        currency: str,
        account: str,
        method: dict[str, str] | None = None,
        return_url: str = "",
        refund_of: str | None = None,
    ) -> GatewayResult:
        """Charge (kind `deposit`), pay out (`payout`) or refund a charge (`refund`, naming
        its key in `refund_of`), retried with the same key."""
        body: dict[str, Any] = {"key": key, "kind": kind, "amount": amount, "currency": currency}
        body["account"] = account
        if method is not None:
            body["method"] = method
        if return_url:
            body["return_url"] = return_url
        if refund_of is not None:
            body["refund_of"] = refund_of
        reply = await self._call("POST", "/payments", body)
        if reply is None:
            raise GatewayUnavailable(f"gateway answered 404 for payment {key}")
        return reply

    async def status(self, key: str) -> GatewayResult | None:
        """What the gateway did with `key`; None when it never received that payment."""
        return await self._call("GET", f"/payments/{key}", None)

    async def cancel(self, key: str) -> GatewayResult:
        """Cancel a payout the bank has not paid yet (GatewayRefused when it is too late)."""
        return result_of(await self._raw("POST", f"/payments/{key}/cancel", {}))

    async def tokenise(self, number: str) -> dict[str, str]:
        """The gateway's token for a card (the number goes no further than this call)."""
        return await self._raw("POST", "/payment_methods", {"type": "card", "number": number})

    async def tokenise_account(self, kind: str, account: str) -> dict[str, str]:
        """The gateway's token and fingerprint for an e-wallet account id or an IBAN."""
        return await self._raw("POST", "/payment_methods", {"type": kind, "account": account})

    async def submit_evidence(self, dispute: str, text: str) -> dict[str, str]:
        return await self._raw("POST", f"/disputes/{dispute}/evidence", {"text": text})

    async def _raw(self, method: str, path: str, body: Any) -> dict[str, Any]:
        """One call answered with the gateway's JSON; GatewayRefused on a 422, never retried
        (both are safe to repeat by hand: a token is new, evidence is refused once given)."""
        try:
            response = await self.http.request(method, path, json=body)
        except httpx.HTTPError as error:
            raise GatewayUnavailable(f"gateway {path}: {type(error).__name__}") from None
        if response.status_code in (404, 409, 422):
            data = response.json()
            raise GatewayRefused(str(data.get("error", "refused")), data.get("code"))
        if response.status_code != 200:
            raise GatewayUnavailable(f"gateway {path}: HTTP {response.status_code}")
        found: dict[str, Any] = response.json()
        return found

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
            if response.status_code == 422:
                data = response.json()
                raise GatewayRefused(str(data.get("error", "refused")), data.get("code"))
            if response.status_code != 200:
                raise GatewayConflict(f"gateway refused {path}: HTTP {response.status_code}")
            return result_of(response.json())
        raise GatewayUnavailable(
            f"gateway gave no answer after {self.policy.retries + 1} tries: {last}"
        )
