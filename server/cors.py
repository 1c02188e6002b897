"""Cross-origin requests: closed unless the operator lists the origins (CASINO_CORS_ORIGINS).

With no origin listed, no response ever carries an Access-Control-Allow-*
header, so a browser lets no other site read any reply, and a preflight
(`OPTIONS` with `Access-Control-Request-Method`) is refused with
ORIGIN_NOT_ALLOWED. A listed origin, compared exactly, gets its preflight
answered and its replies readable; every other origin stays refused. Tokens
travel in the Authorization header, never in cookies, so credentials are
never allowed: that keeps a listed origin from riding a player's browser
session.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from protocol.errors import ErrorCode
from server.web import error_response

ALLOWED_METHODS = "GET, POST, DELETE"
ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-Request-ID"
EXPOSED_HEADERS = "X-Request-ID, Retry-After"
PREFLIGHT_MAX_AGE_S = 600


class CorsPolicy:
    def __init__(self, app: ASGIApp, origins: Iterable[str] = ()) -> None:
        self.app = app
        self.origins = frozenset(origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        origin = request_headers.get("origin")
        allowed = origin is not None and origin in self.origins
        if scope["method"] == "OPTIONS" and "access-control-request-method" in request_headers:
            await self._preflight(origin if allowed else None)(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start" and self.origins:
                headers = MutableHeaders(scope=message)
                headers.add_vary_header("Origin")  # the answer depends on who asks
                if allowed and origin is not None:
                    headers["Access-Control-Allow-Origin"] = origin
                    headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def _preflight(self, origin: str | None) -> ASGIApp:
        if origin is None:
            refused = error_response(
                ErrorCode.ORIGIN_NOT_ALLOWED, "cross-origin requests from this origin are refused"
            )
            refused.status_code = 403
            if self.origins:
                refused.headers["Vary"] = "Origin"
            return refused
        return Response(
            status_code=204,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": ALLOWED_METHODS,
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_S),
                "Vary": "Origin",
            },
        )
