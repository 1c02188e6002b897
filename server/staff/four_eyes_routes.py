"""The four-eyes HTTP API (roles finance and admin): propose a manual balance adjustment,
list and read proposals (held withdrawals among them), and decide one: `propose` (a held
withdrawal's approval), `approve` (by another staff member than the proposer) or `reject`.
Every call gives its reason; the service is server/staff/four_eyes.py.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from protocol.errors import ErrorCode, Refused
from server.api_docs.parts import BACKEND_ERRORS, obj, operation, reply
from server.staff.accounts import StaffMember
from server.staff.four_eyes import MAX_AMOUNT, STATUSES, FourEyes
from server.staff.guard import staff_route
from server.staff.roles import Role
from server.web import MAX_ID, client_address, json_body, json_response

MAX_REASON = 500
MAX_KEY = 128
MAX_LISTED = 500
GUARD = (Role.FINANCE, Role.ADMIN)


def _four_eyes(request: Request) -> FourEyes:
    found: FourEyes = request.app.state.four_eyes
    return found


def _reason(data: dict[str, Any]) -> str:
    value = data.get("reason")
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if not 1 <= len(text) <= MAX_REASON:
        raise Refused(
            ErrorCode.VALIDATION_FAILED, f"reason is 1-{MAX_REASON} characters", field="reason"
        )
    return text


def _id(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_ID:
        raise Refused(ErrorCode.VALIDATION_FAILED, f"{name} is an id", field=name)
    return value


@staff_route(*GUARD)
async def adjust(request: Request, member: StaffMember) -> Response:
    data = await json_body(request)
    player_id = _id(data.get("player_id"), "player_id")
    amount = data.get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise Refused(ErrorCode.INVALID_AMOUNT, "amount is a signed integer in minor units")
    reason = _reason(data)
    key = request.headers.get("idempotency-key", "")
    if not 1 <= len(key) <= MAX_KEY:
        raise Refused(
            ErrorCode.VALIDATION_FAILED, f"an Idempotency-Key header (1-{MAX_KEY}) is required"
        )
    proposal, created = await _four_eyes(request).propose_adjustment(
        member, player_id, amount, reason, key, client_address(request.scope)
    )
    return json_response(proposal.public(), 201 if created else 200)


@staff_route(*GUARD)
async def listing(request: Request, member: StaffMember) -> Response:
    status = request.query_params.get("status")
    if status is not None and status not in STATUSES:
        raise Refused(
            ErrorCode.VALIDATION_FAILED, f"status is one of {', '.join(STATUSES)}", field="status"
        )
    found = await _four_eyes(request).listing(status, MAX_LISTED)
    return json_response({"proposals": [proposal.public() for proposal in found]})


def _path_id(request: Request) -> int:
    value = int(request.path_params["proposal_id"])
    if not 0 < value <= MAX_ID:
        raise Refused(ErrorCode.NOT_FOUND, "no such proposal")
    return value


@staff_route(*GUARD)
async def one(request: Request, member: StaffMember) -> Response:
    return json_response((await _four_eyes(request).get(_path_id(request))).public())


@staff_route(*GUARD)
async def decide(request: Request, member: StaffMember) -> Response:
    four_eyes = _four_eyes(request)
    decisions = {
        "propose": four_eyes.propose_withdrawal,
        "approve": four_eyes.approve,
        "reject": four_eyes.reject,
    }
    act = decisions.get(request.path_params["decision"])
    if act is None:
        raise Refused(ErrorCode.NOT_FOUND, "the decision is propose, approve or reject")
    proposal_id = _path_id(request)
    await four_eyes.get(proposal_id)  # NOT_FOUND before the body is judged
    reason = _reason(await json_body(request))
    decided = await act(member, proposal_id, reason, client_address(request.scope))
    return json_response(decided.public())


routes = [
    Route("/api/staff/adjustments", adjust, methods=["POST"]),
    Route("/api/staff/proposals", listing, methods=["GET"]),
    Route("/api/staff/proposals/{proposal_id:int}", one, methods=["GET"]),
    Route("/api/staff/proposals/{proposal_id:int}/{decision:str}", decide, methods=["POST"]),
]

_WHO = (
    "Staff session of role finance or admin (server/staff/guard.py). Four eyes: the proposer"
    " of a proposal cannot approve it."
)
_GUARD_ERRORS = (ErrorCode.STAFF_ONLY, ErrorCode.STAFF_ROLE_REFUSED)
_OPT_INT = {"type": ["integer", "null"]}
_OPT_STR = {"type": ["string", "null"]}
_PROPOSAL = {
    "proposal_id": {"type": "integer"},
    "kind": {"type": "string", "enum": ["adjustment", "withdrawal"]},
    "player_id": {"type": "integer"},
    "currency": {"type": "string"},
    "amount": {"type": "integer"},
    "status": {"type": "string", "enum": list(STATUSES)},
    "reason": {"type": "string"},
    "proposed_by": _OPT_STR,
    "proposed_at": _OPT_INT,
    "decided_by": _OPT_STR,
    "decided_at": _OPT_INT,
    "decided_reason": _OPT_STR,
    "applied_at": _OPT_INT,
    "created_at": {"type": "integer"},
}
_ONE = obj(_PROPOSAL, list(_PROPOSAL))
_REASON = {"type": "string", "minLength": 1, "maxLength": MAX_REASON}
_PID = {"name": "proposal_id", "in": "path", "required": True, "schema": {"type": "integer"}}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/staff/adjustments": {
        "post": operation(
            "staff_adjustment_propose",
            "Staff: propose a manual balance adjustment (another staff member approves it)",
            tag="Staff",
            description=_WHO + " `amount` is signed (credit positive); Idempotency-Key header.",
            parameters=[
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY},
                },
            ],
            body=obj(
                {
                    "player_id": {"type": "integer", "minimum": 1},
                    "amount": {"type": "integer", "minimum": -MAX_AMOUNT, "maximum": MAX_AMOUNT},
                    "reason": _REASON,
                },
                ["player_id", "amount", "reason"],
            ),
            responses={
                "201": reply("proposed", _ONE),
                "200": reply("the same key and terms: the same proposal", _ONE),
            },
            errors=[
                *_GUARD_ERRORS,
                ErrorCode.VALIDATION_FAILED,
                ErrorCode.INVALID_AMOUNT,
                ErrorCode.NOT_FOUND,
                ErrorCode.IDEMPOTENCY_CONFLICT,
                *BACKEND_ERRORS,
            ],
        )
    },
    "/api/staff/proposals": {
        "get": operation(
            "staff_proposals",
            "Staff: proposals (of one status), oldest first",
            tag="Staff",
            description=_WHO,
            parameters=[
                {
                    "name": "status",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": list(STATUSES)},
                },
            ],
            responses={
                "200": reply("the proposals", obj({"proposals": {"type": "array"}}, ["proposals"]))
            },
            errors=[*_GUARD_ERRORS, ErrorCode.VALIDATION_FAILED, *BACKEND_ERRORS],
        )
    },
    "/api/staff/proposals/{proposal_id}": {
        "get": operation(
            "staff_proposal",
            "Staff: one proposal",
            tag="Staff",
            description=_WHO,
            parameters=[_PID],
            responses={"200": reply("the proposal", _ONE)},
            errors=[*_GUARD_ERRORS, ErrorCode.NOT_FOUND, *BACKEND_ERRORS],
        )
    },
    "/api/staff/proposals/{proposal_id}/{decision}": {
        "post": operation(
            "staff_proposal_decide",
            "Staff: propose a held withdrawal's approval, approve, or reject a proposal",
            tag="Staff",
            description=_WHO + " An approved adjustment moves the money at once.",
            parameters=[
                _PID,
                {
                    "name": "decision",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": ["propose", "approve", "reject"]},
                },
            ],
            body=obj({"reason": _REASON}, ["reason"]),
            responses={"200": reply("the proposal after the decision", _ONE)},
            errors=[
                *_GUARD_ERRORS,
                ErrorCode.NOT_FOUND,
                ErrorCode.VALIDATION_FAILED,
                ErrorCode.FOUR_EYES_REQUIRED,
                ErrorCode.PROPOSAL_NOT_PENDING,
                ErrorCode.INSUFFICIENT_FUNDS,
                *BACKEND_ERRORS,
            ],
        )
    },
}
