"""The staff API of the audit trail's viewer (roles compliance and admin): the entries,
newest first, a page at a time (`before` the oldest id of the page seen, `limit`), of one
subject when asked. Checking the chain is GET /api/staff/audit/verify (server/aml/routes.py).
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
from server.staff.accounts import StaffMember
from server.staff.guard import staff_route
from server.staff.roles import Role
from server.web import MAX_ID, json_response

PATH = "/api/staff/audit"
MAX_LIMIT = 200
MAX_SUBJECT = 200


def _whole(text: str | None, name: str, most: int) -> int | None:
    if text is None or text == "":
        return None
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= most:
        raise Refused(ErrorCode.VALIDATION_FAILED, f"{name} is 1-{most}", field=name)
    return int(text)


@staff_route(Role.COMPLIANCE, Role.ADMIN)
async def listing(request: Request, member: StaffMember) -> Response:
    services: Services = request.app.state.services
    query = request.query_params
    before = _whole(query.get("before"), "before", MAX_ID)
    limit = _whole(query.get("limit"), "limit", MAX_LIMIT) or 50
    subject = query.get("subject") or None
    if subject is not None and len(subject) > MAX_SUBJECT:
        raise Refused(
            ErrorCode.VALIDATION_FAILED, f"subject is at most {MAX_SUBJECT}", field="subject"
        )
    found = await trail.page(services.db, before, limit, subject)
    older = found[-1]["id"] if len(found) == limit else None
    return json_response({"entries": found, "before": older})


routes = [Route(PATH, listing, methods=["GET"])]


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


OPENAPI_PATHS: dict[str, Any] = {
    PATH: {
        "get": operation(
            "staff_audit_entries",
            "Staff: audit trail entries, newest first, a page at a time (compliance, admin)",
            tag="Staff",
            description="`before` from the reply asks for the next, older page (null: none).",
            parameters=[
                _query("before", {"type": "integer", "minimum": 1}),
                _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
                _query("subject", {"type": "string", "maxLength": MAX_SUBJECT}),
            ],
            responses={
                "200": reply(
                    "a page of entries",
                    obj(
                        {"entries": {"type": "array"}, "before": {"type": ["integer", "null"]}},
                        ["entries", "before"],
                    ),
                )
            },
            errors=[
                ErrorCode.STAFF_ONLY,
                ErrorCode.STAFF_ROLE_REFUSED,
                ErrorCode.VALIDATION_FAILED,
                *BACKEND_ERRORS,
            ],
        )
    }
}
