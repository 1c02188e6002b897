"""The WebSocket route: one reader, one writer, and the limits between them.

The reader takes frames, enforces the frame size, the request rate and the
cap on requests in progress, and runs each request as its own
task (a `hello` runs inline, so nothing overtakes authentication). Every outgoing frame, reply
or push, goes through one queue to one writer, so frames never interleave.
A connection that keeps breaking limits is closed with 1008; on shutdown
in-flight requests finish before the socket is closed with 1012. One `IdleWatch`
per process closes the sessions that sent nothing for the idle timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from dataclasses import dataclass
from typing import Any

import msgspec
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from protocol.close_codes import CloseCode
from protocol.codec import ProtocolError, decode_request, encode_reply
from protocol.errors import ErrorCode
from protocol.messages import ErrorReply
from server.context import Services
from server.sessions.connection import Connection
from server.sessions.hub import Hub
from server.sessions.limits import TokenBucket, Violations

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Close:
    code: CloseCode
    reason: str = ""


Outgoing = bytes | str | Close


class Outbox:
    """The frames waiting for a session's writer, in order.

    Not an `asyncio.Queue`: that holds four deques and an Event, about 3.8 KB, on every
    socket even while nothing is queued, and most sockets are idle. Here an idle session
    holds an empty list and the one future its writer waits on.
    """

    __slots__ = ("_frames", "_waiter")

    def __init__(self) -> None:
        self._frames: list[Outgoing] = []
        self._waiter: asyncio.Future[None] | None = None

    def put(self, frame: Outgoing) -> None:
        self._frames.append(frame)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def get(self) -> Outgoing:
        while not self._frames:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._frames.pop(0)


class SocketSession:
    def __init__(self, websocket: WebSocket, services: Services, hub: Hub) -> None:
        settings = services.settings
        self.ws = websocket
        self.services = services
        self.hub = hub
        self.outbox = Outbox()
        self.connection = Connection(services, hub, self.deliver)
        self.bucket = TokenBucket(settings.rate_per_second, settings.rate_burst)
        self.violations = Violations(settings.max_violations)
        self.tasks: set[asyncio.Task[None]] = set()
        self.binary = True  # pushes go out in the format the client last spoke
        self.closing = False
        self.last_seen = time.monotonic()  # the idle watch closes the session from here

    # -- outgoing ----------------------------------------------------------------------------
    def send(self, frame: Outgoing) -> None:
        if not self.closing:
            self.outbox.put(frame)
            if isinstance(frame, Close):
                self.closing = True

    def deliver(self, message: dict[str, Any]) -> None:
        """A push for this player: skip those aimed at another login session."""
        only = message.get("only_token_hash")
        if only is not None and only != self.connection.token_hash:
            return
        public = {k: v for k, v in message.items() if k != "only_token_hash"}
        frame = (
            msgspec.msgpack.encode(public) if self.binary else msgspec.json.encode(public).decode()
        )
        self.send(frame)
        if public.get("type") == "forced_logout":
            self.send(Close(CloseCode.FORCED_LOGOUT, "logged out"))

    def refuse(self, frame: bytes | str, code: ErrorCode, message: str) -> None:
        """Answer a frame the limits refused, echoing its id when it has one."""
        request_id: int | str | None
        try:
            request_id = decode_request(frame, self.services.settings.max_frame_bytes).id
        except ProtocolError as error:
            request_id = error.request_id
        reply = ErrorReply(id=request_id, code=code, message=message)
        encoded = encode_reply(reply, self.binary)
        self.send(encoded if self.binary else encoded.decode())
        if self.violations.add():
            self.send(Close(CloseCode.POLICY_VIOLATION, "too many refused frames"))

    async def writer(self) -> None:
        while True:
            frame = await self.outbox.get()
            if isinstance(frame, Close):
                with contextlib.suppress(Exception):
                    await self.ws.close(frame.code, frame.reason)
                return
            if isinstance(frame, bytes):
                await self.ws.send_bytes(frame)
            else:
                await self.ws.send_text(frame)

    # -- incoming ----------------------------------------------------------------------------
    async def run(self) -> None:
        while not self.closing:
            message = await self.ws.receive()
            self.last_seen = time.monotonic()
            if message["type"] == "websocket.disconnect":
                return
            frame: bytes | str | None = message.get("bytes")
            if frame is None:
                frame = message.get("text")
            if frame is None or self.hub.draining:
                continue  # while draining, new requests are not started
            self.binary = isinstance(frame, bytes)
            await self.accept(frame)

    async def accept(self, frame: bytes | str) -> None:
        settings = self.services.settings
        if len(frame) > settings.max_frame_bytes:
            # Refused here, not in Connection, so that repeated ones count towards the close.
            self.refuse(
                frame,
                ErrorCode.FRAME_TOO_LARGE,
                f"frame larger than {settings.max_frame_bytes} bytes",
            )
            return
        if not self.bucket.take(time.monotonic()):
            self.refuse(frame, ErrorCode.RATE_LIMITED, f"at most {settings.rate_per_second}/s")
            return
        if not self.connection.authenticated:
            await self.handle(frame)  # hello (or refusals) in order, before anything else
            return
        if len(self.tasks) >= settings.max_pending:
            self.refuse(
                frame, ErrorCode.TOO_MANY_PENDING, f"at most {settings.max_pending} at once"
            )
            return
        task = asyncio.create_task(self.handle(frame))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def handle(self, frame: bytes | str) -> None:
        self.send(await self.connection.handle(frame))
        if self.connection.over_session_cap:
            self.send(Close(CloseCode.TRY_AGAIN_LATER, "too many sessions"))

    async def drain(self) -> None:
        grace = self.services.settings.shutdown_grace_s
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=grace)
        self.send(Close(CloseCode.SERVICE_RESTART, "server restarting"))


class IdleWatch:
    """Closes (4002) every session that sent nothing for the idle timeout.

    One task per process looks at every session a few times per timeout, instead of a
    timeout around each receive: that made a task per frame received, and kept one task and
    one timer alive for every idle session (memory is what an idle session must not cost).
    """

    def __init__(self, idle_s: float) -> None:
        self.idle_s = idle_s
        self.sessions: weakref.WeakSet[SocketSession] = weakref.WeakSet()
        self.task: asyncio.Task[None] | None = None

    def watch(self, session: SocketSession) -> None:
        self.sessions.add(session)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run(), name="idle-watch")

    def forget(self, session: SocketSession) -> None:
        self.sessions.discard(session)
        if not self.sessions and self.task is not None:
            self.task.cancel()
            self.task = None

    async def _run(self) -> None:
        period = min(max(self.idle_s / 4, 0.05), 5.0)
        while self.sessions:
            await asyncio.sleep(period)
            now = time.monotonic()
            for session in list(self.sessions):
                if now - session.last_seen > self.idle_s:
                    session.send(Close(CloseCode.IDLE_TIMEOUT, "idle"))


def _idle_watch(websocket: WebSocket, idle_s: float) -> IdleWatch:
    state = websocket.app.state
    watch: IdleWatch | None = getattr(state, "idle_watch", None)
    if watch is None:
        watch = state.idle_watch = IdleWatch(idle_s)
    return watch


def _refused_for_caps(reply: bytes | str) -> bool:
    decoded = (
        msgspec.msgpack.decode(reply) if isinstance(reply, bytes) else msgspec.json.decode(reply)
    )
    return isinstance(decoded, dict) and decoded.get("code") == ErrorCode.TOO_MANY_SESSIONS


async def play_socket(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    hub: Hub = websocket.app.state.hub
    address = websocket.client.host if websocket.client else "unknown"
    await websocket.accept()
    if hub.draining:
        await websocket.close(CloseCode.SERVICE_RESTART, "server restarting")
        return
    if not hub.admit_address(address):
        reply = ErrorReply(id=None, code=ErrorCode.TOO_MANY_CONNECTIONS, message="too many")
        await websocket.send_bytes(encode_reply(reply, binary=True))
        await websocket.close(CloseCode.TRY_AGAIN_LATER, "too many connections")
        return
    session = SocketSession(websocket, services, hub)
    unregister = hub.on_drain(session.drain)
    idle = _idle_watch(websocket, services.settings.idle_timeout_s)
    idle.watch(session)
    writer = asyncio.create_task(session.writer())
    try:
        await session.run()
    except WebSocketDisconnect:
        pass
    finally:
        idle.forget(session)
        unregister()
        hub.release_address(address)
        if session.tasks:  # requests in progress finish: their money is already moving
            await asyncio.wait(list(session.tasks), timeout=services.settings.shutdown_grace_s)
        session.send(Close(CloseCode.NORMAL))
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer, timeout=2)
        writer.cancel()
        await session.connection.close()


PATH = "/ws"
routes = [WebSocketRoute(PATH, play_socket)]
