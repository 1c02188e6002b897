"""The staff HTTP API of player management: search, one player's whole profile, notes,
suspending or reinstating an account (a connected player is told at once: their sessions
end with a `forced_logout` push), ending the player's provider game sessions, and closing
the account (server/staff/closure.py). Every change is on the audit trail with who, from
where and why.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from protocol.errors import ErrorCode, Refused
from server.api_docs.parts import BACKEND_ERRORS, obj, operation, reply
from server.audit import trail
from server.context import Services
from server.events import outbox, push
from server.events.catalogue import ProviderSessionsRevoked
from server.provider import sessions as provider_sessions
from server.staff import players
from server.staff.accounts import StaffMember
from server.staff.closure import MAX_KEY, Closing, Closures
from server.staff.guard import staff_route
from server.staff.roles import Role
from server.storage.database import now_ms
from server.web import client_address, json_body, json_response, path_id

READ = (Role.SUPPORT, Role.COMPLIANCE, Role.FINANCE, Role.RISK, Role.ADMIN)
NOTE = (Role.SUPPORT, Role.COMPLIANCE, Role.RISK, Role.ADMIN)
SUSPEND = (Role.COMPLIANCE, Role.RISK, Role.ADMIN)
REVOKE = (Role.SUPPORT, Role.COMPLIANCE, Role.RISK, Role.ADMIN)
CLOSE = (Role.COMPLIANCE, Role.ADMIN)
MAX_QUERY = 254
MAX_REASON = 500


def _player_id(request: Request) -> int:
    return path_id(request, "player_id")


def _text(data: dict[str, Any], name: str, most: int) -> str:
    value = data.get(name)
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if not 1 <= len(text) <= most:
        raise Refused(ErrorCode.VALIDATION_FAILED, f"{name} is 1-{most} characters", field=name)
    return text


@staff_route(*READ)
async def search(request: Request, member: StaffMember) -> Response:
    services: Services = request.app.state.services
    query = request.query_params.get("q", "").strip()
    if not 1 <= len(query) <= MAX_QUERY:
        raise Refused(ErrorCode.VALIDATION_FAILED, f"q is 1-{MAX_QUERY} characters", field="q")
    return json_response({"players": await players.search(services.db, query)})


@staff_route(*READ)
async def profile(request: Request, member: StaffMember) -> Response:
    services: Services = request.app.state.services
    player_id = _player_id(request)
    found = await players.profile(services.db, services.wallet.hot, player_id)
    if found is None:
        raise Refused(ErrorCode.NOT_FOUND, "no such player")
    # The player's own responsible-gambling limits and any exclusion, as they see them.
    limits = await services.rg.limits(player_id)
    exclusion = await services.rg.exclusion(player_id)
    found["limits"] = {
        kind: {
            "value": limit.value,
            "pending_value": limit.pending_value if limit.pending else None,
        }
        for kind, limit in limits.items()
    }
    found["exclusion"] = (
        None if exclusion is None else {"kind": exclusion.kind, "until_ms": exclusion.until_ms}
    )
    return json_response(found)


@staff_route(*NOTE)
async def note(request: Request, member: StaffMember) -> Response:
    services: Services = request.app.state.services
    player_id = _player_id(request)
    text = _text(await json_body(request), "text", players.NOTE_MAX)
    if await services.accounts.player(player_id) is None:
        raise Refused(ErrorCode.NOT_FOUND, "no such player")
    async with services.db.transaction() as tx:
        note_id = await players.add_note(tx, player_id, member.name, text)
        await trail.record(
            tx, member.actor, "player_note", f"player:{player_id}", "note",
            client_address(request.scope), {"note_id": note_id},
        )  # fmt: skip
    return json_response({"note_id": note_id}, 201)


async def _set_status(request: Request, member: StaffMember, status: str) -> Response:
    services: Services = request.app.state.services
    player_id = _player_id(request)
    reason = _text(await json_body(request), "reason", MAX_REASON)
    found = await services.accounts.player(player_id)
    if found is not None and found.status == "closed":
        raise Refused(ErrorCode.ACCOUNT_CLOSED, "a closed account stays closed")
    await services.accounts.set_status(player_id, status, f"staff:{member.name}")
    await trail.record(
        services.db, member.actor, f"player_{'reinstated' if status == 'active' else 'suspended'}",
        f"player:{player_id}", reason, client_address(request.scope),
    )  # fmt: skip
    if status != "active":  # the player's open play sessions end now, in every process
        await push.publish(services.redis, player_id, {"type": "forced_logout", "reason": "staff"})
    return json_response({"player_id": player_id, "status": status})


@staff_route(*SUSPEND)
async def suspend(request: Request, member: StaffMember) -> Response:
    return await _set_status(request, member, "disabled")


@staff_route(*SUSPEND)
async def reinstate(request: Request, member: StaffMember) -> Response:
    return await _set_status(request, member, "active")


@staff_route(*REVOKE)
async def revoke_provider_sessions(request: Request, member: StaffMember) -> Response:
    """End every live provider game session of the player at once (a stolen or abused token):
    the provider's next call with one is refused as expired (RS_ERROR_TOKEN_EXPIRED). The
    login sessions stay: this is not a suspension."""
    services: Services = request.app.state.services
    player_id = _player_id(request)
    reason = _text(await json_body(request), "reason", MAX_REASON)
    if await services.accounts.player(player_id) is None:
        raise Refused(ErrorCode.NOT_FOUND, "no such player")
    async with services.db.transaction() as tx:
        revoked = await provider_sessions.revoke_provider_sessions(tx, player_id, member.actor)
        await trail.record(
            tx, member.actor, "provider_sessions_revoked", f"player:{player_id}", reason,
            client_address(request.scope), {"revoked": revoked},
        )  # fmt: skip
        await outbox.emit(
            tx,
            ProviderSessionsRevoked(
                id=outbox.new_id("provider_sessions_revoked"), player_id=player_id,
                at_ms=now_ms(), revoked=revoked, by=member.actor, reason=reason,
            ),
        )  # fmt: skip
    return json_response({"revoked": revoked})


@staff_route(*CLOSE)
async def close(request: Request, member: StaffMember) -> Response:
    """Close the account for good, its balance paid out (server/staff/closure.py); a retry
    with the same idempotency key answers the same reply and moves nothing twice."""
    closures: Closures = request.app.state.closures
    player_id = _player_id(request)
    data = await json_body(request)
    reason = _text(data, "reason", MAX_REASON)
    key = data.get("idempotency_key")
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY or not key.isprintable():
        raise Refused(
            ErrorCode.VALIDATION_FAILED, f"idempotency_key is 1-{MAX_KEY} printable characters",
            field="idempotency_key",
        )  # fmt: skip
    closing = Closing(player_id, key, reason, member, client_address(request.scope))
    return json_response(await closures.close(closing))


PLAYERS = "/api/staff/players"
PLAYER = "/api/staff/players/{player_id}"
routes = [
    Route(PLAYERS, search, methods=["GET"]),
    Route(PLAYER, profile, methods=["GET"]),
    Route(f"{PLAYER}/notes", note, methods=["POST"]),
    Route(f"{PLAYER}/suspend", suspend, methods=["POST"]),
    Route(f"{PLAYER}/reinstate", reinstate, methods=["POST"]),
    Route(f"{PLAYER}/provider-sessions/revoke", revoke_provider_sessions, methods=["POST"]),
    Route(f"{PLAYER}/close", close, methods=["POST"]),
]

_GUARD = [ErrorCode.STAFF_ONLY, ErrorCode.STAFF_ROLE_REFUSED, ErrorCode.VALIDATION_FAILED]
_ID = {"name": "player_id", "in": "path", "required": True,
       "schema": {"type": "integer", "minimum": 1}}  # fmt: skip
_REASON = obj({"reason": {"type": "string", "minLength": 1, "maxLength": MAX_REASON}}, ["reason"])
_STATUS = obj({"player_id": {"type": "integer"}, "status": {"type": "string"}},
              ["player_id", "status"])  # fmt: skip


def _change(name: str, summary: str) -> dict[str, Any]:
    return {
        "post": operation(
            name,
            summary,
            tag="Staff",
            auth=True,
            parameters=[_ID],
            body=_REASON,
            responses={"200": reply("the account's status now", _STATUS)},
            errors=[*_GUARD, ErrorCode.NOT_FOUND, ErrorCode.ACCOUNT_CLOSED, *BACKEND_ERRORS],
        )
    }


OPENAPI_PATHS: dict[str, Any] = {
    PLAYERS: {
        "get": operation(
            "staffPlayerSearch",
            "Players by id, username, email (or their start) or payment"
            " reference (roles support, compliance, finance, risk, admin)",
            tag="Staff",
            auth=True,
            parameters=[
                {
                    "name": "q",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY},
                }
            ],
            responses={
                "200": reply(
                    "up to 20 players",
                    obj({"players": {"type": "array", "items": {"type": "object"}}}, ["players"]),
                )
            },
            errors=[*_GUARD, *BACKEND_ERRORS],
        )
    },
    PLAYER: {
        "get": operation(
            "staffPlayer",
            "One player's profile, balances (cash, bonus, locked), open sessions,"
            " KYC level, limits and exclusion, alerts and notes",
            tag="Staff",
            auth=True,
            parameters=[_ID],
            responses={"200": reply("the player", {"type": "object"})},
            errors=[*_GUARD, ErrorCode.NOT_FOUND, *BACKEND_ERRORS],
        )
    },
    f"{PLAYER}/notes": {
        "post": operation(
            "staffPlayerNote",
            "Add a note to a player (roles support, compliance, risk, admin)",
            tag="Staff",
            auth=True,
            parameters=[_ID],
            body=obj(
                {"text": {"type": "string", "minLength": 1, "maxLength": players.NOTE_MAX}},
                ["text"],
            ),
            responses={
                "201": reply("the note's id", obj({"note_id": {"type": "integer"}}, ["note_id"]))
            },
            errors=[*_GUARD, ErrorCode.NOT_FOUND, *BACKEND_ERRORS],
        )
    },
    f"{PLAYER}/suspend": _change(
        "staffPlayerSuspend",
        "Suspend an account: its sessions end at once, with a push (roles compliance, risk, admin)",
    ),
    f"{PLAYER}/reinstate": _change(
        "staffPlayerReinstate", "Reinstate a suspended account (roles compliance, risk, admin)"
    ),
    f"{PLAYER}/close": {
        "post": operation(
            "staffPlayerClose",
            "Close an account for good: sessions end (a connected player is told at once),"
            " bonus money is forfeited, the cash is paid out to the last deposit method (else"
            " held in the closed-accounts liability); retried safely with the same"
            " idempotency_key (roles compliance, admin)",
            tag="Staff",
            auth=True,
            parameters=[_ID],
            body=obj(
                {
                    "reason": {"type": "string", "minLength": 1, "maxLength": MAX_REASON},
                    "idempotency_key": {"type": "string", "minLength": 1, "maxLength": MAX_KEY},
                },
                ["reason", "idempotency_key"],
            ),
            responses={
                "200": reply(
                    "what the closure did",
                    obj(
                        {
                            "player_id": {"type": "integer"},
                            "status": {"type": "string", "enum": ["closed"]},
                            "currency": {"type": "string"},
                            "payout": {"type": "string", "enum": ["withdrawal", "payable", "none"]},
                            "cash": {"type": "integer"},
                            "payment_id": {"type": ["integer", "null"]},
                            "bonus_forfeited": {"type": "integer"},
                            "locked": {"type": "integer"},
                            "refused": {"type": ["string", "null"]},
                        },
                        [
                            "player_id",
                            "status",
                            "currency",
                            "payout",
                            "cash",
                            "bonus_forfeited",
                            "locked",
                        ],
                    ),
                )
            },
            errors=[*_GUARD, ErrorCode.NOT_FOUND, ErrorCode.IDEMPOTENCY_CONFLICT, *BACKEND_ERRORS],
        )
    },
    f"{PLAYER}/provider-sessions/revoke": {
        "post": operation(
            "staffPlayerRevokeProviderSessions",
            "End every live provider game session of the player: the provider's next call with"
            " one of their tokens gets RS_ERROR_TOKEN_EXPIRED (roles support, compliance, risk,"
            " admin)",
            tag="Staff",
            auth=True,
            parameters=[_ID],
            body=_REASON,
            responses={
                "200": reply(
                    "how many sessions ended", obj({"revoked": {"type": "integer"}}, ["revoked"])
                )
            },
            errors=[*_GUARD, ErrorCode.NOT_FOUND, *BACKEND_ERRORS],
        )
    },
}
