"""HTTP routes for games and rounds: the catalogue and a player's round history."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from games import catalogue
from protocol.errors import ErrorCode
from server.context import Services
from server.rounds import history
from server.web import ApiError, current_player, json_response


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


async def rounds(request: Request) -> Response:
    services: Services = request.app.state.services
    player = await current_player(request)
    try:
        limit = int(request.query_params.get("limit", "20"))
    except ValueError:
        raise ApiError(ErrorCode.VALIDATION_FAILED, "limit must be an integer") from None
    if not 1 <= limit <= 100:
        raise ApiError(ErrorCode.VALIDATION_FAILED, "limit must be between 1 and 100")
    found = await history.recent(services.db, player.id, limit)
    return json_response({"rounds": found})


routes = [
    Route("/api/games", games, methods=["GET"]),
    Route("/api/rounds", rounds, methods=["GET"]),
]
