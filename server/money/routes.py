"""HTTP routes of the wallet: the balance.

Deposits arrive through the payment gateway (server/payments) or, in sandbox
mode only, as play money through `server.money.sandbox_routes`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.api_docs.parts import BACKEND_ERRORS, obj, operation, reply
from server.context import Services
from server.web import current_player, json_response


async def balance(request: Request) -> Response:
    services: Services = request.app.state.services
    player = await current_player(request)
    cash = await services.wallet.balance(player.id, player.currency)
    return json_response({"balance": cash, "currency": player.currency})


routes = [Route("/api/wallet", balance, methods=["GET"])]


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
}
