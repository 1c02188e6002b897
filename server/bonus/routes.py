"""HTTP routes of the bonus engine: the player's bonus page, opt-in, leaving a bonus; and the
staff API for definitions and cashback (roles finance and admin, server/staff/guard.py)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from protocol.errors import ErrorCode, Refused
from server.api_docs.parts import BACKEND_ERRORS, obj, operation, reply
from server.bonus import campaign_offers
from server.bonus.service import Bonuses, Claimant
from server.context import Services
from server.staff.accounts import StaffMember
from server.staff.guard import staff_route
from server.staff.roles import Role
from server.web import client_address, current_player, json_body, json_response

MAX_ID = 2**63 - 1


def _bonuses(request: Request) -> Bonuses:
    services: Services = request.app.state.services
    return services.bonus


async def _claimant(request: Request) -> Claimant:
    player = await current_player(request)
    return Claimant(player.id, player.currency, player.country)


async def mine(request: Request) -> Response:
    return json_response(await _bonuses(request).view(await _claimant(request)))


async def claim(request: Request) -> Response:
    player = await _claimant(request)
    data = await json_body(request)
    campaign = data.get("campaign")
    if campaign is not None:
        # A provider's free-bet campaign offered to this player (server/bonus/campaign_offers.py).
        if not (isinstance(campaign, str) and 1 <= len(campaign) <= 64):
            raise Refused(ErrorCode.VALIDATION_FAILED, "campaign is an id", field="campaign")
        bonuses = _bonuses(request)
        award_id = await campaign_offers.accept(bonuses, player, campaign)
        return json_response({"award_id": award_id, **await bonuses.view(player)}, 201)
    definition_id, code = data.get("definition_id"), data.get("code")
    if definition_id is not None and not (
        isinstance(definition_id, int) and 0 < definition_id <= MAX_ID
    ):
        raise Refused(ErrorCode.VALIDATION_FAILED, "definition_id is an id", field="definition_id")
    if code is not None and not (isinstance(code, str) and 1 <= len(code) <= 32):
        raise Refused(ErrorCode.VALIDATION_FAILED, "code is 1-32 characters", field="code")
    if (definition_id is None) == (code is None):
        raise Refused(ErrorCode.VALIDATION_FAILED, "send definition_id or code", field="code")
    bonuses = _bonuses(request)
    award_id = await bonuses.claim(player, definition_id, code)
    return json_response({"award_id": award_id, **await bonuses.view(player)}, 201)


async def forfeit(request: Request) -> Response:
    player = await _claimant(request)
    bonuses = _bonuses(request)
    await bonuses.forfeit(player.id, player.currency)
    return json_response(await bonuses.view(player))


async def redeem(request: Request) -> Response:
    player = await _claimant(request)
    points = (await json_body(request)).get("points")
    if not (isinstance(points, int) and not isinstance(points, bool) and 0 < points <= MAX_ID):
        raise Refused(ErrorCode.VALIDATION_FAILED, "points is a positive integer", field="points")
    bonuses = _bonuses(request)
    granted = await bonuses.redeem(player, points)
    return json_response({"granted": granted, **await bonuses.view(player)})


@staff_route(Role.FINANCE, Role.ADMIN)
async def staff_definitions(request: Request, member: StaffMember) -> Response:
    bonuses = _bonuses(request)
    if request.method == "POST":
        found = await bonuses.define(
            await json_body(request), client_address(request.scope), member.actor
        )
        return json_response(found.public(with_code=True), 201)
    return json_response({"definitions": [d.public(True) for d in await bonuses.definitions()]})


@staff_route(Role.FINANCE, Role.ADMIN)
async def staff_cashback(request: Request, member: StaffMember) -> Response:
    data = await json_body(request)
    fields = ("definition_id", "player_id", "since", "until")
    values = [data.get(name) for name in fields]
    for name, value in zip(fields, values, strict=True):
        if not (isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID):
            raise Refused(ErrorCode.VALIDATION_FAILED, f"{name} is an integer", field=name)
    currency = data.get("currency", "EUR")
    if not (isinstance(currency, str) and len(currency) == 3):
        raise Refused(ErrorCode.VALIDATION_FAILED, "currency is ISO 4217", field="currency")
    definition_id, player_id, since, until = (int(v) for v in values)  # type: ignore[arg-type]
    paid = await _bonuses(request).pay_cashback(
        definition_id,
        player_id,
        currency,
        since,
        until,
        client_address(request.scope),
        member.actor,
    )
    return json_response({"paid": paid})


@staff_route(Role.ADMIN)
async def staff_campaign(request: Request, member: StaffMember) -> Response:
    """Offer a campaign definition's free rounds to one player (they opt in to get them)."""
    data = await json_body(request)
    values = [data.get("definition_id"), data.get("player_id")]
    for name, value in zip(("definition_id", "player_id"), values, strict=True):
        if not (isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID):
            raise Refused(ErrorCode.VALIDATION_FAILED, f"{name} is an id", field=name)
    services: Services = request.app.state.services
    found = await services.accounts.player(int(values[1]))  # type: ignore[arg-type]
    if found is None:
        raise Refused(ErrorCode.NOT_FOUND, "no such player", field="player_id")
    offered = await campaign_offers.make_offer(
        services.bonus, int(values[0]),  # type: ignore[arg-type]
        Claimant(found.id, found.currency, found.country), client_address(request.scope),
        member.actor,
    )  # fmt: skip
    return json_response(offered, 201)


routes = [
    Route("/api/bonus", mine, methods=["GET"]),
    Route("/api/bonus/claim", claim, methods=["POST"]),
    Route("/api/bonus/forfeit", forfeit, methods=["POST"]),
    Route("/api/bonus/loyalty/redeem", redeem, methods=["POST"]),
    Route("/api/staff/bonus/definitions", staff_definitions, methods=["GET", "POST"]),
    Route("/api/staff/bonus/cashback", staff_cashback, methods=["POST"]),
    Route("/api/staff/bonus/campaigns", staff_campaign, methods=["POST"]),
]


_ANY = obj({})

_STAFF = "Staff session of role finance or admin (server/staff/guard.py)."
_GUARD = (ErrorCode.STAFF_ONLY, ErrorCode.STAFF_ROLE_REFUSED)
OPENAPI_PATHS: dict[str, Any] = {
    "/api/bonus": {
        "get": operation(
            "bonus", "The player's bonuses: offers, the active bonus and its wagering, awards",
            tag="Bonus", auth=True, responses={"200": reply("the bonus page", _ANY)},
            errors=BACKEND_ERRORS,
        )
    },
    "/api/bonus/claim": {
        "post": operation(
            "bonus_claim", "Opt into a promotion by its id or promo code, or accept a campaign",
            tag="Bonus", auth=True,
            body=obj({"definition_id": {"type": "integer"}, "code": {"type": "string"},
                      "campaign": {"type": "string"}}),
            description="No promotion is offered to, or claimed by, a player in a time-out or"
            " self-exclusion (PLAY_BLOCKED), nor claimed while a fraud alert blocks bonuses"
            " (BONUSES_BLOCKED). `campaign` accepts a provider free-bet campaign offered to the"
            " player: the provider awards it first; when it does not answer, nothing changes"
            " and the offer stays open (PROVIDER_UNAVAILABLE).",
            responses={"201": reply("claimed; the bonus page", _ANY)},
            errors=[
                *BACKEND_ERRORS, ErrorCode.VALIDATION_FAILED, ErrorCode.BONUS_NOT_AVAILABLE,
                ErrorCode.PLAY_BLOCKED, ErrorCode.BONUSES_BLOCKED, ErrorCode.PROVIDER_UNAVAILABLE,
            ],
        )
    },
    "/api/bonus/forfeit": {
        "post": operation(
            "bonus_forfeit", "Leave the active bonus: its bonus money goes, cash stays",
            tag="Bonus", auth=True, responses={"200": reply("the bonus page", _ANY)},
            errors=BACKEND_ERRORS,
        )
    },
    "/api/bonus/loyalty/redeem": {
        "post": operation(
            "bonus_redeem", "Redeem loyalty points for cash or bonus money", tag="Bonus",
            auth=True, body=obj({"points": {"type": "integer", "minimum": 1}}, ["points"]),
            responses={"200": reply("redeemed; the bonus page", _ANY)},
            errors=[
                *BACKEND_ERRORS, ErrorCode.VALIDATION_FAILED, ErrorCode.BONUS_NOT_AVAILABLE,
                ErrorCode.BONUSES_BLOCKED,
            ],
        )
    },
    # Staff routes: a staff session of role finance or admin (or the automation key).
    "/api/staff/bonus/definitions": {
        "get": operation(
            "staff_bonus_definitions", "Every promotion definition (staff token)", tag="Staff",
            description=_STAFF, responses={"200": reply("definitions", _ANY)},
            errors=[*_GUARD, *BACKEND_ERRORS],
        ),
        "post": operation(
            "staff_bonus_define", "Define a promotion (staff token)", tag="Staff",
            description=_STAFF, body=_ANY, responses={"201": reply("the definition", _ANY)},
            errors=[
                *_GUARD, *BACKEND_ERRORS, ErrorCode.VALIDATION_FAILED, ErrorCode.BONUSES_BLOCKED,
            ],
        ),
    },
    "/api/staff/bonus/campaigns": {
        "post": operation(
            "staff_bonus_campaign", "Offer a provider free-bet campaign to one player (admin)",
            tag="Staff", description="Staff session of role admin (server/staff/guard.py). The"
            " definition has trigger `campaign`; the player accepts with /api/bonus/claim.",
            body=obj({"definition_id": {"type": "integer"}, "player_id": {"type": "integer"}},
                     ["definition_id", "player_id"]),
            responses={"201": reply("the campaign offered", _ANY)},
            errors=[
                *_GUARD, *BACKEND_ERRORS, ErrorCode.VALIDATION_FAILED, ErrorCode.NOT_FOUND,
                ErrorCode.BONUS_NOT_AVAILABLE,
            ],
        )
    },
    "/api/staff/bonus/cashback": {
        "post": operation(
            "staff_bonus_cashback", "Pay an opted-in player's cashback for a period (staff token)",
            tag="Staff", description=_STAFF, body=_ANY, responses={"200": reply("paid", _ANY)},
            errors=[*_GUARD, *BACKEND_ERRORS, ErrorCode.VALIDATION_FAILED],
        )
    },
}  # fmt: skip
