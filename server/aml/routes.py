"""The compliance officer's HTTP API for AML, beside the command line (server/aml/admin.py).

Staff list the cases (open by default, or closed as cleared or confirmed), read one with
its details, close an open one as cleared (nothing wrong: its hold lifts) or confirmed (the
suspicion stands: the account is closed), and check the audit trail's hash chain. Every
route is for roles compliance and admin (server/staff/guard.py: STAFF_ONLY without a staff
session, STAFF_ROLE_REFUSED for another role). Who decides is the caller (the automation
key is `automation`); it is kept with the case and in the audit trail with the request's
address. The
decision itself is `cases.close_case`: the same one transaction, event and audit entry as
the CLI's, and the account's status changes through accounts' `set_status`. Closing a case
already closed is AML_CASE_CLOSED and changes nothing.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from protocol.errors import ErrorCode, Refused
from server.aml import cases
from server.api_docs.parts import BACKEND_ERRORS, obj, operation, reply
from server.audit import trail
from server.context import Services
from server.staff.accounts import StaffMember
from server.staff.guard import staff_route
from server.staff.roles import Role
from server.web import client_address, json_body, json_response

MAX_REASON = 500
MAX_LISTED = 500
MAX_CASE_ID = 2**63 - 1  # SQLite's INTEGER range: a larger id is simply no case
STATUSES = ("open", *cases.OUTCOMES)
DECISIONS = {"clear": "cleared", "confirm": "confirmed"}


def _public(case: cases.Case) -> dict[str, Any]:
    return {
        "case_id": case.id, "player_id": case.player_id, "rule": case.rule,
        "action": case.action, "status": case.status, "reason": case.reason,
        "details": case.details, "opened_at": case.opened_at, "closed_at": case.closed_at,
        "closed_by": case.closed_by, "closed_reason": case.closed_reason,
    }  # fmt: skip


def _words(data: dict[str, Any], name: str, limit: int) -> str:
    """A required free-text field, its whitespace folded; VALIDATION_FAILED when missing."""
    value = data.get(name)
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if not text:
        raise Refused(ErrorCode.VALIDATION_FAILED, f"{name} is required", field=name)
    if len(text) > limit:
        raise Refused(
            ErrorCode.VALIDATION_FAILED, f"{name} is at most {limit} characters", field=name
        )
    return text


@staff_route(Role.COMPLIANCE, Role.ADMIN)
async def case_list(request: Request, member: StaffMember) -> Response:
    services: Services = request.app.state.services
    status = request.query_params.get("status", "open")
    if status not in STATUSES:
        raise Refused(
            ErrorCode.VALIDATION_FAILED, f"status is one of {', '.join(STATUSES)}", field="status"
        )
    raw = request.query_params.get("limit", "100")
    # isascii: str.isdigit() also accepts digits such as "²" that int() refuses.
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LISTED:
        raise Refused(ErrorCode.VALIDATION_FAILED, f"limit must be 1-{MAX_LISTED}", field="limit")
    found = await cases.listing(services.db, status, int(raw))
    return json_response({"cases": [_public(case) for case in found]})


async def _case(services: Services, case_id: int) -> cases.Case:
    found = await cases.get(services.db, case_id) if 0 < case_id <= MAX_CASE_ID else None
    if found is None:
        raise Refused(ErrorCode.NOT_FOUND, f"no AML case {case_id}")
    return found


@staff_route(Role.COMPLIANCE, Role.ADMIN)
async def case_one(request: Request, member: StaffMember) -> Response:
    services: Services = request.app.state.services
    return json_response(_public(await _case(services, int(request.path_params["case_id"]))))


@staff_route(Role.COMPLIANCE, Role.ADMIN)
async def case_decide(request: Request, member: StaffMember) -> Response:
    services: Services = request.app.state.services
    outcome = DECISIONS.get(request.path_params["decision"])
    if outcome is None:
        raise Refused(ErrorCode.NOT_FOUND, "the decision is clear or confirm")
    case_id = int(request.path_params["case_id"])
    await _case(services, case_id)  # NOT_FOUND before the body is judged
    data = await json_body(request)
    reason = _words(data, "reason", MAX_REASON)
    closed = await cases.close_case(
        services.db, case_id, outcome, member.name, reason, client_address(request.scope),
        services.accounts.set_status,
    )  # fmt: skip
    return json_response(_public(closed))


@staff_route(Role.COMPLIANCE, Role.ADMIN)
async def audit_verify(request: Request, member: StaffMember) -> Response:
    services: Services = request.app.state.services
    verdict = await trail.verify(services.db)
    found = {
        "ok": verdict.ok, "entries": verdict.entries, "head": verdict.head,
        "broken_at": verdict.broken_at, "problem": verdict.problem,
    }  # fmt: skip
    return json_response(found)


routes = [
    Route("/api/staff/aml/cases", case_list, methods=["GET"]),
    Route("/api/staff/aml/cases/{case_id:int}", case_one, methods=["GET"]),
    Route("/api/staff/aml/cases/{case_id:int}/{decision:str}", case_decide, methods=["POST"]),
    Route("/api/staff/audit/verify", audit_verify, methods=["GET"]),
]


_STAFF = "Staff session of role compliance or admin (server/staff/guard.py)."
_CASE = {
    "case_id": {"type": "integer", "minimum": 1},
    "player_id": {"type": "integer"},
    "rule": {"type": "string"},
    "action": {"type": "string", "enum": ["flag", "hold_withdrawals", "restrict", "close"]},
    "status": {"type": "string", "enum": list(STATUSES)},
    "reason": {"type": "string"},
    "details": {"type": "object"},
    "opened_at": {"type": "integer"},
    "closed_at": {"type": ["integer", "null"]},
    "closed_by": {"type": ["string", "null"]},
    "closed_reason": {"type": ["string", "null"]},
}
_CASE_ID = {"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/staff/aml/cases": {
        "get": operation(
            "staff_aml_cases",
            "Staff: AML cases of one status (open by default), oldest first",
            tag="AML",
            description=_STAFF,
            parameters=[
                {
                    "name": "status",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": list(STATUSES)},
                },
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LISTED},
                },
            ],
            responses={
                "200": reply(
                    "the cases",
                    obj(
                        {"cases": {"type": "array", "items": obj(_CASE, list(_CASE))}},
                        ["cases"],
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
    },
    "/api/staff/aml/cases/{case_id}": {
        "get": operation(
            "staff_aml_case",
            "Staff: one AML case with its details",
            tag="AML",
            description=_STAFF,
            parameters=[_CASE_ID],
            responses={"200": reply("the case", obj(_CASE, list(_CASE)))},
            errors=[
                ErrorCode.STAFF_ONLY,
                ErrorCode.STAFF_ROLE_REFUSED,
                ErrorCode.NOT_FOUND,
                *BACKEND_ERRORS,
            ],
        )
    },
    "/api/staff/aml/cases/{case_id}/{decision}": {
        "post": operation(
            "staff_aml_decide",
            "Staff: close an open AML case as cleared (its hold lifts) or confirmed (the"
            " account is closed)",
            tag="AML",
            description=f"{_STAFF} `decision` is clear or confirm; the decider (the caller)"
            " and why (`reason`) are kept with the case and in the audit trail.",
            parameters=[
                _CASE_ID,
                {
                    "name": "decision",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": list(DECISIONS)},
                },
            ],
            body=obj(
                {"reason": {"type": "string", "minLength": 1, "maxLength": MAX_REASON}},
                ["reason"],
            ),
            responses={"200": reply("closed", obj(_CASE, list(_CASE)))},
            errors=[
                ErrorCode.STAFF_ONLY,
                ErrorCode.STAFF_ROLE_REFUSED,
                ErrorCode.NOT_FOUND,
                ErrorCode.VALIDATION_FAILED,
                ErrorCode.AML_CASE_CLOSED,
                *BACKEND_ERRORS,
            ],
        )
    },
    "/api/staff/audit/verify": {
        "get": operation(
            "staff_audit_verify",
            "Staff: check the audit trail's hash chain from its first entry",
            tag="AML",
            description=f"{_STAFF} `ok` false names the first entry that does not fit"
            " (`broken_at`) and why (`problem`); `head` is the newest entry's hash, to publish"
            " elsewhere so that removing the newest entries shows too.",
            responses={
                "200": reply(
                    "the verdict",
                    obj(
                        {
                            "ok": {"type": "boolean"},
                            "entries": {"type": "integer", "minimum": 0},
                            "head": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                            "broken_at": {"type": ["integer", "null"]},
                            "problem": {"type": "string"},
                        },
                        ["ok", "entries", "head", "broken_at", "problem"],
                    ),
                )
            },
            errors=[ErrorCode.STAFF_ONLY, ErrorCode.STAFF_ROLE_REFUSED, *BACKEND_ERRORS],
        )
    },
}
