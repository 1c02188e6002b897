"""HTTP routes for games and rounds: the catalogue, each game's rules and paytable (the help
panel's, built from the game's definition by games/rules.py), a player's round history (a
page at a time, of one game with `?game=`), and the recall of one of the player's rounds
(server/rounds/recall.py)."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from games import catalogue
from games import rules as game_rules
from games.base import Volatility
from protocol.errors import ErrorCode, Refused
from protocol.messages import RoundSummary
from server.api_docs.parts import BACKEND_ERRORS, obj, operation, query_limit, ref, reply
from server.context import Services
from server.rounds import history, recall
from server.web import current_player, json_response


async def games(request: Request) -> Response:
    return json_response(
        {
            "games": [
                {
                    "id": info.id,
                    "name": info.name,
                    "kind": info.kind,
                    "provider": "house",
                    "min_stake": info.min_stake,
                    "max_stake": info.max_stake,
                    "stake_step": info.stake_step,
                    "rtp": f"{float(info.rtp) * 100:.3f}",
                    "volatility": info.volatility,
                }
                for info in catalogue.infos()
            ]
        }
    )


async def rules(request: Request) -> Response:
    found = game_rules.rules(str(request.path_params["game_id"]))
    if found is None:
        raise Refused(ErrorCode.UNKNOWN_GAME, "no such game")
    return json_response(found)


async def rounds(request: Request) -> Response:
    services: Services = request.app.state.services
    player = await current_player(request)
    try:
        limit = int(request.query_params.get("limit", "20"))
    except ValueError:
        raise Refused(ErrorCode.VALIDATION_FAILED, "limit must be an integer") from None
    if not 1 <= limit <= 100:
        raise Refused(ErrorCode.VALIDATION_FAILED, "limit must be between 1 and 100")
    game = request.query_params.get("game") or None
    if game is not None and catalogue.get(game) is None:
        raise Refused(ErrorCode.VALIDATION_FAILED, "game is one of our game ids", field="game")
    cursor = request.query_params.get("cursor")
    found = await history.page(services.db, player.id, limit, cursor, game)
    return json_response({"rounds": found.rounds, "next_cursor": found.next_cursor})


ROUND_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")


async def recalled(request: Request) -> Response:
    """One of the player's own rounds, replayed: another player's round is not found."""
    services: Services = request.app.state.services
    player = await current_player(request)
    round_id = str(request.path_params["round_id"])
    found = await recall.recall(services.db, round_id) if ROUND_ID.fullmatch(round_id) else None
    if found is None or found.player_id != player.id:
        raise Refused(ErrorCode.NOT_FOUND, "no round of yours has this id")
    return json_response(found.public())


routes = [
    Route("/api/games", games, methods=["GET"]),
    Route("/api/games/{game_id}/rules", rules, methods=["GET"]),
    Route("/api/rounds", rounds, methods=["GET"]),
    Route("/api/rounds/{round_id}", recalled, methods=["GET"]),
]


_, OPENAPI_SCHEMAS = msgspec.json.schema_components(
    [RoundSummary], ref_template="#/components/schemas/{name}"
)

OPENAPI_PATHS: dict[str, Any] = {
    "/api/games": {
        "get": operation(
            "house_games",
            "Our games with stakes (minor units), stated RTP (percent) and volatility",
            tag="Games",
            responses={
                "200": reply(
                    "the catalogue",
                    obj(
                        {
                            "games": {
                                "type": "array",
                                "items": obj(
                                    {
                                        "id": {"type": "string"},
                                        "name": {"type": "string"},
                                        "kind": {"enum": ["slot", "table"]},
                                        "provider": {"const": "house"},
                                        "min_stake": {"type": "integer", "minimum": 1},
                                        "max_stake": {"type": "integer", "minimum": 1},
                                        "stake_step": {"type": "integer", "minimum": 1},
                                        "rtp": {"type": "string", "pattern": r"^\d+\.\d{3}$"},
                                        "volatility": {"enum": [str(v) for v in Volatility]},
                                    },
                                    [
                                        "id",
                                        "name",
                                        "kind",
                                        "provider",
                                        "min_stake",
                                        "max_stake",
                                        "stake_step",
                                        "rtp",
                                        "volatility",
                                    ],
                                ),
                            }
                        },
                        ["games"],
                    ),
                )
            },
        )
    },
    "/api/games/{game_id}/rules": {
        "get": operation(
            "game_rules",
            "A game's rules and paytable, from its own definition (the help panel's)",
            tag="Games",
            parameters=[
                {"name": "game_id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            responses={
                "200": reply(
                    "the rules: sentences, tables of payouts and, for a slot, its strips and"
                    " paylines",
                    obj(
                        {
                            "id": {"type": "string"},
                            "name": {"type": "string"},
                            "rtp": {"type": "string", "pattern": r"^\d+\.\d{3}$"},
                            "rules": {"type": "array", "items": {"type": "string"}},
                            "tables": {"type": "array", "items": {"type": "object"}},
                        },
                        ["id", "name", "rtp", "rules", "tables"],
                    ),
                )
            },
            errors=[ErrorCode.UNKNOWN_GAME],
        )
    },
    "/api/rounds": {
        "get": operation(
            "rounds",
            "The logged-in player's settled rounds, newest first, with provably fair proofs",
            tag="Games",
            auth=True,
            parameters=[
                query_limit(),
                {"name": "game", "in": "query", "required": False, "schema": {"type": "string"}},
                {
                    "name": "cursor",
                    "in": "query",
                    "required": False,
                    "description": "the next_cursor of the page before (omit for the newest)",
                    "schema": {"type": "string", "minLength": 1, "maxLength": history.CURSOR_MAX},
                },
            ],
            responses={
                "200": reply(
                    "a page of rounds",
                    obj(
                        {
                            "rounds": {"type": "array", "items": ref("RoundSummary")},
                            "next_cursor": {
                                "type": ["string", "null"],
                                "description": "pass as cursor for the next page; null: no more",
                            },
                        },
                        ["rounds", "next_cursor"],
                    ),
                )
            },
            errors=[ErrorCode.VALIDATION_FAILED, *BACKEND_ERRORS],
        )
    },
    "/api/rounds/{round_id}": {
        "get": operation(
            "round_recall",
            "Recall one of the logged-in player's rounds: inputs, proof (the server seed once"
            " revealed), outcome, balances before and after, and the server's verification",
            tag="Games",
            auth=True,
            parameters=[
                {
                    "name": "round_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 80},
                },
            ],
            responses={"200": reply("the round", obj({}))},
            errors=[ErrorCode.NOT_FOUND, *BACKEND_ERRORS],
        )
    },
}
