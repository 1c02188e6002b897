"""Building blocks a routes module describes its own paths with, as OpenAPI 3.1 fragments.

A routes module states `OPENAPI_PATHS = {path: {method: operation(...)}}` next
to its `routes`; `server.api_docs.document` merges them. An error response is
derived from the error codes a route can refuse with: the HTTP status is the
one `server.web.error_response` really sends for that code, and the schema
names exactly those codes, so the document cannot promise a status the code
does not send. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from protocol.errors import DESCRIPTIONS, ErrorCode
from server.web import error_response

JSON = "application/json"
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]

# Every route reading a bearer token can refuse with these.
AUTH_ERRORS = (ErrorCode.NOT_AUTHENTICATED, ErrorCode.INVALID_TOKEN, ErrorCode.TOKEN_EXPIRED)
# Every route reading a JSON body (server.web.json_body) can refuse with these (the last
# two before the route runs, in server/http_limits.py; VALIDATION_FAILED: a NUL in the body).
BODY_ERRORS = (
    ErrorCode.BAD_FRAME,
    ErrorCode.FRAME_TOO_LARGE,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    ErrorCode.VALIDATION_FAILED,
)
# Every route with a query can refuse this before it runs: a NUL in it (server/http_limits.py).
QUERY_ERRORS = (ErrorCode.VALIDATION_FAILED,)
# A route touching Redis answers this while Redis is down (server.app's RedisError handler).
BACKEND_ERRORS = (ErrorCode.SERVICE_UNAVAILABLE,)

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"enum": [str(code) for code in ErrorCode]},
                "message": {"type": "string"},
                "field": {"type": "string", "description": "the request field at fault"},
                "params": {
                    "type": "object",
                    "additionalProperties": {"type": ["integer", "string"]},
                    "description": (
                        "the refusal's figures for wording it (amounts in minor units with"
                        " `currency`, `minutes`, `age`, `variant`): clients/web/messages.json"
                    ),
                },
            },
        }
    },
}


def status_of(code: ErrorCode) -> int:
    return error_response(code, "").status_code


def json_content(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {JSON: {"schema": dict(schema)}}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(
    properties: Mapping[str, Any], required: Iterable[str] = (), **extra: Any
) -> dict[str, Any]:
    """A JSON object schema; extra members are allowed (the server ignores them)."""
    schema: dict[str, Any] = {"type": "object", "properties": dict(properties)}
    names = list(required)
    if names:
        schema["required"] = names
    return {**schema, **extra}


def reply(description: str, schema: Mapping[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description}
    if schema is not None:
        response["content"] = json_content(schema)
    return response


def error_replies(
    codes: Iterable[ErrorCode], statuses: Mapping[ErrorCode, int] | None = None
) -> dict[str, Any]:
    """One response per HTTP status, its schema naming exactly the codes sent with it.

    `statuses` names the codes a route sends with another status than error_response's."""
    by_status: dict[int, list[ErrorCode]] = {}
    for code in dict.fromkeys(codes):
        status = (statuses or {}).get(code) or status_of(code)
        by_status.setdefault(status, []).append(code)
    responses: dict[str, Any] = {}
    for status, found in sorted(by_status.items()):
        error = ERROR_SCHEMA["properties"]["error"]
        schema = {
            **ERROR_SCHEMA,
            "properties": {
                "error": {
                    **error,
                    "properties": {
                        **error["properties"],
                        "code": {"enum": [str(code) for code in found]},
                    },
                }
            },
        }
        lines = "; ".join(f"`{code}`: {DESCRIPTIONS[code]}" for code in found)
        responses[str(status)] = reply(lines, schema)
    return responses


def operation(
    operation_id: str,
    summary: str,
    *,
    tag: str,
    responses: Mapping[str, Any],
    errors: Iterable[ErrorCode] = (),
    statuses: Mapping[ErrorCode, int] | None = None,
    auth: bool = False,
    body: Mapping[str, Any] | None = None,
    parameters: Iterable[Mapping[str, Any]] = (),
    description: str | None = None,
) -> dict[str, Any]:
    """One operation; bearer auth, a JSON body and a query add the errors they imply."""
    params = [dict(parameter) for parameter in parameters]
    codes = list(errors)
    if auth:
        codes = [*AUTH_ERRORS, *codes]
    if body is not None:
        codes = [*BODY_ERRORS, *codes]
    if any(parameter.get("in") == "query" for parameter in params):
        codes = [*QUERY_ERRORS, *codes]
    codes = list(dict.fromkeys(codes))
    found: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
        "responses": {**dict(responses), **error_replies(codes, statuses)},
    }
    if description:
        found["description"] = description
    if auth:
        found["security"] = BEARER
    if params:
        found["parameters"] = params
    if body is not None:
        found["requestBody"] = {"required": True, "content": json_content(body)}
    return found


def query_limit(default: int = 20, maximum: int = 100) -> dict[str, Any]:
    return {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": f"how many, newest first (default {default})",
        "schema": {"type": "integer", "minimum": 1, "maximum": maximum, "default": default},
    }
