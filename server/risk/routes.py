"""The staff API of risk alerts (roles risk and admin, server/staff/guard.py): list and
filter them, assign one, resolve one with a reason. Every assignment and resolution is in
the audit trail (server/risk/alerts.py) as the calling staff member's."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from protocol.errors import ErrorCode, Refused
from server.api_docs.parts import BACKEND_ERRORS, obj, operation, query_limit, reply
from server.context import Services
from server.risk import alerts
from server.staff.accounts import StaffMember
from server.staff.guard import staff_route
from server.staff.roles import Role
from server.web import MAX_ID, client_address, json_body, json_response


def _int(text: str | None, name: str) -> int | None:
    if text is None:
        return None
    if not text.isdigit() or not 0 < int(text) <= MAX_ID:
        raise Refused(ErrorCode.VALIDATION_FAILED, f"{name} is a positive integer", field=name)
    return int(text)


def _alert_id(request: Request) -> int:
    found = _int(str(request.path_params["alert_id"]), "alert_id")
    assert found is not None
    return found


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > 500:
        raise Refused(ErrorCode.VALIDATION_FAILED, f"{name} is 1-500 characters", field=name)
    return value


@staff_route(Role.RISK, Role.ADMIN)
async def listing(request: Request, member: StaffMember) -> Response:
    services: Services = request.app.state.services
    query = request.query_params
    status = query.get("status", "open")
    if status not in (*alerts.STATUSES, "any"):
        raise Refused(
            ErrorCode.VALIDATION_FAILED, "status is open, dismissed, confirmed or any",
            field="status",
        )  # fmt: skip
    limit = _int(query.get("limit"), "limit") or 100
    found = await alerts.listing(
        services.db,
        status=None if status == "any" else status,
        rule=query.get("rule") or None,
        player_id=_int(query.get("player_id"), "player_id"),
        assignee=query.get("assignee") or None,
        limit=min(limit, 500),
    )
    return json_response({"alerts": [alert.public() for alert in found]})


@staff_route(Role.RISK, Role.ADMIN)
async def assign(request: Request, member: StaffMember) -> Response:
    services: Services = request.app.state.services
    data = await json_body(request)
    alert = await alerts.assign(
        services.db, _alert_id(request), _text(data, "assignee")[:64], member.name,
        client_address(request.scope),
    )  # fmt: skip
    return json_response(alert.public())


@staff_route(Role.RISK, Role.ADMIN)
async def resolve(request: Request, member: StaffMember) -> Response:
    services: Services = request.app.state.services
    data = await json_body(request)
    outcome = data.get("outcome")
    if outcome not in alerts.OUTCOMES:
        raise Refused(
            ErrorCode.VALIDATION_FAILED, "outcome is dismissed or confirmed", field="outcome"
        )
    alert = await alerts.resolve(
        services.db, _alert_id(request), str(outcome), member.name, _text(data, "reason"),
        client_address(request.scope), services.accounts.set_status,
    )  # fmt: skip
    if alert.action == "block_bonuses":  # any resolution lifts it: grant what waited
        await services.bonus.resume(alert.player_id)
    return json_response(alert.public())


routes = [
    Route("/api/staff/risk/alerts", listing, methods=["GET"]),
    Route("/api/staff/risk/alerts/{alert_id}/assign", assign, methods=["POST"]),
    Route("/api/staff/risk/alerts/{alert_id}/resolve", resolve, methods=["POST"]),
]

_ALERT = obj({})
_ID = {"name": "alert_id", "in": "path", "required": True,
       "schema": {"type": "integer", "minimum": 1}}  # fmt: skip
_STAFF = {"type": "string", "minLength": 1, "maxLength": 64}
_REASON = {"type": "string", "minLength": 1, "maxLength": 500}
_QUERY = [
    {"name": name, "in": "query", "required": False, "schema": schema}
    for name, schema in (
        ("status", {"type": "string", "enum": [*alerts.STATUSES, "any"], "default": "open"}),
        ("rule", {"type": "string"}),
        ("player_id", {"type": "integer", "minimum": 1}),
        ("assignee", {"type": "string"}),
    )
]

_GUARD = (ErrorCode.STAFF_ONLY, ErrorCode.STAFF_ROLE_REFUSED)
_WHO = "Staff session of role risk or admin (server/staff/guard.py)."
OPENAPI_PATHS: dict[str, Any] = {
    "/api/staff/risk/alerts": {
        "get": operation(
            "staff_risk_alerts", "Staff: risk alerts, oldest first, filtered", tag="Staff",
            description=_WHO,
            parameters=[*_QUERY, query_limit(100, 500)],
            responses={"200": reply("the alerts", obj({"alerts": {"type": "array"}}, ["alerts"]))},
            errors=[*_GUARD, ErrorCode.VALIDATION_FAILED, *BACKEND_ERRORS],
        )
    },
    "/api/staff/risk/alerts/{alert_id}/assign": {
        "post": operation(
            "staff_risk_assign", "Staff: assign an open risk alert to someone", tag="Staff",
            description=_WHO, parameters=[_ID],
            body=obj({"assignee": _STAFF}, ["assignee"]),
            responses={"200": reply("the alert", _ALERT)},
            errors=[*_GUARD, ErrorCode.NOT_FOUND, ErrorCode.RISK_ALERT_RESOLVED,
                    ErrorCode.VALIDATION_FAILED, *BACKEND_ERRORS],
        )
    },
    "/api/staff/risk/alerts/{alert_id}/resolve": {
        "post": operation(
            "staff_risk_resolve",
            "Staff: resolve an open risk alert as dismissed (its action lifts) or confirmed",
            tag="Staff", description=_WHO,
            parameters=[_ID],
            body=obj(
                {"outcome": {"type": "string", "enum": list(alerts.OUTCOMES)},
                 "reason": _REASON},
                ["outcome", "reason"],
            ),
            responses={"200": reply("the alert", _ALERT)},
            errors=[*_GUARD, ErrorCode.NOT_FOUND, ErrorCode.RISK_ALERT_RESOLVED,
                    ErrorCode.VALIDATION_FAILED, *BACKEND_ERRORS],
        )
    },
}  # fmt: skip
