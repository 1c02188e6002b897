"""HTTP routes of the wallet: the balance and the sandbox deposit.

The deposit is labelled sandbox in its path: it credits through the real
ledger but no money arrives from anywhere; the payment gateway replaces it.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from protocol.errors import ErrorCode
from server.api_docs.parts import BACKEND_ERRORS, obj, operation, reply
from server.context import Services
from server.observability import log_context, metrics
from server.sessions import push
from server.wallet.service import DepositConflict
from server.web import ApiError, current_player, json_body, json_response

MAX_KEY_LENGTH = 128


async def balance(request: Request) -> Response:
    services: Services = request.app.state.services
    player = await current_player(request)
    cash = await services.wallet.balance(player.id, player.currency)
    return json_response({"balance": cash, "currency": player.currency})


async def sandbox_deposit(request: Request) -> Response:
    services: Services = request.app.state.services
    player = await current_player(request)
    data = await json_body(request)
    amount = data.get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ApiError(ErrorCode.INVALID_AMOUNT, "amount must be a positive integer in minor units")
    if amount > services.settings.max_deposit:
        raise ApiError(
            ErrorCode.INVALID_AMOUNT, f"a deposit is at most {services.settings.max_deposit}"
        )
    currency = data.get("currency", player.currency)
    if currency != player.currency:
        raise ApiError(ErrorCode.WRONG_CURRENCY, f"this wallet holds {player.currency}")
    key = request.headers.get("idempotency-key") or data.get("idempotency_key")
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise ApiError(
            ErrorCode.VALIDATION_FAILED,
            f"an Idempotency-Key header (1-{MAX_KEY_LENGTH} characters) is required",
        )
    log_context.bind(player_id=player.id, transaction_id=f"deposit-key:{key}")
    try:
        deposit = await services.wallet.deposit(player.id, player.currency, amount, key)
    except DepositConflict as error:
        metrics.record_payment("deposit", "sandbox", player.currency, amount, "refused")
        raise ApiError(ErrorCode.IDEMPOTENCY_CONFLICT, str(error)) from None
    state = "replayed" if deposit.replayed else "completed"
    metrics.record_payment("deposit", "sandbox", deposit.currency, deposit.amount, state)
    if not deposit.replayed:
        await push.balance_changed(
            services.redis, player.id, player.currency, deposit.balance, "deposit"
        )
    return json_response(
        {
            "deposit_id": deposit.deposit_id,
            "gateway": "sandbox",
            "amount": deposit.amount,
            "currency": deposit.currency,
            "balance": deposit.balance,
            "replayed": deposit.replayed,
        },
        200 if deposit.replayed else 201,
    )


routes = [
    Route("/api/wallet", balance, methods=["GET"]),
    Route("/api/sandbox/deposits", sandbox_deposit, methods=["POST"]),
]


_BALANCE = {"type": "integer", "minimum": 0, "description": "minor units"}
_CURRENCY = {"type": "string", "pattern": "^[A-Z]{3}$"}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/wallet": {
        "get": operation(
            "wallet",
            "The logged-in player's cash balance",
            tag="Wallet",
            auth=True,
            responses={
                "200": reply(
                    "the balance",
                    obj({"balance": _BALANCE, "currency": _CURRENCY}, ["balance", "currency"]),
                )
            },
            errors=BACKEND_ERRORS,
        )
    },
    "/api/sandbox/deposits": {
        "post": operation(
            "sandbox_deposit",
            "Credit test money through the real ledger (no gateway)",
            tag="Wallet",
            auth=True,
            description="Idempotent by key: the same key and amount again answers 200 with"
            " `replayed: true`; the same key with other terms is IDEMPOTENCY_CONFLICT. The"
            " largest deposit is CASINO_MAX_DEPOSIT (default 100000000).",
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
                    "currency": _CURRENCY,
                },
                required=["amount"],
            ),
            responses={
                status: reply(
                    meaning,
                    obj(
                        {
                            "deposit_id": {"type": "integer", "minimum": 1},
                            "gateway": {"const": "sandbox"},
                            "amount": {"type": "integer", "minimum": 1},
                            "currency": _CURRENCY,
                            "balance": _BALANCE,
                            "replayed": {"type": "boolean"},
                        },
                        ["deposit_id", "gateway", "amount", "currency", "balance", "replayed"],
                    ),
                )
                for status, meaning in (("201", "credited"), ("200", "replayed: credited before"))
            },
            errors=[
                ErrorCode.INVALID_AMOUNT,
                ErrorCode.WRONG_CURRENCY,
                ErrorCode.VALIDATION_FAILED,
                ErrorCode.IDEMPOTENCY_CONFLICT,
                *BACKEND_ERRORS,
            ],
        )
    },
}
