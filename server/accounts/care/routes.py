"""HTTP routes of account care: verify an email, reset a password, the profile, two-factor
login and the player's own sessions. Each refusal is a `Refused` with a stable code; a
request that is refused changes nothing."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from protocol.errors import ErrorCode, Refused
from server import web
from server.accounts.care import Care
from server.accounts.care.openapi import OPENAPI_PATHS
from server.accounts.rules import MAX_PASSWORD
from server.context import Services
from server.events import push
from server.web import bearer_token, current_player, json_body, json_response

MAX_TOKEN = 128

__all__ = ["OPENAPI_PATHS", "routes"]


def _care(request: Request) -> Care:
    services: Services = request.app.state.services
    assert services.care is not None  # built with every app (server/app.py)
    return services.care


def _base_url(request: Request) -> str:
    return str(request.base_url)


def _text(data: dict[str, Any], field: str, limit: int) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise Refused(
            ErrorCode.VALIDATION_FAILED, f"{field} is required (at most {limit} characters)",
            field=field,
        )  # fmt: skip
    return value


async def _log_out_sockets(request: Request, player_id: int, hashes: list[str], why: str) -> None:
    services: Services = request.app.state.services
    for hashed in hashes:  # each ended login's sockets close now
        await push.publish(
            services.redis, player_id,
            {"type": "forced_logout", "reason": why, "only_token_hash": hashed},
        )  # fmt: skip


async def verify_email(request: Request) -> Response:
    token = _text(await json_body(request), "token", MAX_TOKEN)
    await _care(request).recovery.verify(token)
    return json_response({"email_verified": True})


async def resend_verification(request: Request) -> Response:
    player = await current_player(request)
    await _care(request).recovery.resend_verification(
        player.id, player.username, web.client_address(request.scope), _base_url(request)
    )
    return json_response({"sent": True}, 202)


async def request_reset(request: Request) -> Response:
    login = _text(await json_body(request), "login", 320)
    await _care(request).recovery.request_reset(
        login, web.client_address(request.scope), _base_url(request)
    )
    # The same words whether or not an account matched: nothing here tells which.
    return json_response(
        {"status": "if an account matches, a reset link is on its way to its email"}, 202
    )


async def confirm_reset(request: Request) -> Response:
    data = await json_body(request)
    token = _text(data, "token", MAX_TOKEN)
    new = _text(data, "new_password", MAX_PASSWORD)
    player_id, ended = await _care(request).recovery.reset(token, new)
    await _log_out_sockets(request, player_id, ended, "password_reset")
    return json_response({"sessions_ended": len(ended)})


async def profile(request: Request) -> Response:
    player = await current_player(request)
    return json_response(await _care(request).profile.read(player.id))


async def update_profile(request: Request) -> Response:
    player = await current_player(request)
    care = _care(request)
    await care.profile.update(player, await json_body(request))
    return json_response(await care.profile.read(player.id))


async def change_email(request: Request) -> Response:
    player = await current_player(request)
    data = await json_body(request)
    email = _text(data, "email", 320)
    password = _text(data, "password", MAX_PASSWORD)
    care = _care(request)
    old = await care.profile.change_email(
        player, password, email, web.client_address(request.scope)
    )
    await care.recovery.send_verification(player.id, _base_url(request))
    to = await care.notices.recipient(player.id)
    if to is not None:  # the old address hears of it, so a hijack does not go unnoticed
        care.notices.post("email_changed", replace(to, email=old), new_email=to.email)
    return json_response(await care.profile.read(player.id))


async def my_sessions(request: Request) -> Response:
    player = await current_player(request)
    found = await _care(request).sessions.listing(player.id, bearer_token(request))
    return json_response({"sessions": found})


async def end_session(request: Request) -> Response:
    player = await current_player(request)
    ended = await _care(request).sessions.end(
        player.id, str(request.path_params["session_id"]), bearer_token(request)
    )
    await _log_out_sockets(request, player.id, ended, "session_ended")
    return json_response({"sessions_ended": len(ended)})


async def end_other_sessions(request: Request) -> Response:
    player = await current_player(request)
    ended = await _care(request).sessions.end_others(player.id, bearer_token(request))
    await _log_out_sockets(request, player.id, ended, "session_ended")
    return json_response({"sessions_ended": len(ended)})


async def two_factor(request: Request) -> Response:
    player = await current_player(request)
    return json_response({"enabled": await _care(request).two_factor.enabled(player.id)})


async def two_factor_setup(request: Request) -> Response:
    player = await current_player(request)
    setup = await _care(request).two_factor.setup(player)
    return json_response({"secret": setup.secret, "uri": setup.uri})


async def two_factor_enable(request: Request) -> Response:
    player = await current_player(request)
    code = _text(await json_body(request), "code", 32)
    codes = await _care(request).two_factor.enable(player, code)
    return json_response({"enabled": True, "recovery_codes": codes})


async def two_factor_disable(request: Request) -> Response:
    player = await current_player(request)
    data = await json_body(request)
    password = _text(data, "password", MAX_PASSWORD)
    code = _text(data, "code", 32)
    await _care(request).two_factor.disable(player, password, code)
    return json_response({"enabled": False})


routes = [
    Route("/api/email-verifications", verify_email, methods=["POST"]),
    Route("/api/password-resets", request_reset, methods=["POST"]),
    Route("/api/password-resets/confirm", confirm_reset, methods=["POST"]),
    Route("/api/me/email-verification", resend_verification, methods=["POST"]),
    Route("/api/me/profile", profile, methods=["GET"]),
    Route("/api/me/profile", update_profile, methods=["POST"]),
    Route("/api/me/email", change_email, methods=["POST"]),
    Route("/api/me/sessions", my_sessions, methods=["GET"]),
    Route("/api/me/sessions", end_other_sessions, methods=["DELETE"]),
    Route("/api/me/sessions/{session_id}", end_session, methods=["DELETE"]),
    Route("/api/me/two-factor", two_factor, methods=["GET"]),
    Route("/api/me/two-factor/setup", two_factor_setup, methods=["POST"]),
    Route("/api/me/two-factor/enable", two_factor_enable, methods=["POST"]),
    Route("/api/me/two-factor/disable", two_factor_disable, methods=["POST"]),
]
