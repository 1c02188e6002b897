"""The staff login API: log in with name, password and second-factor code, see who one is,
log out. Every other staff route is guarded by `server.staff.guard` with the session token
this returns (`Authorization: Bearer <token>`).

A login is audited (who, from where) as `staff_login`, a refused one as `staff_login_failed`
with the name tried; the password and the code are never recorded or logged.
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
from server.staff.accounts import MAX_CODE, MAX_NAME, MAX_PASSWORD, StaffAccounts, StaffMember
from server.staff.guard import declared_roles, staff_route
from server.staff.roles import EVERY
from server.web import client_address, json_body, json_response


def _text(data: dict[str, Any], name: str, limit: int) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise Refused(ErrorCode.VALIDATION_FAILED, f"{name} is 1-{limit} characters", field=name)
    return value


def _public(member: StaffMember) -> dict[str, Any]:
    return {"id": member.id, "name": member.name, "role": member.role.value}


async def login(request: Request) -> Response:
    services: Services = request.app.state.services
    staff: StaffAccounts = request.app.state.staff
    data = await json_body(request)
    name = _text(data, "name", MAX_NAME)
    password = _text(data, "password", MAX_PASSWORD)
    code = _text(data, "code", MAX_CODE)
    address = client_address(request.scope)
    try:
        session = await staff.login(name, password, code, address)
    except Refused as refused:
        await trail.record(
            services.db, "staff:?", "staff_login_failed", f"staff:{name.strip()[:MAX_NAME]}",
            str(refused.code), address,
        )  # fmt: skip
        raise
    await trail.record(
        services.db, session.member.actor, "staff_login", session.member.actor, "login", address
    )
    return json_response(
        {"token": session.token, "expires_at": session.expires_at, **_public(session.member)}
    )


@staff_route(*EVERY)
async def me(request: Request, member: StaffMember) -> Response:
    return json_response(_public(member))


def granted(app_routes: list[Any], member: StaffMember) -> list[dict[str, str]]:
    """The staff routes `member`'s role may call, as method and path, in route order: the
    staff web app shows only the pages these reach."""
    found = []
    for route in app_routes:
        roles = declared_roles(getattr(route, "endpoint", None))
        if roles is not None and member.role in roles:
            for method in sorted(set(route.methods or ()) - {"HEAD"}):
                found.append({"method": method, "path": str(route.path)})
    return found


@staff_route(*EVERY)
async def grants(request: Request, member: StaffMember) -> Response:
    return json_response({**_public(member), "routes": granted(request.app.routes, member)})


@staff_route(*EVERY)
async def logout(request: Request, member: StaffMember) -> Response:
    services: Services = request.app.state.services
    staff: StaffAccounts = request.app.state.staff
    token = request.headers.get("authorization", "").partition(" ")[2].strip()
    await staff.logout(token)
    await trail.record(
        services.db, member.actor, "staff_logout", member.actor, "logout",
        client_address(request.scope),
    )  # fmt: skip
    return json_response({"ended": True})


routes = [
    Route("/api/staff/login", login, methods=["POST"]),
    Route("/api/staff/me", me, methods=["GET"]),
    Route("/api/staff/me/grants", grants, methods=["GET"]),
    Route("/api/staff/logout", logout, methods=["POST"]),
]

# Routes open to anyone: the login itself (the route-table test holds every other
# /api/staff route to a declared role).
OPEN_PATHS = frozenset({"/api/staff/login"})

_MEMBER = {
    "id": {"type": "integer"},
    "name": {"type": "string"},
    "role": {"type": "string", "enum": [role.value for role in EVERY]},
}
_SESSION = "Authorization: Bearer <staff session token> (or the automation key)."

OPENAPI_PATHS: dict[str, Any] = {
    "/api/staff/login": {
        "post": operation(
            "staff_login",
            "Staff: log in with name, password and a TOTP or recovery code",
            tag="Staff",
            body=obj(
                {
                    "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME},
                    "password": {"type": "string", "minLength": 1, "maxLength": MAX_PASSWORD},
                    "code": {"type": "string", "minLength": 1, "maxLength": MAX_CODE},
                },
                ["name", "password", "code"],
            ),
            responses={
                "200": reply(
                    "the session",
                    obj(
                        {"token": {"type": "string"}, "expires_at": {"type": "integer"}, **_MEMBER},
                        ["token", "expires_at", *_MEMBER],
                    ),
                )
            },
            errors=[
                ErrorCode.VALIDATION_FAILED,
                ErrorCode.INVALID_CREDENTIALS,
                ErrorCode.LOGIN_LOCKED,
                *BACKEND_ERRORS,
            ],
        )
    },
    "/api/staff/me": {
        "get": operation(
            "staff_me",
            "Staff: who the session is",
            tag="Staff",
            description=_SESSION,
            responses={"200": reply("the staff member", obj(_MEMBER, list(_MEMBER)))},
            errors=[ErrorCode.STAFF_ONLY, *BACKEND_ERRORS],
        )
    },
    "/api/staff/me/grants": {
        "get": operation(
            "staff_me_grants",
            "Staff: who the session is and every staff route its role may call",
            tag="Staff",
            description=_SESSION,
            responses={
                "200": reply(
                    "the staff member and the granted routes",
                    obj(
                        {
                            **_MEMBER,
                            "routes": {
                                "type": "array",
                                "items": obj(
                                    {"method": {"type": "string"}, "path": {"type": "string"}},
                                    ["method", "path"],
                                ),
                            },
                        },
                        [*_MEMBER, "routes"],
                    ),
                )
            },
            errors=[ErrorCode.STAFF_ONLY, *BACKEND_ERRORS],
        )
    },
    "/api/staff/logout": {
        "post": operation(
            "staff_logout",
            "Staff: end this session",
            tag="Staff",
            description=_SESSION,
            responses={"200": reply("ended", obj({"ended": {"type": "boolean"}}, ["ended"]))},
            errors=[ErrorCode.STAFF_ONLY, *BACKEND_ERRORS],
        )
    },
}
