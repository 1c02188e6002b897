"""What an HTTP request may send: no NUL in its query (`%00`: PostgreSQL cannot store one in
text, and no parameter of ours means one; refused with VALIDATION_FAILED, which every
operation with a text parameter documents), and after its head how large a body, of which
type, at what pace.

Every request falls in one class, by its route (`body_rule`):

- JSON routes (everything not named below): at most 64 KiB (`web.MAX_BODY_BYTES`), and a
  body must be declared `Content-Type: application/json`, so no cross-site form or
  `text/plain` post, which a browser sends without asking, can reach them;
- the provider wallet API (`/provider/...`): at most 16 KiB (`messages.MAX_BODY_BYTES`), any
  declared type (what makes a call authentic there is its signature). Past the limit the
  route is given the first 16 KiB and one byte, no more is read, and it refuses in the
  provider API's own terms, as it answers every wallet call: HTTP 200, RS_ERROR_WRONG_SYNTAX;
- KYC uploads (`POST /api/kyc/documents`): CASINO_KYC_MAX_DOCUMENT_BYTES, plus room for the
  framing of a multipart body, any type.

Elsewhere a body declared larger than its class allows is refused 413 before a byte of it
is read. JSON and provider bodies, small by definition, are read whole here before the
route runs, so an oversized, stalled or abandoned one costs no authentication or database
work and a route never sees half a body. An upload is passed to its route as it arrives
(the route authenticates and checks the player's quota before reading, so a stranger
cannot make the server hold megabytes) and is cut off with 413 the moment it passes its
cap. While a body arrives, the client may pause at most CASINO_HTTP_BODY_TIMEOUT_SECONDS
(408). When this layer refuses, the route's own reply is dropped; the protocol then ends
the connection without reading the rest of the body (server/http_protocol.py).

A client that goes away mid-request is logged as that, at INFO, never as a server fault;
the request is counted with status 499 (nginx's "client closed request").
The request line and headers were limited before this runs, in `server/http_protocol.py`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from protocol.errors import ErrorCode, Refused
from server.kyc.routes import MULTIPART_OVERHEAD
from server.provider import messages
from server.storage.text import NO_NUL
from server.web import MAX_BODY_BYTES, error_body, status_of

log = logging.getLogger(__name__)

PROVIDER_PREFIX = "/provider/"
UPLOAD_PATH = "/api/kyc/documents"
CLIENT_CLOSED_REQUEST = 499


@dataclass(frozen=True, slots=True)
class BodyRule:
    limit: int
    code: ErrorCode | None  # the 413's code; None: the route refuses a body past the limit
    json_only: bool  # a body must be declared application/json
    buffered: bool  # read whole before the route runs, or passed on as it arrives

    def too_large(self) -> str:
        if self.code is ErrorCode.DOCUMENT_TOO_LARGE:
            return f"a document upload is at most {self.limit} bytes"
        return f"the request body is at most {self.limit} bytes"


def body_rule(scope: Scope, headers: Headers, upload_limit: int) -> BodyRule:
    path = scope["path"]
    if path.startswith(PROVIDER_PREFIX):
        return BodyRule(messages.MAX_BODY_BYTES, None, False, True)
    if path.rstrip("/") == UPLOAD_PATH and scope["method"] == "POST":
        multipart = media_type(headers) == "multipart/form-data"
        cap = upload_limit + (MULTIPART_OVERHEAD if multipart else 0)
        return BodyRule(cap, ErrorCode.DOCUMENT_TOO_LARGE, False, False)
    return BodyRule(MAX_BODY_BYTES, ErrorCode.FRAME_TOO_LARGE, True, True)


def media_type(headers: Headers) -> str:
    return headers.get("content-type", "").partition(";")[0].strip().lower()


def declared_length(headers: Headers) -> int | None:
    # The parser has already refused a malformed or contradictory Content-Length.
    value = headers.get("content-length")
    return int(value) if value is not None and value.isdigit() else None


class ClientGone(Exception):
    pass


class BodyLimits:
    """The ASGI layer; `app.py` places it inside the request-id and security-header layers,
    so its refusals carry both like any reply."""

    def __init__(self, app: ASGIApp, upload_limit: int, body_timeout_s: float) -> None:
        self.app = app
        self.upload_limit = upload_limit
        self.body_timeout_s = body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        rule = body_rule(scope, headers, self.upload_limit)
        declared = declared_length(headers)
        has_body = bool(declared) or "transfer-encoding" in headers
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            provider = scope["path"].startswith(PROVIDER_PREFIX)  # it refuses in its own terms
            if b"%00" in scope.get("query_string", b"") and not provider:
                raise Refused(ErrorCode.VALIDATION_FAILED, NO_NUL)
            if declared is not None and declared > rule.limit and rule.code is not None:
                raise Refused(rule.code, rule.too_large())
            if rule.json_only and has_body and media_type(headers) != "application/json":
                raise Refused(
                    ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                    "send the body as JSON with Content-Type: application/json",
                )
            if rule.buffered:
                body = await self.read_body(receive, rule)
                await self.app(scope, replay(body, receive), watched)
            else:
                await self.pass_body(scope, receive, watched, rule)
        except Refused as refused:
            await reply(send, refused.code, refused.message)
        except (ClientGone, ClientDisconnect):
            log.info("client went away before %s %s was answered", scope["method"], scope["path"])
            if not started:
                # Never delivered (uvicorn drops what is sent to a closed connection): it
                # gives the request-count metric the status of what happened.
                await send(
                    {"type": "http.response.start", "status": CLIENT_CLOSED_REQUEST, "headers": []}
                )

    async def next_piece(self, receive: Receive) -> Message:
        try:
            async with asyncio.timeout(self.body_timeout_s):
                message = await receive()
        except TimeoutError:
            raise Refused(
                ErrorCode.REQUEST_TIMEOUT,
                f"the body stopped arriving for {self.body_timeout_s:g} s",
            ) from None
        if message["type"] == "http.disconnect":
            raise ClientGone
        return message

    async def read_body(self, receive: Receive, rule: BodyRule) -> bytes:
        pieces: list[bytes] = []
        size = 0
        while True:
            message = await self.next_piece(receive)
            piece = message.get("body", b"")
            size += len(piece)
            pieces.append(piece)
            if size > rule.limit:
                if rule.code is None:  # enough for the route to see it is too large
                    return b"".join(pieces)[: rule.limit + 1]
                raise Refused(rule.code, rule.too_large())
            if not message.get("more_body", False):
                return b"".join(pieces)

    async def pass_body(self, scope: Scope, receive: Receive, send: Send, rule: BodyRule) -> None:
        size = 0
        body_done = False
        refusal: Refused | None = None
        started = False

        async def counted() -> Message:
            nonlocal size, body_done, refusal
            if refusal is not None:
                return {"type": "http.disconnect"}
            if body_done:  # e.g. a route listening for the client to go away: no deadline
                return await receive()
            try:
                message = await self.next_piece(receive)
                size += len(message.get("body", b""))
                if size > rule.limit and rule.code is not None:
                    raise Refused(rule.code, rule.too_large())
            except ClientGone:
                return {"type": "http.disconnect"}  # the route raises ClientDisconnect
            except Refused as refused:
                refusal = refused
                if not started:
                    await reply(send, refused.code, refused.message)
                return {"type": "http.disconnect"}  # the route stops reading here
            body_done = not message.get("more_body", False)
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if refusal is not None:
                return  # already answered for the route
            started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except (ClientGone, ClientDisconnect):
            if refusal is None:
                raise


def replay(body: bytes, receive: Receive) -> Receive:
    """The body read whole, as one message; then the connection's own messages."""
    delivered = False

    async def replayed() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def reply(send: Send, code: ErrorCode, message: str) -> None:
    body = error_body(code, message)
    await send(
        {
            "type": "http.response.start",
            "status": status_of(code),
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # No `Connection: close`: uvicorn would close at once, and a client still
                # sending its body would get a reset instead of this reply. The protocol
                # (server/http_protocol.py) ends the connection gently when its body is unread.
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
