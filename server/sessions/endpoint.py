"""The WebSocket route, in raw ASGI: one reader per socket, and the limits on what it reads.

The reader takes frames, enforces the frame size, the request rate and the
cap on requests in progress, and runs each request as its own task (a `hello`
runs inline, so nothing overtakes authentication). A frame is sent by the task
that made it, at once, unless frames made earlier still wait for a client that
does not read; then it waits behind them, so frames keep their order and a
Close never overtakes a reply already made. A connection that keeps breaking
limits is closed with 1008; on shutdown in-flight requests finish before the
socket is closed with 1012. One `PlaySockets` per app closes the sessions that
sent nothing for the idle timeout and drains them all on shutdown.

Every request gets exactly one reply (`Connection.handle` is total), or its
socket is closed with a code: a request still unanswered after the request
timeout closes its socket with 1011. The request itself goes on (its money
settles as usual, and under a client session a resent id gets its reply); only
the client stops waiting for an answer that may never come.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

import msgspec
from starlette.routing import WebSocketRoute
from starlette.types import Message, Receive, Scope, Send

from protocol.close_codes import CloseCode
from protocol.codec import ProtocolError, decode_request, encode_reply
from protocol.errors import ErrorCode
from protocol.messages import ErrorReply
from server.context import Services
from server.sessions.connection import Connection
from server.sessions.hub import Hub
from server.sessions.limits import TokenBucket
from server.web import client_address

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Close:
    code: CloseCode
    reason: str = ""


Outgoing = bytes | str | Close


def _message(frame: Outgoing) -> Message:
    if isinstance(frame, bytes):
        return {"type": "websocket.send", "bytes": frame}
    if isinstance(frame, str):
        return {"type": "websocket.send", "text": frame}
    return {"type": "websocket.close", "code": frame.code, "reason": frame.reason}


class SocketSession:
    """One play socket's state. Slots, and no task, set or queue until one is needed: most
    sessions are idle, and each idle one must stay cheap."""

    __slots__ = (
        "_send",
        "backlog",
        "binary",
        "bucket",
        "closing",
        "connection",
        "held",
        "hub",
        "inline_since",
        "last_seen",
        "refused",
        "sender",
        "sending",
        "services",
        "tasks",
    )

    def __init__(self, send: Send, services: Services, hub: Hub) -> None:
        settings = services.settings
        self._send = send
        self.services = services
        self.hub = hub
        self.connection = Connection(services, hub, self.deliver)
        self.bucket = TokenBucket(settings.rate_per_second, settings.rate_burst)
        self.refused = 0  # frames refused by the limits; max_violations of them close it
        # Requests in progress, each with when it arrived; oldest first (dicts keep order).
        self.tasks: dict[asyncio.Task[None], float] | None = None
        self.inline_since: float | None = None  # a request the reader answers itself
        self.binary = True  # pushes go out in the format the client last spoke
        self.closing = False
        self.last_seen = time.monotonic()  # the idle watch closes the session from here
        self.sending = False  # a task is writing; frames made meanwhile wait in the backlog
        self.backlog: list[Outgoing] | None = None
        self.sender: asyncio.Task[None] | None = None  # writes frames posted by sync code
        # Pushes that arrive while hello is being answered wait here: the welcome is always
        # the first frame a session receives.
        self.held: list[Outgoing] | None = None

    # -- outgoing ----------------------------------------------------------------------------
    async def emit(self, frame: Outgoing) -> None:
        """Send from the task that made the frame: at once when no frame waits before it."""
        if not self._admit(frame):
            return
        if self.sending:
            self._enqueue(frame)
            return
        self.sending = True
        try:
            await self._write(frame)
            await self._write_backlog()
        finally:
            self.sending = False

    def post(self, frame: Outgoing) -> None:
        """Send from code that cannot wait (pushes, the idle watch, drain): a task writes it,
        after any frame made before it."""
        if not self._admit(frame):
            return
        self._enqueue(frame)
        if not self.sending:
            self.sending = True
            self.sender = asyncio.create_task(self._send_posted())

    def _admit(self, frame: Outgoing) -> bool:
        if self.closing:
            return False  # nothing goes out after a Close
        if isinstance(frame, Close):
            self.closing = True
        return True

    def _enqueue(self, frame: Outgoing) -> None:
        if self.backlog is None:
            self.backlog = [frame]
        else:
            self.backlog.append(frame)

    async def _send_posted(self) -> None:
        try:
            await self._write_backlog()
        finally:
            self.sending = False
            self.sender = None

    async def _write_backlog(self) -> None:
        while self.backlog:
            frame = self.backlog.pop(0)
            if not self.backlog:
                self.backlog = None
            await self._write(frame)

    async def _write(self, frame: Outgoing) -> None:
        try:
            await self._send(_message(frame))
        except (OSError, RuntimeError):
            # The client is gone (uvicorn's ClientDisconnected), or uvicorn closed the socket
            # itself (a ping went unanswered) and refuses anything after its close.
            self.closing = True
            self.backlog = None

    def deliver(self, message: dict[str, Any]) -> None:
        """A push for this player: skip those aimed at another login session."""
        only = message.get("only_token_hash")
        if only is not None and only != self.connection.token_hash:
            return
        public = {k: v for k, v in message.items() if k != "only_token_hash"}
        frame = (
            msgspec.msgpack.encode(public) if self.binary else msgspec.json.encode(public).decode()
        )
        pushed: list[Outgoing] = [frame]
        if public.get("type") == "forced_logout":
            pushed.append(Close(CloseCode.FORCED_LOGOUT, "logged out"))
        if self.held is not None:
            self.held.extend(pushed)
            return
        for each in pushed:
            self.post(each)

    async def refuse(self, frame: bytes | str, code: ErrorCode, message: str) -> None:
        """Answer a frame the limits refused, echoing its id when it has one. The reader
        waits for a client that does not read its refusals: they never pile up."""
        request_id: int | str | None
        try:
            request_id = decode_request(frame, self.services.settings.max_frame_bytes).id
        except ProtocolError as error:
            request_id = error.request_id
        reply = ErrorReply(id=request_id, code=code, message=message)
        encoded = encode_reply(reply, self.binary)
        await self.emit(encoded if self.binary else encoded.decode())
        self.refused += 1
        if self.refused >= self.services.settings.max_violations:
            await self.emit(Close(CloseCode.POLICY_VIOLATION, "too many refused frames"))

    # -- incoming ----------------------------------------------------------------------------
    async def take(self, message: Message) -> None:
        """One received `websocket.receive` message."""
        self.last_seen = time.monotonic()
        frame: bytes | str | None = message.get("bytes")
        if frame is None:
            frame = message.get("text")
        if frame is None or self.hub.draining:
            return  # while draining, new requests are not started
        self.binary = isinstance(frame, bytes)
        settings = self.services.settings
        if len(frame) > settings.max_frame_bytes:
            # Refused here, not in Connection, so that repeated ones count towards the close.
            await self.refuse(
                frame,
                ErrorCode.FRAME_TOO_LARGE,
                f"frame larger than {settings.max_frame_bytes} bytes",
            )
            return
        if not self.bucket.take(self.last_seen):
            limit = f"at most {settings.rate_per_second}/s"
            await self.refuse(frame, ErrorCode.RATE_LIMITED, limit)
            return
        if not self.connection.authenticated:
            self.inline_since = self.last_seen
            self.held = []
            try:
                await self.handle(frame)  # hello (or refusals) in order, before anything else
            finally:
                self.inline_since = None
                held, self.held = self.held, None
                for early in held:
                    self.post(early)
            return
        if self.tasks is None:
            self.tasks = {}
        elif len(self.tasks) >= settings.max_pending:
            await self.refuse(
                frame, ErrorCode.TOO_MANY_PENDING, f"at most {settings.max_pending} at once"
            )
            return
        task = asyncio.create_task(self.handle(frame))
        self.tasks[task] = self.last_seen
        task.add_done_callback(self.tasks.pop)

    async def handle(self, frame: bytes | str) -> None:
        try:
            await self.emit(await self.connection.handle(frame))
        except Exception:
            # Not one is known (the reply is made totally, a gone client is caught where it
            # is written); were one to come, the client learns of it instead of waiting.
            log.exception("a reply could not be sent")
            self.post(Close(CloseCode.INTERNAL_ERROR, "server fault"))
            return
        if self.connection.over_session_cap:
            await self.emit(Close(CloseCode.TRY_AGAIN_LATER, "too many sessions"))

    def waiting_since(self) -> float | None:
        """When the oldest request still unanswered arrived (None: none is)."""
        oldest = next(iter(self.tasks.values()), None) if self.tasks else None
        if self.inline_since is not None and (oldest is None or self.inline_since < oldest):
            return self.inline_since
        return oldest

    async def finish_requests(self) -> None:
        """Requests in progress finish (their money is already moving), for a bounded time."""
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=self.services.settings.shutdown_grace_s)

    async def drain(self) -> None:
        await self.finish_requests()
        self.post(Close(CloseCode.SERVICE_RESTART, "server restarting"))


class PlaySockets:
    """The play sockets of one app: closes (4002) every session that sent nothing for the
    idle timeout, closes (1011) every session with a request unanswered for the request
    timeout, and drains them all when the hub drains.

    One task per app looks at every session a few times per timeout, instead of a timeout
    around each receive or request: that made a task or a timer per frame received, and
    kept one task and one timer alive for every idle session. So a session is closed
    within a quarter of its timeout (at most 5 s) after the timeout. One drain
    registration, not one per socket.
    """

    def __init__(self, hub: Hub, idle_s: float, request_timeout_s: float) -> None:
        self.idle_s = idle_s
        self.request_timeout_s = request_timeout_s
        self.open: set[SocketSession] = set()
        self.task: asyncio.Task[None] | None = None
        hub.on_drain(self.drain)

    def add(self, session: SocketSession) -> None:
        self.open.add(session)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._watch(), name="idle-watch")

    def discard(self, session: SocketSession) -> None:
        self.open.discard(session)
        if not self.open and self.task is not None:
            self.task.cancel()
            self.task = None

    async def drain(self) -> None:
        await asyncio.gather(*(session.drain() for session in list(self.open)))

    async def _watch(self) -> None:
        period = min(max(min(self.idle_s, self.request_timeout_s) / 4, 0.05), 5.0)
        while self.open:
            await asyncio.sleep(period)
            now = time.monotonic()
            for session in list(self.open):
                if session.closing:
                    continue
                if now - session.last_seen > self.idle_s:
                    session.post(Close(CloseCode.IDLE_TIMEOUT, "idle"))
                    continue
                since = session.waiting_since()
                if since is not None and now - since > self.request_timeout_s:
                    log.warning(
                        "a request unanswered after %ss: closing its socket (1011)",
                        self.request_timeout_s,
                    )
                    session.post(Close(CloseCode.INTERNAL_ERROR, "request timeout"))


def _play_sockets(app: Any, hub: Hub, services: Services) -> PlaySockets:
    sockets: PlaySockets | None = getattr(app.state, "play_sockets", None)
    if sockets is None:
        settings = services.settings
        sockets = PlaySockets(hub, settings.idle_timeout_s, settings.request_timeout_s)
        app.state.play_sockets = sockets
    return sockets


async def play_socket(scope: Scope, receive: Receive, send: Send) -> None:
    app = scope["app"]
    services: Services = app.state.services
    hub: Hub = app.state.hub
    if (await receive())["type"] != "websocket.connect":
        return  # gone before the handshake was answered
    await send({"type": "websocket.accept"})
    if hub.draining:
        await send(_message(Close(CloseCode.SERVICE_RESTART, "server restarting")))
        return
    address = client_address(scope)  # the TCP peer, or what a trusted proxy forwarded
    if not hub.admit_address(address):
        reply = ErrorReply(id=None, code=ErrorCode.TOO_MANY_CONNECTIONS, message="too many")
        await send(_message(encode_reply(reply, binary=True)))
        await send(_message(Close(CloseCode.TRY_AGAIN_LATER, "too many connections")))
        return
    # Nothing reads the handshake's headers from here on (the proxy middleware has taken
    # the client's address from them); uvicorn would keep them for the socket's life.
    scope["headers"] = []
    session = SocketSession(send, services, hub)
    sockets = _play_sockets(app, hub, services)
    sockets.add(session)
    try:
        while not session.closing:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                break
            await session.take(message)
    finally:
        sockets.discard(session)
        hub.release_address(address)
        try:
            await session.finish_requests()
            if session.sender is not None:  # pushes or a Close still being written
                await asyncio.wait([session.sender], timeout=2)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):  # a client that reads nothing gets no more time
                    await session.emit(Close(CloseCode.NORMAL))
        finally:
            await session.connection.close()


class PlaySocket:
    """The route's ASGI app: Starlette would take a plain function for a handler of its
    `WebSocket` wrapper. `CasinoApp` calls `play_socket` itself, before the router."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await play_socket(scope, receive, send)


PATH = "/ws"
routes = [WebSocketRoute(PATH, PlaySocket())]
