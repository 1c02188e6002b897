"""The staff API of reports: gaming by day and currency, by game and provider, open
liabilities, and a player's statement; JSON, or CSV with `?format=csv`.

Money reports are for finance and admin; a player's statement also for support and
compliance, who answer players' and regulators' questions (server/staff/guard.py).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from protocol.errors import ErrorCode, Refused
from server.api_docs.parts import BACKEND_ERRORS, obj, operation
from server.context import Services
from server.reports import queries
from server.reports.queries import Period
from server.staff.accounts import StaffMember
from server.staff.guard import staff_route
from server.staff.roles import Role
from server.web import json_response

MONEY_REPORT_ROLES = (Role.FINANCE, Role.ADMIN)
STATEMENT_ROLES = (Role.SUPPORT, Role.COMPLIANCE, Role.FINANCE, Role.ADMIN)

DAILY = "/api/staff/reports/daily"
GAMES = "/api/staff/reports/games"
LIABILITIES = "/api/staff/reports/liabilities"
STATEMENT = "/api/staff/reports/players/{player_id}/statement"


MAX_DAYS = 366
MAX_ID = 2**63 - 1
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def _day(text: str | None, name: str) -> date:
    if text is None:
        return datetime.now(UTC).date()
    try:
        if not _DAY.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise Refused(
            ErrorCode.VALIDATION_FAILED, f"{name} is a day, YYYY-MM-DD (UTC)", field=name
        ) from None


def _period(request: Request) -> Period:
    query = request.query_params
    first = _day(query.get("from"), "from")
    last = _day(query.get("to"), "to") if "to" in query else max(first, _day(None, "to"))
    if last < first:
        raise Refused(ErrorCode.VALIDATION_FAILED, "to is before from", field="to")
    if (last - first).days >= MAX_DAYS:
        raise Refused(ErrorCode.VALIDATION_FAILED, f"at most {MAX_DAYS} days", field="to")
    return Period(first.isoformat(), last.isoformat())


def _optional(request: Request, name: str, pattern: re.Pattern[str], rule: str) -> str | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    if not pattern.fullmatch(value):
        raise Refused(ErrorCode.VALIDATION_FAILED, f"{name} is {rule}", field=name)
    return value


def _currency(request: Request) -> str | None:
    return _optional(request, "currency", _CURRENCY, "a currency code (EUR)")


def _wants_csv(request: Request) -> bool:
    wanted = request.query_params.get("format", "json")
    if wanted not in ("json", "csv"):
        raise Refused(ErrorCode.VALIDATION_FAILED, "format is json or csv", field="format")
    return wanted == "csv"


def csv_text(rows: Iterable[Mapping[str, Any]], columns: Iterable[str]) -> str:
    """Rows as CSV with a header line; a missing field is empty, None is empty."""
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


def _reply(
    request: Request, data: dict[str, Any], rows: list[dict[str, Any]], name: str
) -> Response:
    if not _wants_csv(request):
        return json_response(data)
    columns = list(rows[0]) if rows else list(_COLUMNS[name])
    return Response(
        csv_text(rows, columns), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )  # fmt: skip


_GAMING = ("stakes", "wins", "ggr")
_DAILY_FIGURES = (*_GAMING, "bonus_cost", "ngr", "players", "rounds", "deposits",
                  "deposit_count", "withdrawals", "withdrawal_count")  # fmt: skip
_COLUMNS: dict[str, tuple[str, ...]] = {
    "daily": ("day", "currency", *_DAILY_FIGURES),
    "games": ("day", "provider", "game", "currency", *_GAMING, "players", "rounds"),
    "liabilities": (
        "currency",
        "cash",
        "bonus",
        "locked",
        "closed_accounts",
        "owed",
        "players",
        "operator_liability",
        "balanced",
    ),
    "statement": (
        "at_ms",
        "kind",
        "currency",
        "provider",
        "game",
        "reference",
        "amount",
        "balance",
    ),
}


@staff_route(*MONEY_REPORT_ROLES)
async def daily(request: Request, staff: StaffMember) -> Response:
    services: Services = request.app.state.services
    period, currency = _period(request), _currency(request)
    _wants_csv(request)
    found = await queries.daily(services.db, period, currency)
    # In CSV the period's totals follow the days, as rows of the day "total".
    rows = found["rows"] + [{"day": "total", **row} for row in found["totals"]]
    return _reply(request, {"from": period.first, "to": period.last, **found}, rows, "daily")


@staff_route(*MONEY_REPORT_ROLES)
async def games(request: Request, staff: StaffMember) -> Response:
    services: Services = request.app.state.services
    period, currency = _period(request), _currency(request)
    provider = _optional(request, "provider", _NAME, "a provider id")
    game = _optional(request, "game", _NAME, "a game id")
    _wants_csv(request)
    found = await queries.games(services.db, period, currency, provider, game)
    return _reply(request, {"from": period.first, "to": period.last, **found}, found["rows"],
                  "games")  # fmt: skip


@staff_route(*MONEY_REPORT_ROLES)
async def liabilities(request: Request, staff: StaffMember) -> Response:
    services: Services = request.app.state.services
    _wants_csv(request)
    found = await queries.liabilities_report(services.db)
    return _reply(request, found, found["rows"], "liabilities")


@staff_route(*STATEMENT_ROLES)
async def statement(request: Request, staff: StaffMember) -> Response:
    services: Services = request.app.state.services
    text = str(request.path_params["player_id"])
    if not text.isdigit() or not 0 < int(text) <= MAX_ID:
        raise Refused(ErrorCode.VALIDATION_FAILED, "player_id is a positive integer",
                      field="player_id")  # fmt: skip
    period = _period(request)
    _wants_csv(request)
    found = await queries.statement(services.db, int(text), period)
    return _reply(request, {"from": period.first, "to": period.last, **found}, found["lines"],
                  "statement")  # fmt: skip


routes = [
    Route(DAILY, daily, methods=["GET"]),
    Route(GAMES, games, methods=["GET"]),
    Route(LIABILITIES, liabilities, methods=["GET"]),
    Route(STATEMENT, statement, methods=["GET"]),
]


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


_DAY_SCHEMA = {"type": "string", "pattern": _DAY.pattern}
_PERIOD = [_query("from", _DAY_SCHEMA), _query("to", _DAY_SCHEMA)]
_FORMAT = _query("format", {"type": "string", "enum": ["json", "csv"], "default": "json"})
_CURRENCY_Q = _query("currency", {"type": "string", "pattern": _CURRENCY.pattern})
_NAME_SCHEMA = {"type": "string", "pattern": _NAME.pattern}
_ERRORS = [
    ErrorCode.STAFF_ONLY,
    ErrorCode.STAFF_ROLE_REFUSED,
    ErrorCode.VALIDATION_FAILED,
    *BACKEND_ERRORS,
]
_ROWS = obj({"rows": {"type": "array", "items": obj({})}}, ["rows"])


def _ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": schema},
            "text/csv": {"schema": {"type": "string"}},
        },
    }


def _described(op_id: str, summary: str, parameters: list[dict[str, Any]],
               schema: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    return {
        "get": operation(
            op_id, summary, tag="Staff",
            description="Authorization: Bearer CASINO_STAFF_TOKEN. `format=csv` for CSV.",
            parameters=[*parameters, _FORMAT], responses={"200": _ok("the report", schema)},
            errors=_ERRORS,
        )
    }  # fmt: skip


OPENAPI_PATHS: dict[str, Any] = {
    DAILY: _described(
        "staff_report_daily",
        "Staff: stakes, wins, GGR, bonus cost, NGR, players, rounds, deposits and withdrawals"
        " per UTC day and currency, with the period's totals",
        [*_PERIOD, _CURRENCY_Q],
        obj({"rows": {"type": "array"}, "totals": {"type": "array"}}, ["rows", "totals"]),
    ),
    GAMES: _described(
        "staff_report_games",
        "Staff: stakes, wins, GGR, players and rounds per day, provider, game and currency",
        [*_PERIOD, _CURRENCY_Q, _query("provider", _NAME_SCHEMA), _query("game", _NAME_SCHEMA)],
        _ROWS,
    ),
    LIABILITIES: _described(
        "staff_report_liabilities",
        "Staff: open liabilities per currency (players' cash, bonus and locked funds) beside"
        " the operator's liability in the ledger",
        [],
        _ROWS,
    ),
    STATEMENT: _described(
        "staff_report_statement",
        "Staff: a player's statement: every movement of the period with opening and closing"
        " funds per currency",
        [
            {
                "name": "player_id",
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            },
            *_PERIOD,
        ],
        obj({"lines": {"type": "array"}, "funds": {"type": "array"}}, ["lines", "funds"]),
    ),
}
