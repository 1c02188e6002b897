"""Security headers on every HTTP response the server sends: API replies, pages and errors.

`SecurityHeaders` wraps the whole application, outside Starlette's own error
middleware, so even a 500 carries them. A response keeps any of these headers
its route set itself (the web client's pages bring their own Content-Security-
Policy and `Cache-Control: no-cache`); what it lacks is added:

- `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` and
  `Referrer-Policy: no-referrer` everywhere;
- a Content-Security-Policy that allows nothing, for everything that is not a
  page: a JSON reply rendered by mistake can load no script and be framed by
  no one;
- `Cache-Control: no-store`: replies carry tokens, balances and payments, and
  no shared cache may keep one;
- `Strict-Transport-Security` only when the request came over https (as
  uvicorn sees it, X-Forwarded-Proto from a trusted proxy included): on plain
  http the header means nothing and would only mislead.

It never removes or weakens a header a route chose.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Nothing may load, and nothing may frame it: right for JSON, text and errors.
API_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
HSTS = "max-age=63072000; includeSubDomains"

EVERY_RESPONSE: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", API_CONTENT_SECURITY_POLICY),
    ("Cache-Control", "no-store"),
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        over_https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in EVERY_RESPONSE:
                    if name not in headers:
                        headers[name] = value
                if over_https and "Strict-Transport-Security" not in headers:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, send_with_headers)
