"""The role guard every staff route declares.

`require_role(request, Role.COMPLIANCE, Role.ADMIN)` answers who is calling: a staff member
with a live session (`Authorization: Bearer <session token>`, server/staff/accounts.py)
whose role is one of those named (admin is never implied: a route names it), or the
automation key. Without a live session it refuses with STAFF_ONLY (401); with the wrong
role, STAFF_ROLE_REFUSED (403), before the route reads its body or changes anything.

The automation key is CASINO_STAFF_TOKEN, kept for scripts and the operator's own tools:
its holder acts with role admin and is recorded on the audit trail as `staff:automation`.
It is compared in constant time; unset, there is no automation key.

`staff_route(*roles)` wraps an endpoint with the guard and records the roles on it
(`staff_roles`), so a test walks the route table and proves each role is refused every
route not granted to it; the wrapped endpoint receives the caller as its second argument.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from protocol.errors import ErrorCode, Refused
from server.context import Services
from server.staff.accounts import StaffAccounts, StaffMember
from server.staff.roles import Role

AUTOMATION = StaffMember(0, "automation", Role.ADMIN)

Endpoint = Callable[[Request], Awaitable[Response]]
StaffEndpoint = Callable[[Request, StaffMember], Awaitable[Response]]


def _presented(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


async def current_staff(request: Request) -> StaffMember:
    """The caller: a staff member with a live session, or the automation key; else
    STAFF_ONLY."""
    presented = _presented(request)
    if presented:
        services: Services = request.app.state.services
        key = services.settings.staff_token
        if key and hmac.compare_digest(presented.encode(), key.encode()):
            return AUTOMATION
        staff: StaffAccounts | None = getattr(request.app.state, "staff", None)
        member = await staff.authenticate(presented) if staff is not None else None
        if member is not None:
            return member
    raise Refused(ErrorCode.STAFF_ONLY, "staff route: send Authorization: Bearer <staff session>")


async def require_role(request: Request, *roles: Role) -> StaffMember:
    """The caller, when their role is one of `roles`; else STAFF_ONLY or STAFF_ROLE_REFUSED."""
    member = await current_staff(request)
    if member.role not in roles:
        raise Refused(
            ErrorCode.STAFF_ROLE_REFUSED,
            f"role {member.role} may not call this route",
            allowed=sorted(role.value for role in roles),
        )
    return member


def staff_route(*roles: Role) -> Callable[[StaffEndpoint], Endpoint]:
    """Guard an endpoint with `require_role(request, *roles)` and declare its roles."""
    if not roles:
        raise ValueError("a staff route names at least one role")

    def wrap(endpoint: StaffEndpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            return await endpoint(request, await require_role(request, *roles))

        guarded.staff_roles = frozenset(roles)  # type: ignore[attr-defined]
        return guarded

    return wrap


def declared_roles(endpoint: object) -> frozenset[Role] | None:
    """The roles a routed endpoint declared with `staff_route`, or None."""
    found = getattr(endpoint, "staff_roles", None)
    return found if isinstance(found, frozenset) else None
