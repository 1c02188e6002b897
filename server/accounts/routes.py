"""HTTP routes of the accounts domain: register, log in, log out, who am I."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from protocol.errors import ErrorCode
from server.accounts.rules import RuleViolation, parse_registration
from server.accounts.service import AccountError, today_utc, token_hash
from server.context import Services
from server.sessions import push
from server.web import ApiError, bearer_token, current_player, json_body, json_response


async def register(request: Request) -> Response:
    services: Services = request.app.state.services
    data = await json_body(request)
    try:
        registration = parse_registration(data, today_utc().date(), services.settings.min_age)
    except RuleViolation as violation:
        raise ApiError(violation.code, violation.message, field=violation.field) from None
    try:
        player = await services.accounts.register(registration)
    except AccountError as error:
        raise ApiError(error.code, error.message) from None
    return json_response(
        {
            "player_id": player.id,
            "username": player.username,
            "email": player.email,
            "currency": player.currency,
            "country": player.country,
        },
        201,
    )


async def login(request: Request) -> Response:
    services: Services = request.app.state.services
    data = await json_body(request)
    name, password = data.get("login"), data.get("password")
    if not isinstance(name, str) or not isinstance(password, str) or not name or not password:
        raise ApiError(ErrorCode.VALIDATION_FAILED, "login and password are required")
    if len(name) > 320 or len(password) > 256:
        raise ApiError(ErrorCode.INVALID_CREDENTIALS, "wrong login or password")
    try:
        session = await services.accounts.login(name, password)
    except AccountError as error:
        raise ApiError(error.code, error.message) from None
    return json_response(
        {"token": session.token, "player_id": session.player_id, "expires_at": session.expires_at},
        201,
    )


async def logout(request: Request) -> Response:
    services: Services = request.app.state.services
    player = await current_player(request)
    token = bearer_token(request)
    await services.accounts.logout(token)
    # Sockets opened with this token end now; the player's other logins stay.
    await push.publish(
        services.redis,
        player.id,
        {"type": "forced_logout", "reason": "logout", "only_token_hash": token_hash(token)},
    )
    return Response(status_code=204)


async def me(request: Request) -> Response:
    services: Services = request.app.state.services
    player = await current_player(request)
    balance = await services.wallet.balance(player.id, player.currency)
    return json_response(
        {
            "player_id": player.id,
            "username": player.username,
            "email": player.email,
            "currency": player.currency,
            "country": player.country,
            "balance": balance,
        }
    )


routes = [
    Route("/api/players", register, methods=["POST"]),
    Route("/api/sessions", login, methods=["POST"]),
    Route("/api/sessions/current", logout, methods=["DELETE"]),
    Route("/api/me", me, methods=["GET"]),
]
