"""A WebSocket client connection for the load driver: websockets' sans-I/O protocol on a
plain asyncio Protocol.

The load driver shares the bench machine with the server it measures, so whatever it
spends per request is taken from the server. websockets' asyncio client runs a reader task,
queues and keepalive timers per connection; this keeps only the protocol object and one
future for the message awaited. One message at a time is waited for: the driver sends one
request and reads until its reply, as a real client does.
"""

from __future__ import annotations

import asyncio
import collections
from typing import cast

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri


class LeanSocket(asyncio.Protocol):
    def __init__(self, url: str, max_size: int = 2**20) -> None:
        self.uri = parse_uri(url)
        self.protocol = ClientProtocol(self.uri, max_size=max_size)
        self.transport: asyncio.Transport | None = None
        self.messages: collections.deque[bytes | str] = collections.deque()
        self.waiter: asyncio.Future[None] | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed = False

    @classmethod
    async def connect(cls, url: str, max_size: int = 2**20) -> LeanSocket:
        socket = cls(url, max_size)
        loop = asyncio.get_running_loop()
        await loop.create_connection(lambda: socket, socket.uri.host, socket.uri.port)
        await socket.opened
        return socket

    # -- asyncio.Protocol -----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.protocol.send_request(self.protocol.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Response):
                if self.protocol.handshake_exc is not None:
                    self._fail(self.protocol.handshake_exc)
                elif not self.opened.done():
                    self.opened.set_result(None)
            elif isinstance(event, Frame) and event.opcode is Opcode.BINARY:
                self._deliver(bytes(event.data))
            elif isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                self._deliver(bytes(event.data).decode())
        self._flush()  # pongs and close replies the protocol wants sent

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(exc or ConnectionError("the server closed the connection"))

    # -- the driver's side ----------------------------------------------------------------
    def send(self, message: bytes | str) -> None:
        """A binary frame for bytes, a text frame for a string (the server answers in kind)."""
        if self.closed:
            raise ConnectionError("the connection is closed")
        if isinstance(message, str):
            self.protocol.send_text(message.encode())
        else:
            self.protocol.send_binary(message)
        self._flush()

    async def recv(self) -> bytes | str:
        while not self.messages:
            if self.closed:
                raise ConnectionError("the connection is closed")
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        return self.messages.popleft()

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.protocol.send_close()
            self._flush()
            self.transport.close()
        self.closed = True

    # -- inside -----------------------------------------------------------------------------
    def _deliver(self, message: bytes | str) -> None:
        self.messages.append(message)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def _fail(self, error: BaseException) -> None:
        self.closed = True
        if not self.opened.done():
            self.opened.set_exception(error)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(str(error)))

    def _flush(self) -> None:
        data = self.protocol.data_to_send()
        if data and self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"".join(data))
