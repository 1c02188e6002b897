"""The staff API of game recall: any stored round replayed (server/rounds/recall.py) with
its player, inputs, proof, outcome, balances before and after and the server's
verification; for support (players' disputes), compliance (regulators) and admin."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from protocol.errors import ErrorCode, Refused
from server.api_docs.parts import BACKEND_ERRORS, obj, operation, reply
from server.context import Services
from server.rounds import recall
from server.rounds.routes import ROUND_ID
from server.staff.accounts import StaffMember
from server.staff.guard import staff_route
from server.staff.roles import Role
from server.web import json_response

RECALL = "/api/staff/rounds/{round_id}"


@staff_route(Role.SUPPORT, Role.COMPLIANCE, Role.ADMIN)
async def recalled(request: Request, staff: StaffMember) -> Response:
    services: Services = request.app.state.services
    round_id = str(request.path_params["round_id"])
    found = await recall.recall(services.db, round_id) if ROUND_ID.fullmatch(round_id) else None
    if found is None:
        raise Refused(ErrorCode.NOT_FOUND, "no round has this id")
    return json_response(found.public())


routes = [Route(RECALL, recalled, methods=["GET"])]

OPENAPI_PATHS: dict[str, Any] = {
    RECALL: {
        "get": operation(
            "staff_round_recall",
            "Staff: recall any round: its player, inputs, proof, outcome, balances before and"
            " after, and the server's verification",
            tag="Staff", description="Authorization: Bearer CASINO_STAFF_TOKEN.",
            parameters=[{"name": "round_id", "in": "path", "required": True,
                         "schema": {"type": "string", "minLength": 1, "maxLength": 80}}],
            responses={"200": reply("the round", obj({}))},
            errors=[
                ErrorCode.STAFF_ONLY, ErrorCode.STAFF_ROLE_REFUSED, ErrorCode.NOT_FOUND,
                *BACKEND_ERRORS,
            ],
        )
    }
}  # fmt: skip
