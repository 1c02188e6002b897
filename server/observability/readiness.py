"""`/ready`: may a load balancer send players here now?

`/health` (server/health.py) answers "is the process alive and can it reach its
backends". `/ready` is stricter: 200 only when Redis and the database answer,
the flusher's process runs and keeps up (the oldest unflushed round is younger
than `CASINO_READY_MAX_FLUSH_LAG_SECONDS`) and the server is not shutting down;
otherwise 503 with the reasons, in words an operator can act on.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.api_docs.parts import obj, operation, reply
from server.observability import backlog
from server.observability.metrics import record_backend_error
from server.web import json_response

if TYPE_CHECKING:
    from server.context import Services

CHECK_TIMEOUT_S = 2.0


async def ready(request: Request) -> Response:
    services: Services = request.app.state.services
    bound_s = services.settings.ready_max_flush_lag_s
    reasons: list[str] = []
    report: dict[str, Any] = {}
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            found = await backlog.measure(services.redis, services.backlog_keys)
        report["redis"] = "ok"
        report["flusher_lag_seconds"] = round(found.oldest_age_s, 3)
        report["stream_length"] = found.stream_length
        if found.dead_letters:
            reasons.append(
                f"{found.dead_letters} stream entries were refused by the database and wait in"
                " {s:K}:journal:dead: read the log for 'quarantined', fix, restart"
            )
        if found.oldest_age_s > bound_s:
            reasons.append(
                f"flusher lag {found.oldest_age_s:.1f}s is over {bound_s}s"
                f" ({found.stream_length} rounds wait in Redis): check the database"
            )
    except Exception as error:
        record_backend_error("ready", error)
        report["redis"] = f"unreachable: {type(error).__name__}"
        reasons.append("redis does not answer")
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            await services.db.fetchone("SELECT 1")
        report["database"] = "ok"
    except Exception as error:
        record_backend_error("ready", error)
        report["database"] = f"unreachable: {type(error).__name__}"
        reasons.append("the database does not answer")
    flusher = getattr(request.app.state, "flusher", None)
    if flusher is not None and not flusher.running:
        reasons.append("the flusher process is not running: it is being restarted, see the log")
    hub = getattr(request.app.state, "hub", None)
    if hub is not None and hub.draining:
        reasons.append("shutting down")
    if reasons:
        return json_response({"status": "not ready", **report, "reasons": reasons}, 503)
    return json_response({"status": "ready", **report}, 200)


routes = [Route("/ready", ready, methods=["GET"])]


_READINESS = obj(
    {
        "status": {"enum": ["ready", "not ready"]},
        "redis": {"type": "string"},
        "database": {"type": "string"},
        "flusher_lag_seconds": {"type": "number", "minimum": 0},
        "stream_length": {"type": "integer", "minimum": 0},
        "reasons": {"type": "array", "items": {"type": "string"}},
    },
    ["status", "redis", "database"],
)

OPENAPI_PATHS: dict[str, Any] = {
    "/ready": {
        "get": operation(
            "ready",
            "Readiness: may a load balancer send players here now?",
            tag="Operations",
            responses={
                "200": reply("ready", _READINESS),
                "503": reply("not ready, with the reasons", _READINESS),
            },
        )
    }
}
