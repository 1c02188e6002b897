"""Many idle authenticated sessions, held as cheaply as the client side allows, so that the
server's memory per idle session can be measured (`run.py bench --idle N`).

A full WebSocket client object per session would make the driver, not the server, the limit
at 10,000 sessions; here a session is a bare socket: the RFC 6455 handshake, one masked
`hello` frame, and a small task that answers the server's pings (an idle session must stay
alive through them, as a real idle client does) and otherwise waits.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import struct
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import msgspec

import rng

OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x2, 0x8, 0x9, 0xA
_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder()


class HandshakeRefused(RuntimeError):
    pass


def frame(opcode: int, payload: bytes) -> bytes:
    """One final, masked client frame (RFC 6455 section 5.2)."""
    mask = rng.randbytes(4)
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 2**16:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    return header + mask + masked


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """(opcode, payload) of the next unmasked server frame."""
    first, second = await reader.readexactly(2)
    size = second & 0x7F
    if size == 126:
        (size,) = struct.unpack("!H", await reader.readexactly(2))
    elif size == 127:
        (size,) = struct.unpack("!Q", await reader.readexactly(8))
    return first & 0x0F, await reader.readexactly(size)


@dataclass(slots=True)
class IdleSessions:
    writers: list[asyncio.StreamWriter] = field(default_factory=list)
    keepers: list[asyncio.Task[None]] = field(default_factory=list)
    refused: int = 0

    @property
    def open(self) -> int:
        return len(self.writers)

    async def close(self) -> None:
        for keeper in self.keepers:
            keeper.cancel()
        for writer in self.writers:
            writer.close()
        await asyncio.gather(*self.keepers, return_exceptions=True)


async def _keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
        while True:
            opcode, payload = await read_frame(reader)
            if opcode == OP_PING:
                writer.write(frame(OP_PONG, payload))
            elif opcode == OP_CLOSE:
                return


async def open_session(
    ws_url: str, token: str
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A socket whose session has said hello and been welcomed."""
    url = urlsplit(ws_url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port or 80)
    key = base64.b64encode(rng.randbytes(16)).decode()
    writer.write(
        (
            f"GET {url.path or '/'} HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    response = await reader.readuntil(b"\r\n\r\n")
    if not response.startswith(b"HTTP/1.1 101"):
        writer.close()
        raise HandshakeRefused(response.split(b"\r\n", 1)[0].decode(errors="replace"))
    writer.write(frame(OP_BINARY, _encoder.encode({"type": "hello", "id": 0, "token": token})))
    while True:
        opcode, payload = await read_frame(reader)
        if opcode == OP_BINARY:
            break
    reply = _decoder.decode(payload)
    if reply.get("type") != "welcome":
        writer.close()
        raise HandshakeRefused(f"hello answered {reply.get('type')}: {reply.get('code')}")
    return reader, writer


async def hold(ws_url: str, tokens: list[str], count: int, concurrency: int = 64) -> IdleSessions:
    """Open `count` idle sessions (tokens reused round-robin), `concurrency` at a time."""
    sessions = IdleSessions()
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> None:
        async with gate:
            try:
                reader, writer = await open_session(ws_url, tokens[index % len(tokens)])
            except (OSError, HandshakeRefused, asyncio.IncompleteReadError):
                sessions.refused += 1
                return
        sessions.writers.append(writer)
        sessions.keepers.append(asyncio.create_task(_keep_alive(reader, writer)))

    await asyncio.gather(*(one(index) for index in range(count)))
    return sessions
