"""HTTP routes of the wallet: the balance, and the player's transactions (the ledger's
movements of their money other than stakes and wins).

Deposits arrive through the payment gateway (server/payments) or, in sandbox
mode only, as play money through `server.money.sandbox_routes`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from protocol.errors import ErrorCode, Refused
from server.api_docs.parts import BACKEND_ERRORS, obj, operation, reply
from server.context import Services
from server.money.transactions import page as transactions_page
from server.web import current_player, json_response


async def balance(request: Request) -> Response:
    services: Services = request.app.state.services
    player = await current_player(request)
    cash = await services.wallet.balance(player.id, player.currency)
    return json_response({"balance": cash, "currency": player.currency})


async def transactions(request: Request) -> Response:
    services: Services = request.app.state.services
    player = await current_player(request)
    limit = _integer(request, "limit", 50, 1, 100)
    before = request.query_params.get("cursor")
    cursor = None if before is None else _integer(request, "cursor", 0, 1, 2**62)
    lines, following = await transactions_page(services.db, player.id, limit, cursor)
    return json_response(
        {
            "transactions": [line.public() for line in lines],
            "next_cursor": None if following is None else str(following),
        }
    )


def _integer(request: Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query_params.get(name)
    if text is None:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise Refused(
            ErrorCode.VALIDATION_FAILED, f"{name} is a whole number from {low} to {high}",
            field=name,
        )  # fmt: skip
    return int(text)


routes = [
    Route("/api/wallet", balance, methods=["GET"]),
    Route("/api/transactions", transactions, methods=["GET"]),
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
    "/api/transactions": {
        "get": operation(
            "transactions",
            "The logged-in player's deposits, withdrawals, bonuses, adjustments and chargebacks"
            " from the ledger, newest first, a page at a time (stakes and wins are the round"
            " history)",
            tag="Wallet",
            auth=True,
            parameters=[
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                },
                {
                    "name": "cursor",
                    "in": "query",
                    "required": False,
                    "description": "the next_cursor of the page before (omit for the newest)",
                    "schema": {"type": "string", "pattern": "^[0-9]{1,19}$"},
                },
            ],
            responses={
                "200": reply(
                    "a page of transactions",
                    obj(
                        {
                            "transactions": {"type": "array", "items": {"type": "object"}},
                            "next_cursor": {"type": ["string", "null"]},
                        },
                        ["transactions", "next_cursor"],
                    ),
                )
            },
            errors=[ErrorCode.VALIDATION_FAILED, *BACKEND_ERRORS],
        )
    },
}
