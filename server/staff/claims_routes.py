"""The staff HTTP API of queue claims (server/staff/claims.py): list a queue's claims,
claim an item, release it. Each queue's routes are for the roles that work that queue:
KYC reviews and AML cases for compliance and admin, withdrawal and adjustment proposals
for finance and admin (risk alerts have their own assignment, server/risk/routes.py).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from protocol.errors import ErrorCode
from server.api_docs.parts import BACKEND_ERRORS, obj, operation, reply
from server.context import Services
from server.staff import claims
from server.staff.accounts import StaffMember
from server.staff.guard import Endpoint, staff_route
from server.staff.roles import Role
from server.web import client_address, json_response, path_id

ROLES = {
    "kyc": (Role.COMPLIANCE, Role.ADMIN),
    "withdrawals": (Role.FINANCE, Role.ADMIN),
    "aml": (Role.COMPLIANCE, Role.ADMIN),
}


def _item(request: Request) -> int:
    return path_id(request, "item")


def _endpoints(queue: str) -> tuple[Endpoint, Endpoint, Endpoint]:
    roles = ROLES[queue]

    @staff_route(*roles)
    async def listing(request: Request, member: StaffMember) -> Response:
        services: Services = request.app.state.services
        return json_response({"queue": queue, "claims": await claims.held(services.db, queue)})

    @staff_route(*roles)
    async def claim(request: Request, member: StaffMember) -> Response:
        services: Services = request.app.state.services
        item = _item(request)
        since = await claims.claim(services.db, queue, item, member, client_address(request.scope))
        return json_response({"item": item, "holder": member.name, "claimed_at": since})

    @staff_route(*roles)
    async def release(request: Request, member: StaffMember) -> Response:
        services: Services = request.app.state.services
        item = _item(request)
        released = await claims.release(
            services.db, queue, item, member, client_address(request.scope)
        )
        return json_response({"item": item, "released": released})

    return listing, claim, release


def _routes() -> list[Route]:
    found = []
    for queue in claims.QUEUES:
        listing, claim, release = _endpoints(queue)
        base = f"/api/staff/queues/{queue}"
        found += [
            Route(f"{base}/claims", listing, methods=["GET"]),
            Route(f"{base}/{{item}}/claim", claim, methods=["POST"]),
            Route(f"{base}/{{item}}/release", release, methods=["POST"]),
        ]
    return found


routes = _routes()

_ITEM = {"name": "item", "in": "path", "required": True,
         "schema": {"type": "integer", "minimum": 1}}  # fmt: skip
_GUARD = [ErrorCode.STAFF_ONLY, ErrorCode.STAFF_ROLE_REFUSED]


def _described(queue: str) -> dict[str, Any]:
    who = " or ".join(role.value for role in ROLES[queue])
    base = f"/api/staff/queues/{queue}"
    return {
        f"{base}/claims": {
            "get": operation(
                f"staff_queue_{queue}_claims",
                f"Staff: who holds which {queue} item ({who})",
                tag="Staff",
                responses={
                    "200": reply(
                        "the claims",
                        obj(
                            {"queue": {"type": "string"}, "claims": {"type": "array"}},
                            ["queue", "claims"],
                        ),
                    )
                },
                errors=[*_GUARD, *BACKEND_ERRORS],
            )
        },
        f"{base}/{{item}}/claim": {
            "post": operation(
                f"staff_queue_{queue}_claim",
                f"Staff: hold a {queue} item ({who})",
                tag="Staff",
                parameters=[_ITEM],
                responses={"200": reply("held by the caller", obj({}))},
                errors=[
                    *_GUARD,
                    ErrorCode.VALIDATION_FAILED,
                    ErrorCode.QUEUE_ITEM_CLAIMED,
                    *BACKEND_ERRORS,
                ],
            )
        },
        f"{base}/{{item}}/release": {
            "post": operation(
                f"staff_queue_{queue}_release",
                f"Staff: let a held {queue} item go (its holder, or an admin)",
                tag="Staff",
                parameters=[_ITEM],
                responses={"200": reply("released or not held", obj({}))},
                errors=[
                    *_GUARD,
                    ErrorCode.VALIDATION_FAILED,
                    ErrorCode.QUEUE_ITEM_CLAIMED,
                    *BACKEND_ERRORS,
                ],
            )
        },
    }


OPENAPI_PATHS: dict[str, Any] = {
    path: described for queue in claims.QUEUES for path, described in _described(queue).items()
}
