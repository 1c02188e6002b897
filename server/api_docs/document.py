"""Assemble the whole HTTP API's OpenAPI 3.1 document from the routes the app really serves.

Each module that defines a routed endpoint states its paths as
`OPENAPI_PATHS` (and the component schemas they refer to as `OPENAPI_SCHEMAS`)
beside its `routes`; the document takes them from the modules of the app's
routed endpoints, so a new routes module only has to describe itself. Two
modules describing the same operation, or one schema name with two meanings,
is an error raised here rather than a silently wrong document.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from types import ModuleType
from typing import Any

from starlette.routing import BaseRoute, Route

from server.api_docs.parts import ERROR_SCHEMA

VERSION = "1.0.0"

DESCRIPTION = (
    "The player platform's HTTP API (accounts, wallet, games, rounds, operations) and the"
    " provider seamless-wallet API. Amounts are integers in minor units of the currency."
    ' Every refusal is `{"error": {"code", "message"}}` with a stable code (the README'
    " lists them); the provider wallet calls answer HTTP 200 with a `status` instead (see"
    " `GET /provider/openapi.json`). Live play is the WebSocket at `/ws`, not described here."
)


class DocumentConflict(ValueError):
    """Two modules describe the same operation or schema differently."""


def _modules(routes: Iterable[BaseRoute]) -> list[ModuleType]:
    found: dict[str, ModuleType] = {}
    for route in routes:
        if not isinstance(route, Route):
            continue  # the static mount and the WebSocket are not part of the HTTP API
        module = inspect.getmodule(route.endpoint)
        if module is not None:
            found.setdefault(module.__name__, module)
    return list(found.values())


def _merge_paths(into: dict[str, dict[str, Any]], paths: dict[str, Any], source: str) -> None:
    for path, operations in paths.items():
        known = into.setdefault(path, {})
        for method, described in operations.items():
            if method in known and known[method] != described:
                raise DocumentConflict(f"{method.upper()} {path} described twice ({source})")
            known[method] = described


def _merge_schemas(into: dict[str, Any], schemas: dict[str, Any], source: str) -> None:
    for name, schema in schemas.items():
        if name in into and into[name] != schema:
            raise DocumentConflict(f"schema {name} has two meanings ({source})")
        into[name] = schema


def document(routes: Iterable[BaseRoute]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    for module in _modules(routes):
        _merge_paths(paths, getattr(module, "OPENAPI_PATHS", {}), module.__name__)
        _merge_schemas(schemas, getattr(module, "OPENAPI_SCHEMAS", {}), module.__name__)
    return {
        "openapi": "3.1.0",
        "info": {"title": "casino-server HTTP API", "version": VERSION, "description": DESCRIPTION},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "the session token from POST /api/sessions",
                }
            },
        },
    }
