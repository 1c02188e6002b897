"""The sandbox mail sink's messages over HTTP: what a tester (or a browser test) reads the
verification and reset links from. Sandbox mode only: its `/api/sandbox/` path and its
module name keep it out of a live server's route table (server/mode.py)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from protocol.errors import ErrorCode, Refused
from server.api_docs.parts import obj, operation, query_limit, reply
from server.context import Services
from server.mail.sink import Store
from server.mail.sink_child import directory
from server.web import json_response

MAX_LIST = 100
MAX_TO = 320  # the longest email address


async def mail(request: Request) -> Response:
    services: Services = request.app.state.services
    raw = request.query_params.get("limit", "20")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIST:
        raise Refused(ErrorCode.VALIDATION_FAILED, f"limit must be 1-{MAX_LIST}")
    to = request.query_params.get("to", "")
    if len(to) > MAX_TO:
        raise Refused(ErrorCode.VALIDATION_FAILED, f"to is at most {MAX_TO} characters")
    store = Store(directory(services.settings.data_dir))
    return json_response({"messages": [m.public() for m in store.messages(to, int(raw))]})


routes = [Route("/api/sandbox/mail", mail, methods=["GET"])]

_MESSAGE = {
    "id": {"type": "string"},
    "to": {"type": "string"},
    "subject": {"type": "string"},
    "text": {"type": "string"},
    "html": {"type": "string"},
    "links": {"type": "array", "items": {"type": "string"}},
    "received_at": {"type": "integer"},
}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/sandbox/mail": {
        "get": operation(
            "sandbox_mail",
            "The emails the sandbox mail sink received, newest first; sandbox mode only",
            tag="Accounts",
            description="A sandbox server sends its mail to a local sink instead of anyone's"
            " inbox; this lists it (also `run.py mail`). A live server has no such route.",
            parameters=[
                query_limit(20, MAX_LIST),
                {
                    "name": "to",
                    "in": "query",
                    "required": False,
                    "description": "only messages to this address",
                    "schema": {"type": "string", "maxLength": MAX_TO},
                },
            ],
            responses={
                "200": reply(
                    "the messages",
                    obj(
                        {
                            "messages": {
                                "type": "array",
                                "items": obj(_MESSAGE, required=list(_MESSAGE)),
                            }
                        },
                        required=["messages"],
                    ),
                )
            },
            errors=[ErrorCode.VALIDATION_FAILED],
        )
    }
}
