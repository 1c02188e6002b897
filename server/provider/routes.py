"""HTTP routes of the provider domain: the signed wallet API, the catalogue, and launch.

Wallet calls are answered HTTP 200 with a status from `status.py` (as Hub88
does), signed, and with the request's `request_uuid` echoed. The order is fixed:
read at most `MAX_BODY_BYTES`, verify provider, timestamp and signature over the
raw bytes, and only then parse and act. A fault of ours answers RS_ERROR_UNKNOWN
so the provider retries or rolls back, both of which are safe.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from protocol.errors import ErrorCode, Refused
from server.context import Services
from server.observability import metrics
from server.provider import catalogue, envelope, history, messages, registry
from server.provider.messages import (
    BalanceRequest,
    BetRequest,
    Malformed,
    RollbackRequest,
    UserInfoRequest,
    WinRequest,
)
from server.provider.openapi import document
from server.provider.registry import Provider
from server.provider.service import Reply
from server.provider.signatures import PROVIDER_HEADER
from server.provider.status import Status
from server.web import current_player, json_body, json_response

log = logging.getLogger(__name__)

R = TypeVar("R")


async def _read_body(request: Request) -> bytes | None:
    """The raw body, or None past the limit (read no further than that)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > messages.MAX_BODY_BYTES:
            return None
    return bytes(body)


async def _reply(
    services: Services,
    provider: Provider | None,
    status: Status,
    request_uuid: str | None,
    fields: dict[str, Any] | None = None,
) -> Response:
    metrics.record_provider_call(provider.id if provider is not None else None, status)
    body = msgspec.json.encode({"status": status, "request_uuid": request_uuid, **(fields or {})})
    headers = {}
    if provider is not None:  # an unknown provider has no key to sign for

        async def private_key() -> str:
            return (await services.provider.operator_key())[0]

        headers = await envelope.signed_headers(provider, private_key, body, int(time.time()))
    return Response(body, 200, headers=headers, media_type="application/json")


def _wallet_call(kind: type[R], call: Callable[[Services, Provider, R], Awaitable[Reply]]) -> Any:
    async def endpoint(request: Request) -> Response:
        services: Services = request.app.state.services
        body = await _read_body(request)
        provider = await registry.get(services.db, request.headers.get(PROVIDER_HEADER, ""))
        if body is None:  # too large to verify; nothing was done
            return await _reply(services, provider, Status.WRONG_SYNTAX, None)
        if provider is None or not envelope.authentic(
            provider, request.headers, body, int(time.time())
        ):
            return await _reply(services, provider, Status.INVALID_SIGNATURE, None)
        if not provider.active:
            return await _reply(services, provider, Status.INVALID_PARTNER, None)
        try:
            parsed = messages.decode(body, kind)
        except Malformed as error:
            return await _reply(services, provider, error.status, error.request_uuid)
        request_uuid = getattr(parsed, "request_uuid", None)
        try:
            reply = await call(services, provider, parsed)
        except Exception:
            log.exception("provider %s call %s failed", provider.id, request.url.path)
            return await _reply(services, provider, Status.UNKNOWN, request_uuid)
        return await _reply(services, provider, reply.status, request_uuid, reply.fields)

    return endpoint


async def _info(s: Services, p: Provider, r: UserInfoRequest) -> Reply:
    return await s.provider.user_info(p, r)


async def _balance(s: Services, p: Provider, r: BalanceRequest) -> Reply:
    return await s.provider.balance(p, r)


async def _bet(s: Services, p: Provider, r: BetRequest) -> Reply:
    return await s.provider.bet(p, r)


async def _win(s: Services, p: Provider, r: WinRequest) -> Reply:
    return await s.provider.win(p, r)


async def _rollback(s: Services, p: Provider, r: RollbackRequest) -> Reply:
    return await s.provider.rollback(p, r)


async def games(request: Request) -> Response:
    services: Services = request.app.state.services
    return json_response({"games": await catalogue.entries(services.db)})


async def launch(request: Request) -> Response:
    services: Services = request.app.state.services
    player = await current_player(request)
    data = await json_body(request)
    game_code, provider_id = data.get("game_code"), data.get("provider", catalogue.HOUSE)
    if not isinstance(game_code, str) or not isinstance(provider_id, str):
        raise Refused(ErrorCode.VALIDATION_FAILED, "game_code (and provider) must be strings")
    launched = await services.provider.launch(player, provider_id[:64], game_code[:64])
    # The provider's stakes meet the bonus's rules in Redis: bring a lost hash back first.
    await services.bonus.restore(player.id, player.currency)
    return json_response(
        {
            "provider": launched.provider,
            "game_code": launched.game_code,
            "url": launched.url,
            "token": launched.token,
            "expires_at": launched.expires_at,
        },
        201,
    )


async def provider_rounds(request: Request) -> Response:
    services: Services = request.app.state.services
    player = await current_player(request)
    try:
        limit = int(request.query_params.get("limit", "20"))
    except ValueError:
        raise Refused(ErrorCode.VALIDATION_FAILED, "limit must be an integer") from None
    if not 1 <= limit <= 100:
        raise Refused(ErrorCode.VALIDATION_FAILED, "limit must be between 1 and 100")
    return json_response({"rounds": await history.recent_rounds(services.db, player.id, limit)})


async def openapi(request: Request) -> Response:
    return json_response(document())


async def public_key(request: Request) -> Response:
    services: Services = request.app.state.services
    return Response((await services.provider.operator_key())[1], media_type="text/plain")


routes = [
    Route("/provider/user/info", _wallet_call(UserInfoRequest, _info), methods=["POST"]),
    Route("/provider/user/balance", _wallet_call(BalanceRequest, _balance), methods=["POST"]),
    Route("/provider/transaction/bet", _wallet_call(BetRequest, _bet), methods=["POST"]),
    Route("/provider/transaction/win", _wallet_call(WinRequest, _win), methods=["POST"]),
    Route(
        "/provider/transaction/rollback", _wallet_call(RollbackRequest, _rollback), methods=["POST"]
    ),
    Route("/provider/openapi.json", openapi, methods=["GET"]),
    Route("/provider/public-key", public_key, methods=["GET"]),
    Route("/games", games, methods=["GET"]),
    Route("/api/games/launch", launch, methods=["POST"]),
    Route("/api/provider/rounds", provider_rounds, methods=["GET"]),
]

# The provider document (server/provider/openapi.py) is also part of the whole API's document.
OPENAPI_PATHS: dict[str, Any] = {
    **document()["paths"],
    "/provider/openapi.json": {
        "get": {
            "operationId": "provider_openapi",
            "summary": "The provider API's own OpenAPI 3.1 document",
            "tags": ["Wallet API"],
            "responses": {
                "200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}
            },
        }
    },
}
OPENAPI_SCHEMAS: dict[str, Any] = document()["components"]["schemas"]
