"""The log formatter and its redaction, in memory: what is removed, what is kept, and the
shape of a line (ids from the log context, exceptions, WebSocket frames)."""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
from collections.abc import Iterator

import pytest
from websockets.frames import Frame, Opcode

import rng
from server.observability import log_context
from server.observability.logging import JsonFormatter, JsonHandler, install
from server.observability.redaction import MASK, redact

TOKEN = rng.token_urlsafe(32)
SEED = rng.randbytes(32).hex()


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ('{"login": "bob", "password": "Correct-Horse-42"}', "Correct-Horse-42"),
        ("password=hunter2&next=1", "hunter2"),
        ("'new_password': 'Tr0ub4dor&3'", "Tr0ub4dor&3"),
        # Random values get fixed ids: every xdist worker must collect the same test names.
        pytest.param(f"Authorization: Bearer {TOKEN}", TOKEN, id="bearer-token"),
        pytest.param(f"token {TOKEN} was presented", TOKEN, id="token-in-text"),
        ("redis://:s3cret-pw@10.0.0.5:6379/0", "s3cret-pw"),
        ("welcome alice.smith+casino@example.co.uk", "alice.smith+casino@example.co.uk"),
        ("date_of_birth: 1985-06-15", "1985-06-15"),
        ("born 1985-06-15", "1985-06-15"),
        pytest.param(f"revealed server seed {SEED}", SEED, id="server-seed"),
        ("x-signature: q83vKz9aQ0bT+/7wXyZ1aB2cD3eF4gH5iJ6kL7mN8oP=", "q83vKz9aQ0bT"),
        ("hash $argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA stored", "$argon2id$"),
        ("-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----", "MIIEv"),
        ('{"document": "passport 1234567"}', "passport 1234567"),
        ("Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
    ],
)
def test_secrets_and_personal_data_are_removed(text: str, gone: str) -> None:
    assert gone not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "voided expired reservation of round 019abcdef0123456789abcdef0123456",
        "applying migration 0002_provably_fair.sql",
        '127.0.0.1:5432 - "GET /api/rounds?limit=20 HTTP/1.1" 200',
        "private redis-server on 127.0.0.1:6379, AOF in /tmp/pytest-of-root/pytest-1/redis",
        "INVALID_TOKEN: the session token is unknown",
        "flusher retrying in 0.05s after ConnectionError: Error 111 connecting to 127.0.0.1:6379.",
        "basic checks passed",
        "at 2026-11-26T08:00:00Z",
    ],
)
def test_what_an_operator_needs_is_kept(text: str) -> None:
    assert redact(text) == text


def test_a_masked_value_keeps_its_key_and_quotes() -> None:
    assert redact('{"token": "abc"}') == f'{{"token": "{MASK}"}}'


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Our JSON handler on the root logger, writing to memory; the old set-up restored."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogger("aiosqlite").level)
    hooks = (sys.excepthook, threading.excepthook)
    stream = io.StringIO()
    install("INFO", [("tests.quiet", "ERROR")], stream=stream)
    yield stream
    sys.excepthook, threading.excepthook = hooks
    logging.captureWarnings(False)
    for handler in [h for h in root.handlers if isinstance(h, JsonHandler)]:
        root.removeHandler(handler)
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    logging.getLogger("aiosqlite").setLevel(saved[2])
    logging.getLogger("tests.quiet").setLevel(logging.NOTSET)


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_carries_the_bound_ids_and_only_while_bound(captured: io.StringIO) -> None:
    log = logging.getLogger("tests.obs")
    with log_context.bound(request_id="r-1", player_id=7, round_id="abc", transaction_id="t-9"):
        log.info("inside")
    log.info("outside")
    inside, outside = _lines(captured)
    assert inside["message"] == "inside" and inside["logger"] == "tests.obs"
    assert (inside["request_id"], inside["player_id"]) == ("r-1", "7")
    assert (inside["round_id"], inside["transaction_id"]) == ("abc", "t-9")
    assert inside["level"] == "INFO" and str(inside["time"]).endswith("Z")
    assert "request_id" not in outside and "player_id" not in outside


def test_levels_per_logger_and_a_single_handler(captured: io.StringIO) -> None:
    install("INFO", [("tests.quiet", "ERROR")], stream=captured)  # again: still one handler
    logging.getLogger("tests.quiet").warning("dropped")
    logging.getLogger("tests.loud").warning("kept")
    logging.getLogger("tests.loud").debug("dropped too")
    assert [line["message"] for line in _lines(captured)] == ["kept"]
    assert sum(isinstance(h, JsonHandler) for h in logging.getLogger().handlers) == 1


def test_an_exception_is_one_line_and_redacted(captured: io.StringIO) -> None:
    try:
        raise ValueError(f"bad login for bob@example.com with password={TOKEN}")
    except ValueError:
        logging.getLogger("tests.obs").exception("failed")
    (line,) = _lines(captured)
    assert "Traceback" in str(line["exception"]) and "ValueError" in str(line["exception"])
    assert "bob@example.com" not in captured.getvalue() and TOKEN not in captured.getvalue()
    assert len(captured.getvalue().splitlines()) == 1


def test_a_websocket_frame_shows_only_its_type_and_size() -> None:
    frame = Frame(Opcode.TEXT, f'{{"type":"hello","token":"{TOKEN}"}}'.encode())
    record = logging.LogRecord("uvicorn.error", logging.DEBUG, __file__, 1, "< %s", (frame,), None)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == f"< TEXT [{len(frame.data)} bytes]"
