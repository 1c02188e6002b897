"""uvicorn's sans-I/O WebSocket protocol, holding less for each idle connection.

Most play sockets are idle, and uvicorn's `websockets-sansio` protocol keeps per
connection an `asyncio.Queue` of received messages (four deques and an Event, about
2.7 KB even while empty), an `asyncio.Event` for flow control (a deque, about 0.7 KB),
and the handshake's request and response with their headers (about 2 KB) for the
socket's whole life. This subclass swaps the first two for a list and a future made
only while someone waits, and lets go of the handshake once it is answered. Frames,
flow control, pings and closes are uvicorn's own code, unchanged.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn._types import ASGIReceiveEvent, ASGISendEvent
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


class Inbox:
    """The received messages one reader takes in order (ASGI `receive` is never called
    twice at once): `asyncio.Queue`'s `put_nowait`, `get` and `empty`, nothing more."""

    __slots__ = ("_messages", "_waiter")

    def __init__(self) -> None:
        self._messages: list[ASGIReceiveEvent] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, message: ASGIReceiveEvent) -> None:
        self._messages.append(message)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def empty(self) -> bool:
        return not self._messages

    async def get(self) -> ASGIReceiveEvent:
        while not self._messages:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._messages.pop(0)


class Writable:
    """`asyncio.Event`'s `set`, `clear` and `wait` for the transport's flow control, with
    no waiter list until a send has to wait for a client that does not read."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = True
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        if self._set:
            return True
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)  # cancelled while waiting
        return True


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Inbox()  # type: ignore[assignment]
        self.writable = Writable()  # type: ignore[assignment]

    async def send(self, message: ASGISendEvent) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept" and self.handshake_complete:
            # Read only while answering the handshake (see handle_connect and send). The
            # request's headers are emptied too: websockets' parser generator keeps the
            # request as a local for the socket's life.
            self.request.headers.clear()
            del self.request, self.response
