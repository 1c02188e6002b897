"""Liveness with the reachability of Redis and the database, for load balancers and people."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.context import Services
from server.web import json_response

CHECK_TIMEOUT_S = 2.0


async def health(request: Request) -> Response:
    services: Services = request.app.state.services
    checks = {}
    try:
        await asyncio.wait_for(services.redis.ping(), CHECK_TIMEOUT_S)
        checks["redis"] = "ok"
    except Exception as error:
        checks["redis"] = f"unreachable: {type(error).__name__}"
    try:
        await asyncio.wait_for(services.db.fetchone("SELECT 1"), CHECK_TIMEOUT_S)
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"unreachable: {type(error).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return json_response(
        {"status": "ok" if healthy else "degraded", **checks}, 200 if healthy else 503
    )


routes = [Route("/health", health, methods=["GET"])]
