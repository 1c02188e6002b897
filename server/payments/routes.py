"""HTTP routes of payments: deposits and withdrawals through the gateway, their status, the
player's saved methods, and the gateway's signed webhooks."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from protocol.errors import ErrorCode, Refused
from server.api_docs.parts import BACKEND_ERRORS, obj, operation, query_limit, reply
from server.context import Services
from server.observability import log_context
from server.payments import instruments, webhooks
from server.payments.gateway import GatewayRefused, GatewayUnavailable
from server.payments.methods import TYPES, Method
from server.payments.runtime import PaymentsRuntime
from server.payments.service import Payments, Receipt
from server.web import current_player, json_body, json_response, status_of

log = logging.getLogger(__name__)

MAX_KEY_LENGTH = 128
MAX_LIST = 100
MAX_ID = 2**63 - 1


MAX_WEBHOOK_BYTES = 65536
LABELS = {"ewallet": "Sandbox e-wallet", "bank_transfer": "Bank transfer"}
ACCOUNT_LABELS = {"ewallet": "E-wallet", "bank_transfer": "Bank account"}


def _runtime(request: Request) -> PaymentsRuntime:
    runtime: PaymentsRuntime | None = getattr(request.app.state, "payments", None)
    if runtime is None:
        raise Refused(
            ErrorCode.PAYMENTS_UNAVAILABLE,
            "no payment gateway is configured (CASINO_PAYMENT_GATEWAY_URL)",
        )
    return runtime


def payments_of(request: Request) -> Payments:
    return _runtime(request).payments


async def _card(payments: Payments, player_id: int, number: object) -> Method:
    """Tokenise a card at the gateway and save the token; the number is not kept or logged."""
    if not isinstance(number, str) or not number.isascii() or not number.isdigit():
        raise Refused(ErrorCode.INVALID_PAYMENT_METHOD, "card_number must be digits only")
    try:
        token = await payments.gateway.tokenise(number)
    except GatewayRefused as refused:
        raise Refused(ErrorCode.INVALID_PAYMENT_METHOD, refused.reason) from None
    except GatewayUnavailable:
        raise Refused(ErrorCode.GATEWAY_UNAVAILABLE, "the gateway did not answer") from None
    label = f"Card ending {token['last4']}"
    fingerprint = str(token.get("fingerprint", ""))[:64]  # older gateways give none
    return await payments.methods.save(player_id, "card", str(token["token"]), label, fingerprint)


async def _account(payments: Payments, player_id: int, kind: str, raw: object) -> Method:
    """Tokenise an e-wallet account id or an IBAN at the gateway, for its fingerprint (the
    fraud monitor links accounts paying from one), and save the token."""
    account = instruments.iban(raw) if kind == "bank_transfer" else instruments.wallet_account(raw)
    try:
        token = await payments.gateway.tokenise_account(kind, account)
    except GatewayRefused as refused:
        raise Refused(ErrorCode.INVALID_PAYMENT_METHOD, refused.reason) from None
    except GatewayUnavailable:
        raise Refused(ErrorCode.GATEWAY_UNAVAILABLE, "the gateway did not answer") from None
    label = f"{ACCOUNT_LABELS[kind]} ending {instruments.last4(account)}"
    fingerprint = str(token.get("fingerprint", ""))[:64]
    return await payments.methods.save(player_id, kind, str(token["token"]), label, fingerprint)


async def _method(payments: Payments, player_id: int, data: dict[str, Any]) -> Method | None:
    """The method a payment names: a saved one (`method_id`), a new card (`card_number`),
    the e-wallet or bank transfer (`method`, with the `account` it pays from: the wallet's
    account id or the IBAN), or none (the plain sandbox)."""
    if "card_number" in data:
        return await _card(payments, player_id, data["card_number"])
    kind = data.get("method")
    if kind in ("ewallet", "bank_transfer") and data.get("account") is not None:
        return await _account(payments, player_id, kind, data["account"])
    if kind in ("ewallet", "bank_transfer"):
        return await payments.methods.save(player_id, kind, kind, LABELS[kind])
    if kind is not None:
        raise Refused(ErrorCode.INVALID_PAYMENT_METHOD, "method is ewallet or bank_transfer")
    method_id = data.get("method_id")
    if method_id is None:
        return None
    found = None
    if isinstance(method_id, int) and not isinstance(method_id, bool) and 0 < method_id <= MAX_ID:
        found = await payments.methods.get(player_id, method_id)
    if found is None:
        raise Refused(ErrorCode.INVALID_PAYMENT_METHOD, "no saved method of yours has this id")
    return found


async def _terms(request: Request, currency: str, limit: int) -> tuple[int, str, dict[str, Any]]:
    data = await json_body(request)
    amount = data.get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise Refused(ErrorCode.INVALID_AMOUNT, "amount must be a positive integer in minor units")
    if amount > limit:
        raise Refused(
            ErrorCode.INVALID_AMOUNT,
            f"a payment is at most {limit}",
            params={"variant": "payment_max", "maximum": limit, "currency": currency},
        )
    if data.get("currency", currency) != currency:
        raise Refused(
            ErrorCode.WRONG_CURRENCY,
            f"this wallet holds {currency}",
            params={"currency": currency},
        )
    # A flag or code of the wrong type is refused, not read as "absent": a client that sent
    # `forfeit_bonus: [true]` meant something and must hear that it was not understood.
    for name, kind in (("forfeit_bonus", bool), ("code", str)):
        if name in data and not isinstance(data[name], kind):
            raise Refused(ErrorCode.VALIDATION_FAILED, f"{name} must be a {kind.__name__}")
    key = request.headers.get("idempotency-key")
    if not key or not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise Refused(
            ErrorCode.VALIDATION_FAILED,
            f"an Idempotency-Key header (1-{MAX_KEY_LENGTH} characters) is required",
        )
    return amount, key, data


def payment_reply(receipt: Receipt, extra: dict[str, Any] | None = None) -> Response:
    body = {**receipt.payment.public(), "balance": receipt.balance, "replayed": not receipt.created}
    body.update(extra or {})
    if not receipt.created:
        return json_response(body, 200)
    return json_response(body, 202 if receipt.payment.status == "pending" else 201)


async def _payment(request: Request, kind: str) -> Response:
    """A deposit or withdrawal request: the player, the terms, then the payment."""
    services: Services = request.app.state.services
    player = await current_player(request)
    payments = payments_of(request)
    amount, key, data = await _terms(request, player.currency, services.settings.max_deposit)
    log_context.bind(player_id=player.id, transaction_id=f"payment-key:{key}")
    if kind == "withdrawal":
        if "card_number" in data or "method" in data:
            raise Refused(ErrorCode.INVALID_PAYMENT_METHOD, "a withdrawal names a saved method_id")
        method = await _method(payments, player.id, data)
        # `forfeit_bonus: true` confirms leaving an active bonus (BONUS_FORFEIT_REQUIRED else).
        forfeit = data.get("forfeit_bonus") is True
        # `code`: the two-factor code, asked for (TWO_FACTOR_REQUIRED) by a new method.
        code = data.get("code")
        return payment_reply(
            await payments.withdraw(player.id, player.currency, amount, key, method, forfeit, code)
        )
    earlier = await payments.store.by_key(player.id, "deposit", key)
    if earlier is not None:  # a retry: the card is not tokenised again (a new token would
        # make the same request look like other terms); the terms are compared as they are
        method = None
        if earlier.method_id is not None:
            method = await payments.methods.get(player.id, earlier.method_id)
    else:
        method = await _method(payments, player.id, data)
    # After a 3-D Secure or e-wallet page the browser comes back to the cashier.
    back = f"{str(request.base_url).rstrip('/')}/#cashier"
    receipt = await payments.deposit(player.id, player.currency, amount, key, method, back)
    profile = services.profiles.for_country(player.country)
    return payment_reply(
        receipt, {"limit_prompt": await services.rg.limit_prompt(player.id, profile)}
    )


async def deposit(request: Request) -> Response:
    return await _payment(request, "deposit")


async def withdraw(request: Request) -> Response:
    return await _payment(request, "withdrawal")


async def one(request: Request) -> Response:
    player = await current_player(request)
    payments = payments_of(request)
    payment_id = int(request.path_params["payment_id"])
    # Ids are SQLite's 64-bit integers: a larger one names no payment (and would overflow).
    payment = None if payment_id > MAX_ID else await payments.get(player.id, payment_id)
    if payment is None:
        raise Refused(ErrorCode.NOT_FOUND, "no such payment")
    return json_response(payment.public())


async def listing(request: Request) -> Response:
    player = await current_player(request)
    payments = payments_of(request)
    raw = request.query_params.get("limit", "20")
    # isascii: str.isdigit() also accepts digits such as "²" that int() refuses.
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIST:
        raise Refused(ErrorCode.VALIDATION_FAILED, f"limit must be 1-{MAX_LIST}")
    found = await payments.store.of_player(player.id, int(raw))
    return json_response({"payments": [p.public() for p in found]})


async def cancel(request: Request) -> Response:
    player = await current_player(request)
    payment_id = int(request.path_params["payment_id"])
    if payment_id > MAX_ID:
        raise Refused(ErrorCode.NOT_FOUND, "no such payment")
    payment = await payments_of(request).cancel(player.id, payment_id)
    return json_response(payment.public())


async def methods(request: Request) -> Response:
    player = await current_player(request)
    if request.method == "GET" and getattr(request.app.state, "payments", None) is None:
        # The cashier asks here first: without a gateway it shows no payment forms.
        return json_response({"available": False, "methods": [], "types": []})
    payments = payments_of(request)
    if request.method == "POST":
        data = await json_body(request)
        saved = await _card(payments, player.id, data.get("card_number"))
        return json_response(saved.public(), 201)
    found = await payments.methods.of_player(player.id)
    return json_response(
        {"available": True, "methods": [m.public() for m in found], "types": list(TYPES)}
    )


async def webhook(request: Request) -> Response:
    """The gateway's signed news. Verified before anything is read from it; a refused one
    moves nothing and is logged with why. 200 once applied; a failure while applying
    answers 500, so the gateway delivers it again (every step is idempotent)."""
    runtime = _runtime(request)
    body = await request.body()
    try:
        if len(body) > MAX_WEBHOOK_BYTES:
            raise webhooks.BadSignature(f"body of {len(body)} bytes is over the limit")
        webhooks.verify(request.headers.get(webhooks.HEADER), body, runtime.webhook_secrets)
        event = msgspec.json.decode(body)
        if not isinstance(event, dict) or not isinstance(event.get("id"), str):
            raise webhooks.BadSignature("signed, but not an event object")
    except (webhooks.BadSignature, msgspec.DecodeError) as refused:
        address = request.client.host if request.client else "?"
        log.warning("webhook refused from %s: %s", address, refused)
        raise Refused(ErrorCode.WEBHOOK_SIGNATURE_INVALID, "webhook refused") from None
    await runtime.payments.store.record_webhook(event["id"], str(event.get("type", "")))
    outcome = await runtime.payments.apply_event(event)
    await runtime.payments.store.webhook_applied(event["id"])
    log.info("webhook %s %s: %s", event["id"], event.get("type"), outcome)
    return json_response({"received": True})


routes = [
    Route("/api/payments/webhooks", webhook, methods=["POST"]),
    Route("/api/payments/methods", methods, methods=["GET", "POST"]),
    Route("/api/payments/deposits", deposit, methods=["POST"]),
    Route("/api/payments/withdrawals", withdraw, methods=["POST"]),
    Route("/api/payments/{payment_id:int}", one, methods=["GET"]),
    Route("/api/payments/{payment_id:int}/cancel", cancel, methods=["POST"]),
    Route("/api/payments", listing, methods=["GET"]),
]


_PAYMENT = {
    "payment_id": {"type": "integer", "minimum": 1},
    "kind": {"enum": ["deposit", "withdrawal", "refund"]},
    "status": {"enum": ["pending", "completed", "declined", "refused"]},
    "amount": {"type": "integer", "minimum": 1},
    "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
    "gateway": {"type": "string"},
    "gateway_reference": {"type": ["string", "null"]},
    "error_code": {"type": ["string", "null"]},
    "created_at": {"type": "integer"},
    "updated_at": {"type": "integer"},
    "method_id": {"type": ["integer", "null"]},
    "gateway_status": {"enum": ["requires_action", "processing", None]},
    "action_url": {"type": ["string", "null"]},
    "decline_code": {"type": ["string", "null"]},
}
OUTCOME = obj(
    {**_PAYMENT, "balance": {"type": "integer", "minimum": 0}, "replayed": {"type": "boolean"}},
    [*_PAYMENT, "balance", "replayed"],
)
_UNAVAILABLE = {ErrorCode.PAYMENTS_UNAVAILABLE: 503}


_METHOD = obj(
    {
        "method_id": {"type": "integer", "minimum": 1},
        "type": {"enum": list(TYPES)},
        "label": {"type": "string"},
    },
    ["method_id", "type", "label"],
)


def _payment_call(
    kind: str,
    summary: str,
    refusals: list[ErrorCode],
    body: dict[str, Any],
    others: list[ErrorCode],
) -> dict[str, Any]:
    return operation(
        f"payment_{kind}",
        summary,
        tag="Payments",
        auth=True,
        description="Idempotent by key: the same key and terms again answers 200 with"
        " `replayed: true`; other terms are IDEMPOTENCY_CONFLICT. An outcome the gateway"
        " has not told yet is 202 `pending` (with `gateway_status`; `requires_action`: send"
        " the player to `action_url`), completed by the gateway's webhook or the recovery"
        " pass.",
        parameters=[
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": True,
                "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
            }
        ],
        body=obj(
            {
                "amount": {"type": "integer", "minimum": 1, "maximum": 100_000_000},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "forfeit_bonus": {
                    "type": "boolean",
                    "description": "withdrawal only: confirms leaving an active bonus",
                },
                "method_id": {"type": "integer", "minimum": 1},
                **body,
            },
            ["amount"],
        ),
        responses={
            "201": reply("completed, declined or refused by the gateway", OUTCOME),
            "202": reply("pending: the gateway's answer is not known yet", OUTCOME),
            "200": reply("replayed", OUTCOME),
        },
        errors=[
            ErrorCode.INVALID_AMOUNT,
            ErrorCode.WRONG_CURRENCY,
            ErrorCode.VALIDATION_FAILED,
            ErrorCode.IDEMPOTENCY_CONFLICT,
            *refusals,
            *others,
            ErrorCode.INVALID_PAYMENT_METHOD,
            ErrorCode.PAYMENTS_UNAVAILABLE,
            *BACKEND_ERRORS,
        ],
        statuses={**_UNAVAILABLE, **{code: status_of(code) for code in refusals}},
    )


OPENAPI_PATHS: dict[str, Any] = {
    "/api/payments/deposits": {
        "post": _payment_call(
            "deposit",
            "Deposit through the payment gateway (the reply's `limit_prompt`: ask for a limit)",
            [ErrorCode.KYC_REQUIRED, ErrorCode.DEPOSIT_LIMIT_REACHED, ErrorCode.PLAY_BLOCKED],
            {
                "card_number": {"type": "string", "description": "a new card, tokenised"},
                "method": {"enum": ["ewallet", "bank_transfer"]},
                "account": {
                    "type": "string",
                    "description": "with `method`: the e-wallet's account id (an email"
                    " address) or the bank account's IBAN, tokenised",
                },
            },
            [ErrorCode.GATEWAY_UNAVAILABLE],
        )
    },
    "/api/payments/{payment_id}/cancel": {
        "post": operation(
            "payment_cancel",
            "Cancel a withdrawal still with the bank (where the jurisdiction allows it)",
            tag="Payments",
            auth=True,
            parameters=[
                {
                    "name": "payment_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 0},
                }
            ],
            responses={
                "200": reply("the payment, declined: cancelled", obj(_PAYMENT, list(_PAYMENT)))
            },
            errors=[
                ErrorCode.NOT_FOUND,
                ErrorCode.CANCEL_NOT_ALLOWED,
                ErrorCode.GATEWAY_UNAVAILABLE,
                ErrorCode.PAYMENTS_UNAVAILABLE,
                *BACKEND_ERRORS,
            ],
            statuses=_UNAVAILABLE,
        )
    },
    "/api/payments/methods": {
        "get": operation(
            "payment_methods",
            "The player's saved payment methods (never a card number); `available: false`"
            " when no gateway is configured",
            tag="Payments",
            auth=True,
            responses={
                "200": reply(
                    "methods",
                    obj(
                        {
                            "available": {"type": "boolean"},
                            "methods": {"type": "array", "items": _METHOD},
                            "types": {"type": "array", "items": {"enum": list(TYPES)}},
                        },
                        ["available", "methods", "types"],
                    ),
                )
            },
            errors=[ErrorCode.PAYMENTS_UNAVAILABLE, *BACKEND_ERRORS],
            statuses=_UNAVAILABLE,
        ),
        "post": operation(
            "payment_method_save",
            "Save a card: the gateway tokenises it; only its token and last digits are kept",
            tag="Payments",
            auth=True,
            body=obj({"card_number": {"type": "string"}}, ["card_number"]),
            responses={"201": reply("the saved method", _METHOD)},
            errors=[
                ErrorCode.INVALID_PAYMENT_METHOD,
                ErrorCode.GATEWAY_UNAVAILABLE,
                ErrorCode.PAYMENTS_UNAVAILABLE,
                *BACKEND_ERRORS,
            ],
            statuses=_UNAVAILABLE,
        ),
    },
    "/api/payments/webhooks": {
        "post": operation(
            "payment_webhook",
            "The gateway's signed event (Gateway-Signature: t=...,v1=...)",
            tag="Payments",
            description="Verified before it is read: unsigned, stale (300 s) or forged is"
            " WEBHOOK_SIGNATURE_INVALID, moves nothing and is logged. Applying is idempotent,"
            " in any order; a failure answers 500 so the gateway delivers again.",
            body=obj({"id": {"type": "string"}, "type": {"type": "string"}}, ["id", "type"]),
            responses={"200": reply("applied", obj({"received": {"const": True}}, ["received"]))},
            errors=[
                ErrorCode.WEBHOOK_SIGNATURE_INVALID,
                ErrorCode.PAYMENTS_UNAVAILABLE,
                *BACKEND_ERRORS,
            ],
            statuses=_UNAVAILABLE,
        )
    },
    "/api/payments/withdrawals": {
        "post": _payment_call(
            "withdrawal",
            "Withdraw: the amount is locked, paid out by the gateway, or returned",
            [
                ErrorCode.INSUFFICIENT_FUNDS,
                ErrorCode.WITHDRAWAL_REFUSED,
                ErrorCode.CLOSED_LOOP,
                ErrorCode.KYC_REQUIRED,
                ErrorCode.CDD_REQUIRED,
                ErrorCode.AML_REVIEW_REQUIRED,
                ErrorCode.WITHDRAWAL_APPROVAL_REQUIRED,
                ErrorCode.CLOSED_LOOP_ONLY,
                ErrorCode.BONUS_FORFEIT_REQUIRED,
                ErrorCode.TWO_FACTOR_REQUIRED,
                ErrorCode.INVALID_TWO_FACTOR_CODE,
            ],
            {
                "code": {
                    "type": "string",
                    "description": "the two-factor code: asked for (TWO_FACTOR_REQUIRED) by a"
                    " first withdrawal to a method when the player has two-factor on",
                }
            },
            [ErrorCode.ACCOUNT_RESTRICTED],
        )
    },
    "/api/payments/{payment_id}": {
        "get": operation(
            "payment",
            "One of the logged-in player's payments",
            tag="Payments",
            auth=True,
            parameters=[
                {
                    "name": "payment_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 0},
                }
            ],
            responses={"200": reply("the payment", obj(_PAYMENT, list(_PAYMENT)))},
            errors=[ErrorCode.NOT_FOUND, ErrorCode.PAYMENTS_UNAVAILABLE, *BACKEND_ERRORS],
            statuses=_UNAVAILABLE,
        )
    },
    "/api/payments": {
        "get": operation(
            "payments",
            "The logged-in player's payments, newest first",
            tag="Payments",
            auth=True,
            parameters=[query_limit(maximum=MAX_LIST)],
            responses={
                "200": reply(
                    "payments",
                    obj(
                        {"payments": {"type": "array", "items": obj(_PAYMENT, list(_PAYMENT))}},
                        ["payments"],
                    ),
                )
            },
            errors=[ErrorCode.VALIDATION_FAILED, ErrorCode.PAYMENTS_UNAVAILABLE, *BACKEND_ERRORS],
            statuses=_UNAVAILABLE,
        )
    },
}
