"""HTTP routes of responsible gambling: a player's limits, time-out and self-exclusion.

Every route needs the player's session token and acts on that player only. Stricter limits
apply at once, looser ones after 24 hours and a confirmation (server/rg/limits.py); a
time-out or self-exclusion cannot be ended early or shortened, and ends every open play
session with a `forced_logout` push. During one the player may still log in, see the
balance and withdraw (the UK RTS keeps withdrawal of remaining funds open); stakes and
deposits are refused with PLAY_BLOCKED.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from protocol.errors import ErrorCode, Refused
from server.api_docs.parts import BACKEND_ERRORS, obj, operation, reply
from server.context import Services
from server.rg import limits
from server.rg.limits import Limit
from server.rg.profiles import HOUR_MS, Profile
from server.rg.state import SELF_EXCLUSION, TIME_OUT, Exclusion, months_later
from server.storage.database import now_ms
from server.web import client_address, current_player, json_body, json_response

MAX_SELF_EXCLUSION_MONTHS = 60


def _limit(limit: Limit) -> dict[str, Any]:
    pending = None
    if limit.pending:
        pending = {
            "value": limit.pending_value,
            "effective_at_ms": limit.pending_at,
            "confirmable": limit.pending_at is not None and now_ms() >= limit.pending_at,
        }
    return {"kind": limit.kind, "value": limit.value, "pending": pending}


def _exclusion(exclusion: Exclusion | None) -> dict[str, Any] | None:
    return None if exclusion is None else {"kind": exclusion.kind, "until_ms": exclusion.until_ms}


def _profile(profile: Profile, currency: str, age: int | None = None) -> dict[str, Any]:
    return {
        "name": profile.name,
        "slot_cycle_ms": profile.slot_cycle_ms,
        "other_cycle_ms": profile.other_cycle_ms,
        "autoplay": profile.autoplay,
        "turbo": profile.turbo,
        "withdrawal_reversal": profile.withdrawal_reversal,
        "limit_prompt_at_first_deposit": profile.limit_prompt_at_first_deposit,
        "show_session_figures": profile.session_figures_in_balance,
        "max_bonus_wagering": profile.max_bonus_wagering,
        "slot_stake_caps": [
            {"min_age": b.min_age, "max_age": b.max_age, "cap": b.cap, "currency": currency}
            for b in profile.slot_stake_caps
        ],
    }


async def overview(request: Request) -> Response:
    services: Services = request.app.state.services
    player = await current_player(request)
    await services.rg.sync(player.id)  # a lost Redis copy comes back here too
    found = await services.rg.limits(player.id)
    exclusion = await services.rg.exclusion(player.id)
    return json_response(
        {
            "profile": _profile(services.profiles.for_country(player.country), player.currency),
            "currency": player.currency,
            "limits": {kind: _limit(limit) for kind, limit in found.items()},
            "exclusion": _exclusion(exclusion),
            "marketing_allowed": exclusion is None,
        }
    )


async def set_limit(request: Request) -> Response:
    services: Services = request.app.state.services
    player = await current_player(request)
    kind = request.path_params["kind"]
    data = await json_body(request)
    if "value" not in data:
        raise Refused(ErrorCode.VALIDATION_FAILED, "value is required (an integer, or null)")
    profile = services.profiles.for_country(player.country)
    after = await services.rg.set_limit(
        player.id, player.currency, kind, data["value"], profile, client_address(request.scope)
    )
    return json_response(_limit(after), 202 if after.pending else 200)


async def confirm_limit(request: Request) -> Response:
    services: Services = request.app.state.services
    player = await current_player(request)
    after = await services.rg.confirm(
        player.id, player.currency, request.path_params["kind"], client_address(request.scope)
    )
    return json_response(_limit(after))


def _whole(data: dict[str, Any], name: str, low: int, high: int) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise Refused(
            ErrorCode.VALIDATION_FAILED, f"{name} must be an integer from {low} to {high}"
        )
    return value


async def time_out(request: Request) -> Response:
    services: Services = request.app.state.services
    player = await current_player(request)
    profile = services.profiles.for_country(player.country)
    hours = _whole(
        await json_body(request), "hours", profile.min_time_out_hours, profile.max_time_out_hours
    )
    exclusion = await services.rg.exclude(
        player.id, TIME_OUT, now_ms() + hours * HOUR_MS, client_address(request.scope)
    )
    return json_response({"exclusion": _exclusion(exclusion)}, 201)


async def self_exclusion(request: Request) -> Response:
    services: Services = request.app.state.services
    player = await current_player(request)
    profile = services.profiles.for_country(player.country)
    months = _whole(
        await json_body(request),
        "months",
        profile.min_self_exclusion_months,
        MAX_SELF_EXCLUSION_MONTHS,
    )
    until = months_later(now_ms(), months)
    exclusion = await services.rg.exclude(
        player.id, SELF_EXCLUSION, until, client_address(request.scope)
    )
    return json_response({"exclusion": _exclusion(exclusion)}, 201)


routes = [
    Route("/api/rg", overview, methods=["GET"]),
    Route("/api/rg/limits/{kind}", set_limit, methods=["PUT"]),
    Route("/api/rg/limits/{kind}/confirm", confirm_limit, methods=["POST"]),
    Route("/api/rg/time-out", time_out, methods=["POST"]),
    Route("/api/rg/self-exclusion", self_exclusion, methods=["POST"]),
]

_KIND = {
    "name": "kind",
    "in": "path",
    "required": True,
    "schema": {"enum": list(limits.KINDS)},
    "description": "deposit_* and loss_* in minor units of the wallet; session_minutes in"
    " minutes (at most 1440); reality_check_seconds in seconds (60 to 86400)",
}
_VALUE = {"type": ["integer", "null"], "minimum": 1}
_LIMIT = obj(
    {
        "kind": {"enum": list(limits.KINDS)},
        "value": _VALUE,
        "pending": {
            "oneOf": [
                {"type": "null"},
                obj(
                    {
                        "value": _VALUE,
                        "effective_at_ms": {"type": "integer"},
                        "confirmable": {"type": "boolean"},
                    },
                    ["value", "effective_at_ms", "confirmable"],
                ),
            ]
        },
    },
    ["kind", "value", "pending"],
)
_EXCLUSION = obj(
    {"kind": {"enum": [TIME_OUT, SELF_EXCLUSION]}, "until_ms": {"type": "integer"}},
    ["kind", "until_ms"],
)
_TAG = "Responsible gambling"

OPENAPI_PATHS: dict[str, Any] = {
    "/api/rg": {
        "get": operation(
            "rg_overview",
            "The player's jurisdiction profile, limits, running exclusion and marketing flag",
            tag=_TAG,
            auth=True,
            responses={
                "200": reply(
                    "the player's responsible-gambling state",
                    obj(
                        {
                            "profile": obj({"name": {"enum": ["uk", "mga", "test"]}}, ["name"]),
                            "currency": {"type": "string"},
                            "limits": {"type": "object", "additionalProperties": _LIMIT},
                            "exclusion": {"oneOf": [{"type": "null"}, _EXCLUSION]},
                            "marketing_allowed": {"type": "boolean"},
                        },
                        ["profile", "currency", "limits", "exclusion", "marketing_allowed"],
                    ),
                )
            },
            errors=[*BACKEND_ERRORS],
        )
    },
    "/api/rg/limits/{kind}": {
        "put": operation(
            "rg_set_limit",
            "Set, lower, raise or remove one limit",
            tag=_TAG,
            auth=True,
            parameters=[_KIND],
            description="A stricter value (or a first limit) applies at once (200). A looser"
            " one, or null (remove), waits: 202 with `pending`, which applies only after 24"
            " hours and a POST to .../confirm. The lowest applicable limit wins: a 7-day"
            " deposit limit below the 24-hour one caps both.",
            body=obj({"value": _VALUE}, ["value"]),
            responses={
                "200": reply("applied", _LIMIT),
                "202": reply("looser: waiting for 24 hours and a confirmation", _LIMIT),
            },
            errors=[ErrorCode.VALIDATION_FAILED, *BACKEND_ERRORS],
        )
    },
    "/api/rg/limits/{kind}/confirm": {
        "post": operation(
            "rg_confirm_limit",
            "Confirm a looser limit once its 24 hours have passed",
            tag=_TAG,
            auth=True,
            parameters=[_KIND],
            responses={"200": reply("applied", _LIMIT)},
            errors=[
                ErrorCode.VALIDATION_FAILED,
                ErrorCode.NOT_FOUND,
                ErrorCode.RG_LIMIT_NOT_DUE,
                *BACKEND_ERRORS,
            ],
        )
    },
    "/api/rg/time-out": {
        "post": operation(
            "rg_time_out",
            "Take a time-out of 24 hours to 6 weeks (no early end)",
            tag=_TAG,
            auth=True,
            description="No stakes (our games and providers' alike), no deposits and no"
            " marketing until it ends; every open play session gets a `forced_logout` push"
            " and is closed. Logging in, the balance and withdrawals stay open.",
            body=obj({"hours": {"type": "integer", "minimum": 24, "maximum": 1008}}, ["hours"]),
            responses={"201": reply("started", obj({"exclusion": _EXCLUSION}, ["exclusion"]))},
            errors=[ErrorCode.VALIDATION_FAILED, ErrorCode.RG_ALREADY_EXCLUDED, *BACKEND_ERRORS],
        )
    },
    "/api/rg/self-exclusion": {
        "post": operation(
            "rg_self_exclusion",
            "Exclude yourself for 6 to 60 months (no early end)",
            tag=_TAG,
            auth=True,
            description="As a time-out, for at least six calendar months.",
            body=obj({"months": {"type": "integer", "minimum": 6, "maximum": 60}}, ["months"]),
            responses={"201": reply("started", obj({"exclusion": _EXCLUSION}, ["exclusion"]))},
            errors=[ErrorCode.VALIDATION_FAILED, ErrorCode.RG_ALREADY_EXCLUDED, *BACKEND_ERRORS],
        )
    },
}
