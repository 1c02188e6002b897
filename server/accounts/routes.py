"""HTTP routes of the accounts domain: register, log in, log out, change password, who am I."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from protocol.errors import ErrorCode, Refused
from server import web
from server.accounts.rules import MAX_PASSWORD, parse_registration
from server.accounts.service import today_utc, token_hash
from server.api_docs.parts import BACKEND_ERRORS, obj, operation, reply
from server.context import Services
from server.events import push
from server.rg import limits as rg_limits
from server.web import (
    bearer_token,
    current_player,
    json_body,
    json_response,
)


def client_address(request: Request) -> str:
    return web.client_address(request.scope)  # one rule for every count by address


async def register(request: Request) -> Response:
    services: Services = request.app.state.services
    data = await json_body(request)
    registration = parse_registration(data, today_utc().date(), services.settings.min_age)
    limits = rg_limits.at_registration(data.get("limits"))  # checked before the account exists
    player = await services.accounts.register(registration, client_address(request))
    profile = services.profiles.for_country(player.country)
    for kind, value in limits.items():
        await services.rg.set_limit(
            player.id, player.currency, kind, value, profile, client_address(request)
        )
    if services.care is not None:  # the address is verified by following the emailed link
        await services.care.recovery.send_verification(player.id, str(request.base_url))
    return json_response(
        {
            "player_id": player.id,
            "username": player.username,
            "email": player.email,
            "currency": player.currency,
            "country": player.country,
            "limits": limits,
        },
        201,
    )


async def login(request: Request) -> Response:
    services: Services = request.app.state.services
    data = await json_body(request)
    name, password = data.get("login"), data.get("password")
    if not isinstance(name, str) or not isinstance(password, str) or not name or not password:
        raise Refused(ErrorCode.VALIDATION_FAILED, "login and password are required")
    if len(name) > 320 or len(password) > 256:
        raise Refused(ErrorCode.INVALID_CREDENTIALS, "wrong login or password")
    device_id, code = data.get("device_id", ""), data.get("code")
    if not isinstance(device_id, str) or len(device_id) > 64:
        raise Refused(ErrorCode.VALIDATION_FAILED, "device_id is text of at most 64 characters")
    if code is not None and (not isinstance(code, str) or len(code) > 32):
        raise Refused(ErrorCode.VALIDATION_FAILED, "code is text of at most 32 characters")
    session = await services.accounts.login(
        name, password, client_address(request), request.headers.get("user-agent", ""),
        device_id=device_id, code=code or None,
    )  # fmt: skip
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


async def change_password(request: Request) -> Response:
    services: Services = request.app.state.services
    player = await current_player(request)
    token = bearer_token(request)
    data = await json_body(request)
    current, new = data.get("current_password"), data.get("new_password")
    if not isinstance(current, str) or not current:
        raise Refused(
            ErrorCode.VALIDATION_FAILED, "current_password is required", field="current_password"
        )
    if not isinstance(new, str) or not new or len(new) > MAX_PASSWORD:
        raise Refused(
            ErrorCode.VALIDATION_FAILED,
            f"new_password is required (at most {MAX_PASSWORD} characters)",
            field="new_password",
        )
    if len(current) > MAX_PASSWORD:
        raise Refused(ErrorCode.INVALID_CREDENTIALS, "current password is wrong")
    revoked = await services.accounts.change_password(
        player, token, current, new, client_address(request)
    )
    # Each revoked login's sockets end now; the session that changed the password stays.
    for hashed in revoked:
        await push.publish(
            services.redis,
            player.id,
            {"type": "forced_logout", "reason": "password_changed", "only_token_hash": hashed},
        )
    return json_response({"revoked_sessions": len(revoked)})


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
    Route("/api/me/password", change_password, methods=["POST"]),
]


_PLAYER = {
    "player_id": {"type": "integer", "minimum": 1},
    "username": {"type": "string"},
    "email": {"type": "string"},
    "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
    "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
}
_LIMITS = obj(
    {kind: {"type": ["integer", "null"], "minimum": 1, "maximum": rg_limits.MAX_VALUE}
     for kind in rg_limits.DEPOSIT_KINDS},
    additionalProperties=False,
)  # fmt: skip
_NEW_PASSWORD = {"type": "string", "minLength": 10, "maxLength": MAX_PASSWORD}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/players": {
        "post": operation(
            "register",
            "Register a player",
            tag="Accounts",
            description="The password needs 10+ characters of two classes and must not contain"
            " the username; the player must be CASINO_MIN_AGE or older. Usernames and emails"
            " are unique whatever their case. One address may register"
            " CASINO_REGISTRATIONS_PER_ADDRESS accounts per CASINO_REGISTRATION_WINDOW_SECONDS"
            " (REGISTRATION_LIMITED with `retry_after` and a Retry-After header beyond).",
            body=obj(
                {
                    "email": {"type": "string", "format": "email", "maxLength": 320},
                    "username": {"type": "string", "pattern": "^[A-Za-z0-9_]{3,32}$"},
                    "password": _NEW_PASSWORD,
                    "date_of_birth": {"type": "string", "format": "date"},
                    "country": {"type": "string", "pattern": "^[A-Za-z]{2}$"},
                    "currency": {"type": "string", "pattern": "^[A-Za-z]{3}$"},
                    # Optional: sanctions screening compares it with the operator's list.
                    "full_name": {"type": "string", "maxLength": 200, "pattern": "\\S"},
                    # Optional: deposit limits in force from the start (responsible gambling).
                    "limits": {"oneOf": [{"type": "null"}, _LIMITS]},
                },
                required=["email", "username", "password", "date_of_birth", "country", "currency"],
            ),
            responses={"201": reply("registered", obj(_PLAYER, required=list(_PLAYER)))},
            errors=[
                ErrorCode.VALIDATION_FAILED,
                ErrorCode.WEAK_PASSWORD,
                ErrorCode.UNDERAGE,
                ErrorCode.EMAIL_TAKEN,
                ErrorCode.USERNAME_TAKEN,
                ErrorCode.REGISTRATION_LIMITED,
                *BACKEND_ERRORS,
            ],
        )
    },
    "/api/sessions": {
        "post": operation(
            "login",
            "Log in: a session token",
            tag="Accounts",
            description="`device_id` is the client's own random id of the device: a login"
            " from one the player never used is emailed to them. An account with two-factor"
            " login answers TWO_FACTOR_REQUIRED to a right password without `code`; send it"
            " again with the authenticator's code or a recovery code.",
            body=obj(
                {
                    "login": {"type": "string", "minLength": 1, "maxLength": 320},
                    "password": {"type": "string", "minLength": 1, "maxLength": MAX_PASSWORD},
                    "device_id": {"type": "string", "maxLength": 64},
                    "code": {"type": "string", "maxLength": 32},
                },
                required=["login", "password"],
            ),
            responses={
                "201": reply(
                    "logged in; expires_at in ms since the epoch",
                    obj(
                        {
                            "token": {"type": "string", "minLength": 1},
                            "player_id": {"type": "integer", "minimum": 1},
                            "expires_at": {"type": "integer"},
                        },
                        required=["token", "player_id", "expires_at"],
                    ),
                )
            },
            errors=[
                ErrorCode.VALIDATION_FAILED,
                ErrorCode.INVALID_CREDENTIALS,
                ErrorCode.TWO_FACTOR_REQUIRED,
                ErrorCode.INVALID_TWO_FACTOR_CODE,
                ErrorCode.LOGIN_LOCKED,
                ErrorCode.ACCOUNT_CLOSED,
                *BACKEND_ERRORS,
            ],
        )
    },
    "/api/sessions/current": {
        "delete": operation(
            "logout",
            "Log out: revoke this token, close its sockets, end the player's provider games",
            tag="Accounts",
            auth=True,
            responses={"204": reply("revoked")},
            errors=BACKEND_ERRORS,
        )
    },
    "/api/me": {
        "get": operation(
            "me",
            "The logged-in player and balance",
            tag="Accounts",
            auth=True,
            responses={
                "200": reply(
                    "the player",
                    obj(
                        {**_PLAYER, "balance": {"type": "integer", "minimum": 0}},
                        required=[*_PLAYER, "balance"],
                    ),
                )
            },
            errors=BACKEND_ERRORS,
        )
    },
    "/api/me/password": {
        "post": operation(
            "change_password",
            "Change the password; every other session and every provider game is revoked",
            tag="Accounts",
            auth=True,
            body=obj(
                {
                    "current_password": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": MAX_PASSWORD,
                    },
                    "new_password": _NEW_PASSWORD,
                },
                required=["current_password", "new_password"],
            ),
            responses={
                "200": reply(
                    "changed",
                    obj(
                        {"revoked_sessions": {"type": "integer", "minimum": 0}},
                        required=["revoked_sessions"],
                    ),
                )
            },
            errors=[
                ErrorCode.VALIDATION_FAILED,
                ErrorCode.INVALID_CREDENTIALS,
                ErrorCode.WEAK_PASSWORD,
                ErrorCode.LOGIN_LOCKED,
                *BACKEND_ERRORS,
            ],
        )
    },
}
