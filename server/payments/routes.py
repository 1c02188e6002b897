"""HTTP routes of payments: deposits and withdrawals through the gateway, and their status."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from protocol.errors import ErrorCode, Refused
from server.api_docs.parts import BACKEND_ERRORS, obj, operation, query_limit, reply
from server.context import Services
from server.observability import log_context
from server.payments.runtime import PaymentsRuntime
from server.payments.service import Payments, Receipt
from server.web import current_player, json_body, json_response, status_of

MAX_KEY_LENGTH = 128
MAX_LIST = 100
MAX_ID = 2**63 - 1


def _payments(request: Request) -> Payments:
    runtime: PaymentsRuntime | None = getattr(request.app.state, "payments", None)
    if runtime is None:
        raise Refused(
            ErrorCode.PAYMENTS_UNAVAILABLE,
            "no payment gateway is configured (CASINO_PAYMENT_GATEWAY_URL)",
        )
    return runtime.payments


async def _terms(request: Request, currency: str, limit: int) -> tuple[int, str]:
    data = await json_body(request)
    amount = data.get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise Refused(ErrorCode.INVALID_AMOUNT, "amount must be a positive integer in minor units")
    if amount > limit:
        raise Refused(ErrorCode.INVALID_AMOUNT, f"a payment is at most {limit}")
    if data.get("currency", currency) != currency:
        raise Refused(ErrorCode.WRONG_CURRENCY, f"this wallet holds {currency}")
    key = request.headers.get("idempotency-key")
    if not key or not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise Refused(
            ErrorCode.VALIDATION_FAILED,
            f"an Idempotency-Key header (1-{MAX_KEY_LENGTH} characters) is required",
        )
    return amount, key


def _reply(receipt: Receipt) -> Response:
    body = {**receipt.payment.public(), "balance": receipt.balance, "replayed": not receipt.created}
    if not receipt.created:
        return json_response(body, 200)
    return json_response(body, 202 if receipt.payment.status == "pending" else 201)


async def _payment(request: Request, kind: str) -> Response:
    """A deposit or withdrawal request: the player, the terms, then the payment."""
    services: Services = request.app.state.services
    player = await current_player(request)
    payments = _payments(request)
    amount, key = await _terms(request, player.currency, services.settings.max_deposit)
    log_context.bind(player_id=player.id, transaction_id=f"payment-key:{key}")
    start = payments.deposit if kind == "deposit" else payments.withdraw
    return _reply(await start(player.id, player.currency, amount, key))


async def deposit(request: Request) -> Response:
    return await _payment(request, "deposit")


async def withdraw(request: Request) -> Response:
    return await _payment(request, "withdrawal")


async def one(request: Request) -> Response:
    player = await current_player(request)
    payments = _payments(request)
    payment_id = int(request.path_params["payment_id"])
    # Ids are SQLite's 64-bit integers: a larger one names no payment (and would overflow).
    payment = None if payment_id > MAX_ID else await payments.get(player.id, payment_id)
    if payment is None:
        raise Refused(ErrorCode.NOT_FOUND, "no such payment")
    return json_response(payment.public())


async def listing(request: Request) -> Response:
    player = await current_player(request)
    payments = _payments(request)
    raw = request.query_params.get("limit", "20")
    # isascii: str.isdigit() also accepts digits such as "²" that int() refuses.
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIST:
        raise Refused(ErrorCode.VALIDATION_FAILED, f"limit must be 1-{MAX_LIST}")
    found = await payments.store.of_player(player.id, int(raw))
    return json_response({"payments": [p.public() for p in found]})


routes = [
    Route("/api/payments/deposits", deposit, methods=["POST"]),
    Route("/api/payments/withdrawals", withdraw, methods=["POST"]),
    Route("/api/payments/{payment_id:int}", one, methods=["GET"]),
    Route("/api/payments", listing, methods=["GET"]),
]


_PAYMENT = {
    "payment_id": {"type": "integer", "minimum": 1},
    "kind": {"enum": ["deposit", "withdrawal"]},
    "status": {"enum": ["pending", "completed", "declined", "refused"]},
    "amount": {"type": "integer", "minimum": 1},
    "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
    "gateway": {"type": "string"},
    "gateway_reference": {"type": ["string", "null"]},
    "error_code": {"type": ["string", "null"]},
    "created_at": {"type": "integer"},
    "updated_at": {"type": "integer"},
}
_OUTCOME = obj(
    {**_PAYMENT, "balance": {"type": "integer", "minimum": 0}, "replayed": {"type": "boolean"}},
    [*_PAYMENT, "balance", "replayed"],
)
_UNAVAILABLE = {ErrorCode.PAYMENTS_UNAVAILABLE: 503}


def _payment_call(kind: str, summary: str, refusals: list[ErrorCode]) -> dict[str, Any]:
    return operation(
        f"payment_{kind}",
        summary,
        tag="Payments",
        auth=True,
        description="Idempotent by key: the same key and terms again answers 200 with"
        " `replayed: true`; other terms are IDEMPOTENCY_CONFLICT. An outcome the gateway"
        " has not told yet is 202 `pending`, resolved later by the recovery pass.",
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
            },
            ["amount"],
        ),
        responses={
            "201": reply("completed, declined or refused by the gateway", _OUTCOME),
            "202": reply("pending: the gateway's answer is not known yet", _OUTCOME),
            "200": reply("replayed", _OUTCOME),
        },
        errors=[
            ErrorCode.INVALID_AMOUNT,
            ErrorCode.WRONG_CURRENCY,
            ErrorCode.VALIDATION_FAILED,
            ErrorCode.IDEMPOTENCY_CONFLICT,
            *refusals,
            ErrorCode.PAYMENTS_UNAVAILABLE,
            *BACKEND_ERRORS,
        ],
        statuses={**_UNAVAILABLE, **{code: status_of(code) for code in refusals}},
    )


OPENAPI_PATHS: dict[str, Any] = {
    "/api/payments/deposits": {
        "post": _payment_call("deposit", "Deposit through the payment gateway", [])
    },
    "/api/payments/withdrawals": {
        "post": _payment_call(
            "withdrawal",
            "Withdraw: the amount is locked, paid out by the gateway, or returned",
            [
                ErrorCode.INSUFFICIENT_FUNDS,
                ErrorCode.WITHDRAWAL_REFUSED,
                ErrorCode.KYC_REQUIRED,
                ErrorCode.CDD_REQUIRED,
                ErrorCode.AML_REVIEW_REQUIRED,
                ErrorCode.CLOSED_LOOP_ONLY,
            ],
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
