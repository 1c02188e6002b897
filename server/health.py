"""`/health`, liveness: 200 for as long as the process can answer at all.

It also says whether Redis and the database are reachable ("ok" or "down"),
for people; a backend outage must not make an orchestrator restart a process
that will recover by itself, so the status code never depends on them.
Whether to send players here is `/ready`'s question (server/observability/readiness.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.api_docs.parts import obj, operation, reply
from server.context import Services
from server.web import json_response

CHECK_TIMEOUT_S = 2.0


async def health(request: Request) -> Response:
    services: Services = request.app.state.services
    checks = {}
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            await services.redis.ping()
        checks["redis"] = "ok"
    except Exception:
        checks["redis"] = "down"
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            await services.db.fetchone("SELECT 1")
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "down"
    healthy = all(value == "ok" for value in checks.values())
    return json_response({"status": "ok" if healthy else "degraded", **checks}, 200)


routes = [Route("/health", health, methods=["GET"])]


_CHECKS = obj(
    {"status": {"type": "string"}, "redis": {"type": "string"}, "database": {"type": "string"}},
    ["status", "redis", "database"],
)

OPENAPI_PATHS: dict[str, Any] = {
    "/health": {
        "get": operation(
            "health",
            "Liveness, with the reachability of Redis and the database",
            tag="Operations",
            responses={"200": reply("alive", _CHECKS)},
        )
    }
}
