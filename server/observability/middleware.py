"""Per-request instrumentation: ids bound to the log context, latency and refusals measured.

`RequestContext` wraps the HTTP app: each request gets a request id (the
caller's `X-Request-ID` when it is a sane one, else a fresh one), echoed in the
response, and its latency is recorded per route template. `instrument` wraps a
WebSocket connection's answer to one request: it binds a request id and the
player, times the answer per message type and counts error replies by code.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from starlette.datastructures import MutableHeaders
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import rng
from protocol.messages import ErrorReply, Request
from server.observability import log_context, metrics

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "x-request-id"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def _route_label(scope: Scope) -> str:
    route = scope.get("route")
    if route is None:
        return "unmatched"
    if isinstance(route, Mount):
        return "static"  # the web client's files: one label, not one per file
    return str(getattr(route, "path", "unmatched"))


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = ""
        for name, value in scope.get("headers", []):
            if name == REQUEST_ID_HEADER.encode():
                given = value.decode("latin-1")
        request_id = given if _SANE_REQUEST_ID.fullmatch(given) else rng.randbytes(8).hex()
        status = 500  # what the client sees if the app fails before it answers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        started = time.perf_counter()
        # Not reset afterwards: uvicorn runs each request in its own task, so the id ends with
        # it, and the server-error handler (outside this middleware) still logs with it.
        log_context.bind(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            metrics.record_http_request(
                _route_label(scope), scope["method"], status, time.perf_counter() - started
            )


class _Identified(Protocol):
    @property
    def id(self) -> int: ...


class Answering(Protocol):
    """What `instrument` needs of a WebSocket connection."""

    @property
    def session_id(self) -> str: ...

    @property
    def player(self) -> _Identified | None: ...


C = TypeVar("C", bound=Answering)
R = TypeVar("R", bound=Request)
Reply = TypeVar("Reply")


def instrument(
    answer: Callable[[C, R], Awaitable[Reply]],
) -> Callable[[C, R], Awaitable[Reply]]:
    """Decorate `Connection._answer`: log ids, latency per message type, errors by code."""

    @functools.wraps(answer)
    async def answered(connection: C, request: R) -> Reply:
        kind = str(type(request).__struct_config__.tag)
        player = connection.player
        tokens = log_context.bind(
            request_id=f"{connection.session_id}:{request.id}",
            player_id=player.id if player is not None else None,
            round_id=getattr(request, "round_id", None),  # act and resume name their round
        )
        started = time.perf_counter()
        try:
            reply = await answer(connection, request)
            elapsed = time.perf_counter() - started
            code = str(reply.code) if isinstance(reply, ErrorReply) else None
            if log.isEnabledFor(logging.DEBUG):  # inside the request's ids: a per-request trace
                outcome = f" ({code})" if code else ""
                log.debug("answered %s in %.1f ms%s", kind, elapsed * 1000, outcome)
        finally:
            log_context.reset(tokens)
        metrics.record_ws_request(kind, elapsed, code)
        return reply

    return answered
