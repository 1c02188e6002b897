"""uvicorn's httptools protocol with the limits uvicorn leaves out: the size of a request's
head, how long it may take to arrive, and how many HTTP connections a process holds.

httptools (llhttp) takes a request line and headers of any size, gathering each header in
memory until it ends, and uvicorn offers no option to bound that (its
`h11_max_incomplete_event_size` is for h11 only); nor does it time anything before a
connection's first response (its keep-alive timer starts after one). Its
`limit_concurrency` is no help either: it counts play sockets too, thousands of them idle
by design. So here, per process:

- a connection beyond CASINO_MAX_HTTP_CONNECTIONS open HTTP connections is answered 503
  `SERVER_AT_CAPACITY` and ended at once; a connection upgraded to a WebSocket stops
  counting (the play socket has its own per-address cap);
- a request's line and headers may hold CASINO_HTTP_MAX_HEADER_BYTES, counted as the bytes
  arrive (before the parser buffers them), and CASINO_HTTP_MAX_HEADERS header lines, else
  431 `HEADERS_TOO_LARGE`;
- they must arrive within CASINO_HTTP_HEADER_TIMEOUT_SECONDS of the connection opening (for
  its first request) or of the request's first byte, else 408 `REQUEST_TIMEOUT`, or a plain
  close for a connection that never sent a byte. Between requests uvicorn's keep-alive
  timeout (CASINO_HTTP_KEEP_ALIVE_SECONDS) closes an idle connection.

Only a pipelined request that starts inside the same read as the end of the previous one is
counted from its next read: the bound is then off by at most one read (256,000 bytes with
uvloop). What follows the head (body size, content type, the body's pace) is
`server/http_limits.py`'s.
These refusals are written here, before any ASGI app runs: JSON error bodies with the
headers every response carries (security, `Casino-Mode`).

A connection ends with a lingering close whenever a reply went out before its request was
all read: one of these refusals, or a response sent while the request's body was still
coming (a 413 or 408 of the body limits, a route that never read it). Its writing side is
shut and whatever the client still sends is dropped unparsed for up to `LINGER_S`, then it
closes: closing a socket with unread input makes the kernel send a reset, which can destroy
the reply before the client reads it (RFC 9112, section 9.6), and a client that sends its
whole body before reading, as most libraries do, would see only the reset.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import weakref
from dataclasses import dataclass
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from protocol.errors import ErrorCode
from server import mode
from server.config import Settings
from server.security_headers import EVERY_RESPONSE
from server.web import error_body, status_of

log = logging.getLogger(__name__)

LINGER_S = 5.0

_SECURITY_HEADERS = b"".join(
    f"{name.lower()}: {value}\r\n".encode("latin-1") for name, value in EVERY_RESPONSE
)


@dataclass(frozen=True, slots=True)
class HeadLimits:
    max_connections: int
    max_head_bytes: int
    max_headers: int
    head_timeout_s: float
    mode: str

    @classmethod
    def from_settings(cls, settings: Settings) -> HeadLimits:
        return cls(
            max_connections=settings.max_http_connections,
            max_head_bytes=settings.http_max_header_bytes,
            max_headers=settings.http_max_headers,
            head_timeout_s=float(settings.http_header_timeout_s),
            mode=str(settings.mode),
        )


@functools.cache
def _limits() -> HeadLimits:
    # uvicorn builds the protocol from an import string in each worker process, with no way
    # to pass it arguments: it reads the same environment `run.py serve` validated.
    return HeadLimits.from_settings(Settings.from_env())


class _Sparse:
    """At most one log line per kind of refusal every `period_s`, with the count since the
    last one: a flood of refused connections must not become a flood of log lines."""

    def __init__(self, period_s: float = 10.0) -> None:
        self.period_s = period_s
        self.last: dict[ErrorCode, float] = {}
        self.since: dict[ErrorCode, int] = {}

    def note(self, code: ErrorCode, level: int, message: str) -> None:
        self.since[code] = self.since.get(code, 0) + 1
        now = time.monotonic()
        if now - self.last.get(code, -self.period_s) >= self.period_s:
            log.log(level, "%s (%d refused with %s)", message, self.since.pop(code), code)
            self.last[code] = now


_REFUSALS = _Sparse()

# The HTTP connections each server (one per process) holds open, for the cap.
_OPEN: weakref.WeakKeyDictionary[ServerState, set[EdgeHttpProtocol]] = weakref.WeakKeyDictionary()


class EdgeHttpProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limits = _limits()
        self.open_connections = _OPEN.setdefault(server_state, set())
        self.reading_head = True  # from a message's end to its successor's last header
        self.head_bytes = 0
        self.head_timer: asyncio.TimerHandle | None = None
        self.linger_timer: asyncio.TimerHandle | None = None
        self.body_pending = False  # from a message's last header to its end
        self.ended = False  # it takes no more requests: what arrives is dropped unparsed

    # -- the connection ------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.open_connections) >= self.limits.max_connections:
            _REFUSALS.note(
                ErrorCode.SERVER_AT_CAPACITY,
                logging.WARNING,
                f"at CASINO_MAX_HTTP_CONNECTIONS ({self.limits.max_connections} open)",
            )
            self.refuse(ErrorCode.SERVER_AT_CAPACITY, "too many connections: retry shortly")
            return
        self.open_connections.add(self)
        self.arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self.open_connections.discard(self)
        self.cancel_head_timer()
        if self.linger_timer is not None:
            self.linger_timer.cancel()
        super().connection_lost(exc)

    def handle_websocket_upgrade(self) -> None:
        if self.ended:
            return
        self.open_connections.discard(self)
        self.cancel_head_timer()
        super().handle_websocket_upgrade()

    def data_received(self, data: bytes) -> None:
        if self.ended:
            return
        if not self.reading_head:
            super().data_received(data)
            return
        room = self.limits.max_head_bytes - self.head_bytes
        if len(data) <= room:
            self.head_bytes += len(data)
            super().data_received(data)
            return
        # Feed what the limit allows: the head may end inside it, the rest being its body.
        self.head_bytes += room
        super().data_received(data[:room])
        if not self.still_reading():
            return
        if self.head_ended():
            super().data_received(data[room:])
            return
        self.head_too_large(f"request line and headers: at most {self.limits.max_head_bytes} bytes")

    def on_response_complete(self) -> None:
        super().on_response_complete()
        current = self.cycle  # the parser's request: a pipelined one may have started
        answered = current is not None and current.response_complete
        if self.body_pending and answered and self.still_reading():
            # Answered before its body came in: read no more of it, and close gently.
            self._unset_keepalive_if_required()
            self.linger()

    # -- parser callbacks ----------------------------------------------------------------
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.arm_head_timer()  # a connection's first request keeps the timer of its opening

    def on_headers_complete(self) -> None:
        self.cancel_head_timer()
        self.reading_head = False
        if len(self.headers) > self.limits.max_headers:
            self.head_too_large(f"at most {self.limits.max_headers} header lines")
            return
        self.body_pending = True
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self.ended:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self.ended:
            return
        super().on_message_complete()
        self.body_pending = False
        self.reading_head = True
        self.head_bytes = 0

    # -- refusals ------------------------------------------------------------------------
    def arm_head_timer(self) -> None:
        if self.head_timer is None:
            self.head_timer = self.loop.call_later(self.limits.head_timeout_s, self.head_timed_out)

    def cancel_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def head_timed_out(self) -> None:
        self.head_timer = None
        if not self.still_reading():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # A pipelined head lags behind a response still being written: that response
            # is the connection's last.
            self.cycle.keep_alive = False
            return
        if self.head_bytes == 0:  # a connection that never sent a byte is owed no answer
            self.ended = True
            self.transport.close()
            return
        _REFUSALS.note(ErrorCode.REQUEST_TIMEOUT, logging.INFO, "a request's head came too slowly")
        self.refuse(
            ErrorCode.REQUEST_TIMEOUT,
            f"request line and headers must arrive within {self.limits.head_timeout_s:g} s",
        )

    def head_too_large(self, message: str) -> None:
        _REFUSALS.note(ErrorCode.HEADERS_TOO_LARGE, logging.INFO, "a request's head was too large")
        self.refuse(ErrorCode.HEADERS_TOO_LARGE, message)

    def head_ended(self) -> bool:
        return not self.reading_head  # a call: the parser changes it while mypy looks away

    def still_reading(self) -> bool:
        """False once the connection is closing or has become a WebSocket."""
        return not self.transport.is_closing() and self.transport.get_protocol() is self

    def refuse(self, code: ErrorCode, message: str) -> None:
        """Answer before any app has seen the request, and end the connection."""
        self.ended = True
        self.cancel_head_timer()
        body = error_body(code, message)
        head = [STATUS_LINE[status_of(code)]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            _SECURITY_HEADERS,
            f"{mode.HEADER.lower()}: {self.limits.mode}\r\n".encode(),
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.linger()

    def linger(self) -> None:
        """Shut the writing side once the reply is out, drop what still comes, then close."""
        self.ended = True
        if not self.transport.can_write_eof():  # TLS has no half-close
            self.transport.close()
            return
        self.transport.write_eof()
        self.linger_timer = self.loop.call_later(LINGER_S, self.transport.close)
