"""Structured logs: one JSON object per line on stderr, for our loggers and uvicorn's.

Every line has `time` (UTC, ISO 8601 with milliseconds), `level`, `logger`,
`message` and `pid`; then `request_id`, `player_id`, `round_id` and
`transaction_id` when the code that logged was handling one (`log_context`),
and `exception` (the traceback) when there is one. Every string field passes
`redaction.redact` last, so a secret that reaches a log call still never
reaches the output. WebSocket frames (uvicorn and websockets log them at DEBUG)
are reduced to their type and length: their content carries tokens.

Levels come from configuration: `CASINO_LOG_LEVEL` for the root logger and
`CASINO_LOG_LEVELS` (`logger=LEVEL,...`) for named ones. Libraries that log
every statement at DEBUG (aiosqlite) stay at INFO unless named there.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Any, TextIO

import msgspec
from websockets.frames import Frame

from server.observability import log_context
from server.observability.redaction import redact

# Loggers whose DEBUG output is a firehose; an explicit CASINO_LOG_LEVELS entry wins.
QUIET_BY_DEFAULT = {"aiosqlite": "INFO", "asyncio": "INFO", "websockets": "INFO"}
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")

log = logging.getLogger(__name__)


def _utc(created: float) -> str:
    seconds = int(created)
    millis = int((created - seconds) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def _message(record: logging.LogRecord) -> str:
    # websockets logs each frame as "< %s" / "> %s" with the Frame, whose repr shows the
    # payload: a hello frame holds the session token. Keep only direction, type and size.
    if record.msg in ("< %s", "> %s") and isinstance(record.args, tuple) and record.args:
        frame = record.args[0]
        if isinstance(frame, Frame):
            return f"{record.msg[0]} {frame.opcode.name} [{len(frame.data)} bytes]"
    return record.getMessage()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _utc(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(_message(record)),
            "pid": record.process,
        }
        for name, value in log_context.current().items():
            entry[name] = redact(value)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return msgspec.json.encode(entry).decode()


class JsonHandler(logging.StreamHandler[TextIO]):
    """Our handler on the root logger; `install` replaces a previous one, never adds twice."""


def install(
    level: str = "INFO",
    levels: Iterable[tuple[str, str]] = (),
    stream: TextIO | None = None,
) -> None:
    """Send every log record, ours and uvicorn's, through one JSON handler."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, JsonHandler)]:
        root.removeHandler(handler)
    handler = JsonHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn runs with log_config=None and log_level=None, so its loggers have no handler or
    # level of their own: they propagate here and follow the levels below.
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    for name, name_level in {**QUIET_BY_DEFAULT, **dict(levels)}.items():
        logging.getLogger(name).setLevel(name_level)
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread


class StaticFilesAtDebug(logging.Filter):
    """uvicorn's access line for a static file (the web client's pages, scripts, images) is
    logged at DEBUG, so the INFO log shows the calls an operator reads: every path whose
    first segment is one of `dynamic` (the API, the socket, health, metrics), and any answer
    of 500 or more."""

    def __init__(self, dynamic: Iterable[str]) -> None:
        super().__init__()
        self.dynamic = frozenset(dynamic)

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # uvicorn: '%s - "%s %s HTTP/%s" %d' % (client, method, path, version, status)
        if not (isinstance(args, tuple) and len(args) == 5):
            return True
        method, path, status = args[1], str(args[2]), args[4]
        first = path.split("?", 1)[0].split("/", 2)[1:2]
        if method not in ("GET", "HEAD") or (first and first[0] in self.dynamic):
            return True
        if isinstance(status, int) and status >= 500:
            return True
        if not logging.getLogger(record.name).isEnabledFor(logging.DEBUG):
            return False
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


def static_files_at_debug(dynamic: Iterable[str]) -> None:
    """Install `StaticFilesAtDebug` on uvicorn's access logger, replacing an earlier one."""
    access = logging.getLogger("uvicorn.access")
    for old in [f for f in access.filters if isinstance(f, StaticFilesAtDebug)]:
        access.removeFilter(old)
    access.addFilter(StaticFilesAtDebug(dynamic))


def _log_uncaught(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    """An exception nobody caught is logged as a JSON line too (and so redacted)."""
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, trace)
        return
    log.critical("uncaught %s", kind.__name__, exc_info=(kind, error, trace))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None:
        return
    thread = args.thread.name if args.thread else "?"
    log.critical(
        "uncaught %s in thread %s",
        args.exc_type.__name__,
        thread,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )
