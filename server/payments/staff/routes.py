"""The staff HTTP API for payments (roles finance and admin, server/staff/guard.py):
disputes and what a player owes, a dispute's evidence, a refund of a deposit. The actions
themselves are server/payments/staff/actions.py, shared with the command line."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from protocol.errors import ErrorCode, Refused
from server.api_docs.parts import BACKEND_ERRORS, obj, operation, reply
from server.payments.routes import MAX_ID, MAX_KEY_LENGTH, OUTCOME, payment_reply, payments_of
from server.payments.staff import actions as staff
from server.staff.accounts import StaffMember
from server.staff.guard import staff_route
from server.staff.roles import Role
from server.web import client_address, json_body, json_response

MAX_DISPUTES = 100
MAX_REASON = 500


def _staff(request: Request, member: StaffMember) -> staff.Staff:
    return staff.Staff(member.actor, client_address(request.scope))


def _path_id(request: Request, name: str) -> int:
    value = int(request.path_params[name])
    if value > MAX_ID:  # SQLite's ids are 64-bit: a larger one names nothing
        raise Refused(ErrorCode.NOT_FOUND, f"no such {name.removesuffix('_id')}")
    return value


def _reason(data: dict[str, Any]) -> str:
    reason = data.get("reason", "")
    if not isinstance(reason, str) or len(reason) > MAX_REASON:
        raise Refused(
            ErrorCode.VALIDATION_FAILED, f"reason is text of at most {MAX_REASON}", field="reason"
        )
    return " ".join(reason.split())


@staff_route(Role.FINANCE, Role.ADMIN)
async def disputes(request: Request, member: StaffMember) -> Response:
    """A player's disputes and what they still owe (`player_id`), or every dispute not yet
    decided, newest first."""
    payments = payments_of(request)
    raw = request.query_params.get("player_id")
    if raw is None:
        found = await payments.disputes.awaiting(MAX_DISPUTES)
        return json_response({"disputes": [d.public() for d in found]})
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= MAX_ID:
        raise Refused(ErrorCode.VALIDATION_FAILED, "player_id is an id", field="player_id")
    found = await payments.disputes.of_player(int(raw))
    owed = await staff.owed(payments, found)
    return json_response({"disputes": [d.public() for d in found], "owed": owed})


@staff_route(Role.FINANCE, Role.ADMIN)
async def evidence(request: Request, member: StaffMember) -> Response:
    who = _staff(request, member)
    payments = payments_of(request)
    dispute_id = _path_id(request, "dispute_id")
    data = await json_body(request)
    text = data.get("text")
    if not isinstance(text, str):
        raise Refused(ErrorCode.VALIDATION_FAILED, "text is the evidence", field="text")
    dispute, status = await staff.submit_evidence(payments, who, dispute_id, text, _reason(data))
    return json_response({**dispute.public(), "gateway_status": status})


@staff_route(Role.FINANCE, Role.ADMIN)
async def refund(request: Request, member: StaffMember) -> Response:
    who = _staff(request, member)
    payments = payments_of(request)
    payment_id = _path_id(request, "payment_id")
    data = await json_body(request)
    amount = data.get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= MAX_ID:
        raise Refused(ErrorCode.INVALID_AMOUNT, "amount must be a positive integer in minor units")
    key = request.headers.get("idempotency-key")
    if not key or not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise Refused(
            ErrorCode.VALIDATION_FAILED,
            f"an Idempotency-Key header (1-{MAX_KEY_LENGTH} characters) is required",
        )
    receipt = await staff.refund(payments, who, payment_id, amount, key, _reason(data))
    return payment_reply(receipt)


routes = [
    Route("/api/staff/payments/disputes", disputes, methods=["GET"]),
    Route("/api/staff/payments/disputes/{dispute_id:int}/evidence", evidence, methods=["POST"]),
    Route("/api/staff/payments/{payment_id:int}/refund", refund, methods=["POST"]),
]


_STAFF = "Staff session of role finance or admin (server/staff/guard.py)."
_DISPUTE = obj(
    {
        "dispute_id": {"type": "integer", "minimum": 1},
        "gateway_dispute_id": {"type": "string"},
        "payment_id": {"type": "integer", "minimum": 1},
        "amount": {"type": "integer", "minimum": 1},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "status": {"enum": ["needs_response", "under_review", "won", "lost"]},
        "taken": {"type": ["integer", "null"]},
        "debt": {"type": ["integer", "null"]},
    },
    ["dispute_id", "payment_id", "amount", "currency", "status", "taken", "debt"],
)
_UNAVAILABLE = {ErrorCode.PAYMENTS_UNAVAILABLE: 503}


def _id_parameter(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    }


OPENAPI_PATHS: dict[str, Any] = {
    "/api/staff/payments/disputes": {
        "get": operation(
            "staff_payment_disputes",
            "Staff: a player's disputes and what they owe, or every dispute not yet decided",
            tag="Staff",
            description=_STAFF + " With `player_id`: that player's disputes and `owed`"
            " (currency -> chargeback debt still owed after later deposits repaid some).",
            parameters=[
                {
                    "name": "player_id",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1},
                },
            ],
            responses={
                "200": reply(
                    "disputes",
                    obj(
                        {
                            "disputes": {"type": "array", "items": _DISPUTE},
                            "owed": {"type": "object", "additionalProperties": {"type": "integer"}},
                        },
                        ["disputes"],
                    ),
                )
            },
            errors=[
                ErrorCode.STAFF_ONLY,
                ErrorCode.STAFF_ROLE_REFUSED,
                ErrorCode.VALIDATION_FAILED,
                ErrorCode.PAYMENTS_UNAVAILABLE,
                *BACKEND_ERRORS,
            ],
            statuses=_UNAVAILABLE,
        )
    },
    "/api/staff/payments/disputes/{dispute_id}/evidence": {
        "post": operation(
            "staff_payment_evidence",
            "Staff: submit a dispute's evidence to the gateway (the outcome arrives by webhook)",
            tag="Staff",
            description=_STAFF + " Recorded in the audit trail with `reason`.",
            parameters=[_id_parameter("dispute_id")],
            body=obj({"text": {"type": "string"}, "reason": {"type": "string"}}, ["text"]),
            responses={
                "200": reply(
                    "submitted",
                    obj(
                        {**_DISPUTE["properties"], "gateway_status": {"type": "string"}},
                        [*_DISPUTE["required"], "gateway_status"],
                    ),
                )
            },
            errors=[
                ErrorCode.STAFF_ONLY,
                ErrorCode.STAFF_ROLE_REFUSED,
                ErrorCode.NOT_FOUND,
                ErrorCode.VALIDATION_FAILED,
                ErrorCode.EVIDENCE_REFUSED,
                ErrorCode.GATEWAY_UNAVAILABLE,
                ErrorCode.PAYMENTS_UNAVAILABLE,
                *BACKEND_ERRORS,
            ],
            statuses=_UNAVAILABLE,
        )
    },
    "/api/staff/payments/{payment_id}/refund": {
        "post": operation(
            "staff_payment_refund",
            "Staff: refund (part of) a completed deposit to the method that paid it",
            tag="Staff",
            description=_STAFF + " Idempotent by key: the same key again answers 200 with"
            " `replayed: true` and refunds nothing more. The refund leaves the player's cash"
            " as a withdrawal does. Recorded in the audit trail with `reason`.",
            parameters=[
                _id_parameter("payment_id"),
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
                },
            ],
            body=obj(
                {"amount": {"type": "integer", "minimum": 1}, "reason": {"type": "string"}},
                ["amount"],
            ),
            responses={
                "201": reply("completed, declined or refused by the gateway", OUTCOME),
                "202": reply("pending: the gateway's answer is not known yet", OUTCOME),
                "200": reply("replayed", OUTCOME),
            },
            errors=[
                ErrorCode.STAFF_ONLY,
                ErrorCode.STAFF_ROLE_REFUSED,
                ErrorCode.NOT_FOUND,
                ErrorCode.INVALID_AMOUNT,
                ErrorCode.VALIDATION_FAILED,
                ErrorCode.IDEMPOTENCY_CONFLICT,
                ErrorCode.INSUFFICIENT_FUNDS,
                ErrorCode.PAYMENTS_UNAVAILABLE,
                *BACKEND_ERRORS,
            ],
            statuses=_UNAVAILABLE,
        )
    },
}
