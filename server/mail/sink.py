"""The sandbox's local mail sink: an SMTP server (aiosmtpd) that keeps every message it is
sent as a file, and the reader a tester uses to see them (`run.py mail`, and the sandbox
page `GET /api/sandbox/mail`).

Run as its own process (`python -m server.mail.sink --port P --dir D`, started by
`run.py serve` in sandbox mode when no CASINO_SMTP_URL is set: `sink_child.py`). It
delivers nothing anywhere: a sandbox never mails a real person. Each message is one
`.eml` file named by its arrival time, written to a temporary name and renamed, so a
reader never sees half a message.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

LINK = re.compile(r"https?://[^\s<>\"]+")
KEPT = 500  # the sink keeps the newest messages only: it is for looking, not archiving


@dataclass(frozen=True, slots=True)
class Received:
    id: str
    to: str
    subject: str
    text: str
    html: str
    received_at: int  # ms since the epoch

    @property
    def links(self) -> list[str]:
        return LINK.findall(self.text)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id, "to": self.to, "subject": self.subject, "text": self.text,
            "html": self.html, "links": self.links, "received_at": self.received_at,
        }  # fmt: skip


class Store:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def keep(self, data: bytes) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns()}"
        partial = self.directory / f".{name}.tmp"
        partial.write_bytes(data)
        final = self.directory / f"{name}.eml"
        partial.rename(final)
        for old in sorted(self.directory.glob("*.eml"))[:-KEPT]:
            old.unlink(missing_ok=True)
        return final

    def messages(self, to: str = "", limit: int = 50) -> list[Received]:
        """The newest messages first, to `to` only when given (any case)."""
        found: list[Received] = []
        if not self.directory.is_dir():
            return found
        for path in sorted(self.directory.glob("*.eml"), reverse=True):
            parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            if to and to.lower() not in str(parsed["To"] or "").lower():
                continue
            found.append(_received(path, parsed))
            if len(found) >= limit:
                break
        return found


def _part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body(preferencelist=(subtype,))
    return str(body.get_content()) if body is not None else ""


def _received(path: Path, message: EmailMessage) -> Received:
    return Received(
        id=path.stem,
        to=str(message["To"] or ""),
        subject=str(message["Subject"] or ""),
        text=_part(message, "plain").strip(),
        html=_part(message, "html"),
        received_at=int(path.stem) // 1_000_000,
    )


class _Handler:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.store.keep(bytes(envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


def _controller(handler: _Handler, listener: socket.socket | None, port: int) -> Any:
    """aiosmtpd's threaded server on 127.0.0.1:`port`, or on `listener` when handed one."""
    from aiosmtpd.controller import Controller

    if listener is None:
        return Controller(handler, hostname="127.0.0.1", port=port)
    inherited = listener

    class OnSocket(Controller):
        def _create_server(self) -> Any:  # aiosmtpd's seam for where the server listens
            return self.loop.create_server(self._factory_invoker, sock=inherited)

    host, bound = inherited.getsockname()[:2]
    return OnSocket(handler, hostname=host, port=bound)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the sandbox mail sink")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", type=int, help="listen on this port of 127.0.0.1")
    where.add_argument("--fd", type=int, help="listen on this inherited socket")
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args(argv)
    listener = None if args.fd is None else socket.socket(fileno=args.fd)
    controller = _controller(_Handler(Store(args.dir)), listener, args.port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    signal.signal(signal.SIGINT, lambda signum, frame: stop.set())
    print(f"mail sink on 127.0.0.1:{controller.port}, messages in {args.dir}", flush=True)
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    os._exit(main())
