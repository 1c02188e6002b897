"""A tiny TCP reverse proxy for tests: one port in front of several servers, each new
connection sent to the next server in turn (round robin), bytes copied both ways as they
come. It stands in for nginx or HAProxy (neither is installed here) in the many-hosts
tests: like them it keeps a WebSocket on the server it reached, so two connections made
one after the other land on two different servers. It adds no X-Forwarded-For header, so
the servers see the proxy's address (127.0.0.1) as the client.

`routes` records which server each connection went to, in order, so a test can say which
process served which tab.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Sequence

from server.storage.redis_child import free_port

CHUNK = 65_536


class TcpProxy:
    def __init__(self, upstreams: Sequence[int]) -> None:
        self.upstreams = list(upstreams)
        self.port = free_port()
        self.routes: list[int] = []
        self._turn = itertools.cycle(self.upstreams)
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._pipes):
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream = next(self._turn)
        self.routes.append(upstream)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream)
        except OSError:
            writer.close()
            return
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(_copy(source, sink))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)


async def _copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    """Copy until the source ends, then end the sink's writing half (and close it)."""
    try:
        while data := await source.read(CHUNK):
            sink.write(data)
            await sink.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(ConnectionError, OSError, RuntimeError):
            sink.close()
