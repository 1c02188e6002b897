"""A sandbox payment gateway: its own HTTP process, idempotent by the caller's key, with faults.

It stands in for a real acquirer so the server's payments path can be broken on
purpose. Every payment (a deposit charge or a withdrawal payout) is stored in
its own SQLite file before it is answered, so a restart keeps it; the same key
with the same terms returns the original result, with other terms 409. A test
sets a fault at run time with `POST /admin/faults` (`slow`, `dead`,
`lose_reply`, `decline`, or `none`), optionally for a number of calls only.

Like a processor's test environment, it takes test keys only: `/payments` calls
(not `/health`, nor the tests' `/admin/faults`) need `Authorization: Bearer
<key>` with the key it was started with (`SANDBOX_GATEWAY_KEY` in its
environment, never on the command line where `ps` shows it; default the
published `sk_test_sandbox`), which must start with `sk_test_`; a live key
(`sk_live_...`) is refused by name, as a sign that a server meant for real
money is talking to a sandbox. With
`--daily-deposit-limit N` it declines a deposit that would take one account's
approved deposits in the last 24 hours past N, so play money stays bounded.
It never moves real money; bind it to 127.0.0.1.

A payment may also name a method, as a processor's test mode does:
`{"type": "card", "token": "pm_..."}` (a card tokenised by `POST
/payment_methods`; the test number picks the outcome, see `CARDS`; an e-wallet
account id or an IBAN is tokenised the same way, `{"type": "ewallet" or
"bank_transfer", "account": ...}`, for its fingerprint: one account, one
fingerprint, as for a card), `{"type":
"ewallet"}` (the player approves it on the gateway's page) or `{"type":
"bank_transfer"}` (`processing` until it settles: `POST /admin/settle/{key}`,
or by itself after `--transfer-settle-s`). A payment goes `requires_action`
(3-D Secure, or the e-wallet's approval: the player completes `action_url` in
the browser, which then returns to the payment's `return_url`) and then
`approved` or `declined` (with a `decline_code`). Every change is told by a
signed webhook (clients/sandbox_webhooks.py). The dispute card's charge is
disputed at once: `needs_response`; evidence (`POST /disputes/{id}/evidence`)
puts it `under_review` and closes it `won` when the text holds
`winning_evidence`, else `lost` (Stripe's test convention); `POST
/admin/disputes/{id}/close` closes it unanswered. A `refund` (kind) of an
approved deposit (`refund_of` its key) is paid at once, up to what is left. A payout
to a bank account stays `processing` until it settles; `POST /payments/{key}/cancel`
cancels it until then (declined: `cancelled`).

    python -m clients.sandbox_gateway --port 8100 [--db PATH] [--host H]
        [--daily-deposit-limit N] [--webhook-url URL] [--transfer-settle-s S]
        [--webhook-mode normal|duplicate|hold|reverse|chaos]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import os
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from clients import sandbox_listen
from clients.sandbox_gateway_store import Ledger
from clients.sandbox_webhooks import MODES, Outbox, running

KINDS = ("deposit", "payout", "refund")
METHODS = ("card", "ewallet", "bank_transfer")
# Test card numbers -> (status, decline code, disputed after success), as processors publish.
CARDS: dict[str, tuple[str, str | None, bool]] = {
    "4242424242424242": ("approved", None, False),
    "4000000000000002": ("declined", "generic_decline", False),
    "4000000000009995": ("declined", "insufficient_funds", False),
    "4000000000000069": ("declined", "expired_card", False),
    "4000000000003220": ("requires_action", None, False),
    "4000000000000259": ("approved", None, True),
}
# The published key of a gateway started without one; the server's default in sandbox mode
# (server/config.py SANDBOX_GATEWAY_KEY holds the same, tests hold them equal).
DEFAULT_KEY = "sk_test_sandbox"
TEST_KEY_PREFIX = "sk_test_"
LIVE_KEY_PREFIX = "sk_live_"
FAULTS = ("none", "slow", "dead", "lose_reply", "decline")


class LostReply(Exception):
    """Raised after the response has started, so uvicorn drops the connection mid-reply."""


@dataclass(slots=True)
class Fault:
    mode: str = "none"
    delay_ms: int = 0
    remaining: int = -1  # calls the fault still applies to; -1 until cleared

    def take(self) -> str:
        """The fault for this call, counting it down."""
        if self.mode == "none" or self.remaining == 0:
            return "none"
        if self.remaining > 0:
            self.remaining -= 1
        return self.mode


TERMS = ("key", "kind", "amount", "currency", "account")  # what a replayed key must repeat


def _json(data: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(data), status, media_type="application/json")


def _terms(data: Any) -> dict[str, Any] | str:
    """The payment's terms, or what is wrong with them."""
    if not isinstance(data, dict):
        return "body must be a JSON object"
    key, kind, amount = data.get("key"), data.get("kind"), data.get("amount")
    currency, account = data.get("currency"), data.get("account")
    if not isinstance(key, str) or not 1 <= len(key) <= 128:
        return "key must be 1-128 characters"
    if kind not in KINDS:
        return f"kind must be one of {', '.join(KINDS)}"
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        return "amount must be a positive integer"
    if not isinstance(currency, str) or len(currency) != 3:
        return "currency must be an ISO 4217 code"
    if not isinstance(account, str) or not 1 <= len(account) <= 128:
        return "account must be 1-128 characters"
    terms: dict[str, Any] = {
        "key": key, "kind": kind, "amount": amount, "currency": currency, "account": account,
    }  # fmt: skip
    method, return_url = data.get("method"), data.get("return_url", "")
    if not isinstance(return_url, str) or len(return_url) > 500:
        return "return_url must be a URL"
    terms["return_url"] = return_url
    if kind == "refund":
        if not isinstance(data.get("refund_of"), str):
            return "a refund names the deposit's key in refund_of"
        terms["refund_of"] = data["refund_of"]
    elif method is not None:
        if not isinstance(method, dict) or method.get("type") not in METHODS:
            return f"method.type must be one of {', '.join(METHODS)}"
        terms["method"] = method["type"]
        if method["type"] == "card":
            if not isinstance(method.get("token"), str):
                return "a card payment names its token (POST /payment_methods)"
            terms["token"] = method["token"]
    return terms


# Methods whose instrument is an account: the e-wallet's account id, the bank's IBAN.
ACCOUNT_METHODS = ("ewallet", "bank_transfer")


def account_of(kind: str, raw: object) -> str | None:
    """An e-wallet account id or IBAN as the fingerprint reads it (an IBAN without spaces in
    capitals, an account id in lower case: one account however it is typed), or None when
    it is none."""
    if not isinstance(raw, str):
        return None
    account = "".join(raw.split())
    account = account.upper() if kind == "bank_transfer" else account.lower()
    return account if 4 <= len(account) <= 64 and account.isascii() else None


def key_refusal(header: str, key: str) -> str | None:
    """Why an Authorization header does not carry this gateway's key, or None."""
    scheme, _, given = header.partition(" ")
    given = given.strip()
    if scheme.lower() != "bearer" or not given:
        return "send Authorization: Bearer <your sk_test_ key>"
    if given.startswith(LIVE_KEY_PREFIX):
        return "a live key (sk_live_...) was sent to the sandbox gateway, which takes test keys"
    if not hmac.compare_digest(given.encode(), key.encode()):
        return "unknown API key"
    return None


def _event_of(payment: dict[str, Any]) -> str:
    kind = "refund" if payment["kind"] == "refund" else "payment"
    return f"{kind}.{STATUS_EVENTS[payment['status']]}"


STATUS_EVENTS = {
    "approved": "succeeded", "declined": "failed",
    "requires_action": "requires_action", "processing": "processing",
}  # fmt: skip
CHALLENGE_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<title>{title}</title><link rel="icon" href="data:,"></head><body><main>
<h1>{title}</h1><p>Sandbox: {amount} {currency} minor units, payment {reference}.</p>
<form method="post"><button name="outcome" value="complete" id="complete">{ok}</button>
<button name="outcome" value="fail" id="fail">{fail}</button></form></main></body></html>"""


def create_app(
    db_path: Path,
    key: str = DEFAULT_KEY,
    daily_deposit_limit: int | None = None,
    webhook_url: str = "",
    transfer_settle_s: float = 30.0,
    webhook_mode: str = "normal",
) -> Starlette:
    if not key.startswith(TEST_KEY_PREFIX):
        raise ValueError("the sandbox gateway takes an sk_test_ key only")
    ledger = Ledger(db_path)
    outbox = Outbox(ledger.conn, ledger.lock)
    outbox.delivery.url = webhook_url
    outbox.delivery.mode = webhook_mode
    if secrets := os.environ.get("SANDBOX_WEBHOOK_SECRETS"):
        outbox.delivery.secrets = [s for s in secrets.split(",") if s]
    fault = Fault()

    def refused(request: Request) -> Response | None:
        reason = key_refusal(request.headers.get("authorization", ""), key)
        return None if reason is None else _json({"error": reason}, 401)

    def tell(payment: dict[str, Any]) -> None:
        """The webhooks of a payment's new state (and of the dispute its card brings)."""
        data = {k: v for k, v in payment.items() if k != "token"}
        outbox.enqueue(_event_of(payment), data)
        if payment["status"] == "approved" and payment["method"] == "card":
            number = ledger.card_number(payment["token"]) or ""
            if CARDS.get(number, ("", None, False))[2]:
                outbox.enqueue("dispute.created", ledger.open_dispute(payment))

    def outcome(terms: dict[str, Any], mode: str) -> tuple[str, str | None] | str:
        """The new payment's status and decline code, or what is wrong with it."""
        if terms["kind"] == "refund":
            charge = ledger.find(terms["refund_of"])
            if charge is None or (charge["kind"], charge["status"]) != ("deposit", "approved"):
                return "refund_of names no approved deposit"
            left = charge["amount"] - ledger.refunded(charge["key"])
            if terms["currency"] != charge["currency"] or terms["amount"] > left:
                return f"at most {left} {charge['currency']} of this deposit may be refunded"
            return ("approved", None)
        if mode == "decline":
            return ("declined", "generic_decline")
        method = terms.get("method", "")
        if terms["kind"] == "payout":  # a payout to a bank settles later; others at once
            return ("processing" if method == "bank_transfer" else "approved", None)
        if method == "card":
            number = ledger.card_number(terms["token"])
            if number is None:
                return "unknown payment method token"
            status, code, _ = CARDS[number]
            return (status, code)
        if method == "ewallet" and terms["kind"] == "deposit":
            return ("requires_action", None)
        if method == "bank_transfer":
            return ("processing", None)
        return ("approved", None)

    def create(terms: dict[str, Any], mode: str) -> dict[str, Any] | str:
        found = ledger.find(terms["key"])
        if found is not None:
            return found
        decided = outcome(terms, mode)
        if isinstance(decided, str):
            return decided
        status, code = decided
        limit = daily_deposit_limit if status == "approved" else None
        found = ledger.record(terms, status, limit, code)
        tell(found)
        return found

    async def pay(request: Request) -> Response:
        if (refusal := refused(request)) is not None:
            return refusal
        mode = fault.take()
        if mode == "dead":
            return _json({"error": "gateway unavailable"}, 503)
        try:
            terms = _terms(msgspec.json.decode(await request.body()))
        except msgspec.DecodeError:
            terms = "body must be JSON"
        if isinstance(terms, str):
            return _json({"error": terms}, 422)
        found = await asyncio.to_thread(create, terms, mode)
        if isinstance(found, str):
            return _json({"error": found}, 422)
        if any(found[name] != terms[name] for name in TERMS):
            return _json({"error": "key used before with other terms"}, 409)
        if mode == "slow":  # the work is done; only the answer is late
            await asyncio.sleep(fault.delay_ms / 1000)
        if mode == "lose_reply":
            request.scope["casino.lose_reply"] = True
        return _json(_public(found))

    async def status(request: Request) -> Response:
        if (refusal := refused(request)) is not None:
            return refusal
        if fault.take() == "dead":
            return _json({"error": "gateway unavailable"}, 503)
        found = await asyncio.to_thread(ledger.find, request.path_params["key"])
        return _json(_public(found)) if found else _json({"error": "no payment with this key"}, 404)

    async def cancel(request: Request) -> Response:
        """A payout the bank has not paid yet is cancelled (declined: `cancelled`)."""
        if (refusal := refused(request)) is not None:
            return refusal
        found = await asyncio.to_thread(ledger.find, request.path_params["key"])
        if found is None or found["kind"] != "payout":
            return _json({"error": "no payout with this key"}, 404)
        moved = await asyncio.to_thread(finish, found["key"], "declined", "cancelled")
        if moved is None:
            return _json({"error": f"too late: the payout is {found['status']}"}, 409)
        return _json(_public(moved))

    async def tokenise(request: Request) -> Response:
        if (refusal := refused(request)) is not None:
            return refusal
        data = msgspec.json.decode(await request.body())
        if not isinstance(data, dict):
            return _json({"error": "a JSON object", "code": "invalid_request"}, 422)
        if data.get("type") in ACCOUNT_METHODS:
            account = account_of(data["type"], data.get("account"))
            if account is None:
                return _json({"error": "not an account id", "code": "invalid_account"}, 422)
            return _json(await asyncio.to_thread(ledger.tokenise, data["type"], account))
        number = data.get("number")
        if not isinstance(number, str) or number not in CARDS:
            return _json({"error": "not a test card number", "code": "invalid_number"}, 422)
        return _json(await asyncio.to_thread(ledger.tokenise, "card", number))

    def finish(payment_key: str, status: str, code: str | None) -> dict[str, Any] | None:
        if not ledger.move(payment_key, status, code, daily_deposit_limit):
            return None
        moved = ledger.find(payment_key)
        assert moved is not None
        tell(moved)
        return moved

    async def challenge(request: Request) -> Response:
        found = await asyncio.to_thread(ledger.find, request.path_params["reference"], "reference")
        if found is None:
            return _json({"error": "no such payment"}, 404)
        if request.method == "GET":
            if found["status"] != "requires_action":
                return _json({"error": f"payment is {found['status']}"}, 409)
            wallet = found["method"] == "ewallet"
            page = CHALLENGE_PAGE.format(
                title="Sandbox e-wallet: approve payment" if wallet else "3-D Secure test page",
                amount=found["amount"], currency=found["currency"],
                reference=found["reference"],
                ok="Approve" if wallet else "Complete authentication",
                fail="Cancel" if wallet else "Fail authentication",
            )  # fmt: skip
            return Response(page, media_type="text/html")
        # The page's form, parsed by hand: Starlette's form parser needs python-multipart.
        form = urllib.parse.parse_qs((await request.body()).decode(errors="replace"))
        ok = form.get("outcome") == ["complete"]
        await asyncio.to_thread(
            finish, found["key"], "approved" if ok else "declined",
            None if ok else "authentication_failed",
        )  # fmt: skip
        if found["return_url"]:
            return Response(status_code=303, headers={"Location": found["return_url"]})
        return Response("done", media_type="text/plain")

    async def settle(request: Request) -> Response:
        data = msgspec.json.decode(await request.body() or b"{}")
        ok = not isinstance(data, dict) or data.get("outcome", "approved") == "approved"
        moved = await asyncio.to_thread(
            finish, request.path_params["key"], "approved" if ok else "declined",
            None if ok else "transfer_returned",
        )  # fmt: skip
        return _json(
            _public(moved) if moved else {"error": "nothing to settle"}, 200 if moved else 409
        )

    async def evidence(request: Request) -> Response:
        if (refusal := refused(request)) is not None:
            return refusal
        data = msgspec.json.decode(await request.body())
        text = data.get("text") if isinstance(data, dict) else None
        found = await asyncio.to_thread(ledger.dispute, request.path_params["dispute_id"])
        if found is None:
            return _json({"error": "no such dispute"}, 404)
        if not isinstance(text, str) or not 1 <= len(text) <= 10_000:
            return _json({"error": "text must be 1-10000 characters"}, 422)
        if found["status"] != "needs_response":
            return _json({"error": f"dispute is {found['status']}"}, 409)
        await asyncio.to_thread(close_dispute, found, "under_review", text)
        outcome = "won" if "winning_evidence" in text else "lost"
        return _json(await asyncio.to_thread(close_dispute, found, outcome, None))

    def close_dispute(found: dict[str, Any], status: str, text: str | None) -> dict[str, Any]:
        ledger.dispute_to(found["id"], status, text)
        now = {**found, "status": status}
        outbox.enqueue("dispute.closed" if status in ("won", "lost") else "dispute.updated", now)
        return now

    async def close_unanswered(request: Request) -> Response:
        data = msgspec.json.decode(await request.body() or b"{}")
        status = data.get("outcome", "lost") if isinstance(data, dict) else "lost"
        found = await asyncio.to_thread(ledger.dispute, request.path_params["dispute_id"])
        if found is None or status not in ("won", "lost"):
            return _json({"error": "no such dispute, or outcome not won/lost"}, 422)
        return _json(await asyncio.to_thread(close_dispute, found, status, None))

    async def webhooks(request: Request) -> Response:
        if request.method == "GET":
            return _json({"webhooks": await asyncio.to_thread(outbox.listing)})
        data = msgspec.json.decode(await request.body())
        if not isinstance(data, dict) or data.get("mode", "normal") not in MODES:
            return _json({"error": f"mode must be one of {', '.join(MODES)}"}, 422)
        delivery = outbox.delivery
        delivery.mode = str(data.get("mode", delivery.mode))
        delivery.url = str(data.get("url", delivery.url))
        delivery.secrets = [str(s) for s in data.get("secrets", delivery.secrets)]
        return _json({"mode": delivery.mode, "url": delivery.url})

    async def set_fault(request: Request) -> Response:
        data = msgspec.json.decode(await request.body())
        if not isinstance(data, dict) or data.get("mode") not in FAULTS:
            return _json({"error": f"mode must be one of {', '.join(FAULTS)}"}, 422)
        fault.mode = str(data["mode"])
        fault.delay_ms = int(data.get("delay_ms", 0))
        fault.remaining = int(data.get("times", -1))
        return _json({"mode": fault.mode, "delay_ms": fault.delay_ms, "times": fault.remaining})

    async def health(request: Request) -> Response:
        return _json({"status": "ok"})

    async def settle_transfers() -> None:
        """Bank transfers settle by themselves after a while, as real ones do after days."""
        while True:
            await asyncio.sleep(0.5)
            cutoff = int((time.time() - transfer_settle_s) * 1000)
            for payment_key in await asyncio.to_thread(ledger.unsettled, cutoff):
                await asyncio.to_thread(finish, payment_key, "approved", None)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        settler = asyncio.create_task(settle_transfers())
        async with running(outbox):
            yield
        settler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await settler

    app = Starlette(
        routes=[
            Route("/payments", pay, methods=["POST"]),
            Route("/payments/{key}", status, methods=["GET"]),
            Route("/payments/{key}/cancel", cancel, methods=["POST"]),
            Route("/payment_methods", tokenise, methods=["POST"]),
            Route("/challenge/{reference}", challenge, methods=["GET", "POST"]),
            Route("/disputes/{dispute_id}/evidence", evidence, methods=["POST"]),
            Route("/admin/disputes/{dispute_id}/close", close_unanswered, methods=["POST"]),
            Route("/admin/settle/{key}", settle, methods=["POST"]),
            Route("/admin/webhooks", webhooks, methods=["GET", "POST"]),
            Route("/admin/faults", set_fault, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    return _LoseReply(app)  # type: ignore[return-value]


def _public(payment: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payment.items() if k not in ("token", "return_url")}


class _LoseReply:
    """Sends the status line and headers, then fails: uvicorn closes the socket mid-reply,
    so the caller learns nothing although the payment was done."""

    def __init__(self, app: Starlette) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_or_drop(message: Message) -> None:
            if message["type"] == "http.response.body" and scope.get("casino.lose_reply"):
                raise LostReply("reply dropped on purpose")
            await send(message)

        # uvicorn sees an incomplete response and closes the connection.
        with contextlib.suppress(LostReply):
            await self.app(scope, receive, send_or_drop)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sandbox_listen.add_arguments(parser)
    parser.add_argument("--db", type=Path, default=Path("sandbox_gateway.db"))
    parser.add_argument(
        "--daily-deposit-limit",
        type=int,
        default=None,
        help="decline deposits past this many minor units per account in 24 hours",
    )
    parser.add_argument("--webhook-url", default="", help="where webhooks are delivered")
    parser.add_argument(
        "--transfer-settle-s", type=float, default=30.0, help="a bank transfer settles after"
    )
    parser.add_argument(
        "--webhook-mode", choices=MODES, default="normal", help="how webhooks are delivered"
    )
    args = parser.parse_args(argv)
    key = os.environ.get("SANDBOX_GATEWAY_KEY") or DEFAULT_KEY
    if not key.startswith(TEST_KEY_PREFIX):
        parser.error("SANDBOX_GATEWAY_KEY must be a test key (sk_test_...)")
    app = create_app(
        args.db, key, args.daily_deposit_limit, args.webhook_url, args.transfer_settle_s,
        args.webhook_mode,
    )  # fmt: skip
    sandbox_listen.serve(app, args)


if __name__ == "__main__":
    main()
