"""`GET /openapi.json`: the whole HTTP API's document, built once per process from its routes."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.api_docs.document import document
from server.api_docs.parts import obj, operation, reply
from server.web import json_response


async def openapi(request: Request) -> Response:
    cached: dict[str, Any] | None = getattr(request.app.state, "openapi", None)
    if cached is None:
        cached = document(request.app.routes)
        request.app.state.openapi = cached
    return json_response(cached)


OPENAPI_PATHS: dict[str, Any] = {
    "/openapi.json": {
        "get": operation(
            "openapi",
            "This document",
            tag="Operations",
            responses={"200": reply("OpenAPI 3.1", obj({"openapi": {"const": "3.1.0"}}))},
        )
    }
}

routes = [Route("/openapi.json", openapi, methods=["GET"])]
