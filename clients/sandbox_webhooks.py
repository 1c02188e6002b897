"""The sandbox gateway's webhooks: signed, queued in its SQLite file, delivered until acknowledged.

Like a processor's, every event is stored before it is sent and sent until the
receiver answers 2xx, with a backoff that doubles from 200 ms up to 30 s, so
it arrives at least once. The signature header is
`Gateway-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`, one `v1`
per secret the gateway signs with (two while a secret is being rotated). A test
sets the delivery at run time (`POST /admin/webhooks`): `normal`; `duplicate`
(every event delivered twice); `hold` (queued, not sent); `reverse` (sent newest
first, so a later state arrives before an earlier one); `chaos` (as a processor
behaves on a bad day: a quarter of the events are sent twice, and a quarter are
held back a moment, so later ones overtake them); and the URL and secrets.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec

import rng

log = logging.getLogger(__name__)

HEADER = "Gateway-Signature"
MODES = ("normal", "duplicate", "hold", "reverse", "chaos")
FIRST_BACKOFF_S = 0.2
MAX_BACKOFF_S = 30.0
SCHEMA = """
CREATE TABLE IF NOT EXISTS webhooks (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    body BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    deliveries INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,
    delivered_at REAL
)
"""

DUE = (
    "SELECT id, body, attempts FROM webhooks WHERE delivered_at IS NULL AND next_at <= ?"
    " ORDER BY id LIMIT 50"
)
DUE_NEWEST_FIRST = DUE.replace("ORDER BY id", "ORDER BY id DESC")


def sign(body: bytes, secrets: list[str], at: int | None = None) -> str:
    """The signature header's value for `body` at unix time `at` (now by default)."""
    t = int(time.time()) if at is None else at
    signed = f"{t}.".encode() + body
    parts = [f"t={t}"]
    parts += [f"v1={hmac.new(s.encode(), signed, hashlib.sha256).hexdigest()}" for s in secrets]
    return ",".join(parts)


@dataclass(slots=True)
class Delivery:
    url: str = ""
    secrets: list[str] = field(default_factory=lambda: ["whsec_sandbox"])
    mode: str = "normal"


class Outbox:
    """Events waiting for their receiver's acknowledgement (shares the gateway's connection)."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.Lock) -> None:
        self.conn = conn
        self.lock = lock
        self.delivery = Delivery()
        with self.lock:
            self.conn.execute(SCHEMA)

    def enqueue(self, kind: str, data: dict[str, Any]) -> str:
        """Store one event; it is sent by `run`."""
        event_id = f"evt_{rng.token_urlsafe(12)}"
        body = msgspec.json.encode(
            {"id": event_id, "type": kind, "created": int(time.time()), "data": data}
        )
        with self.lock:
            self.conn.execute(
                "INSERT INTO webhooks (event_id, body, next_at) VALUES (?, ?, ?)",
                (event_id, body, time.time()),
            )
        return event_id

    def listing(self) -> list[dict[str, Any]]:
        with self.lock:
            rows = self.conn.execute(
                "SELECT event_id, body, attempts, deliveries, delivered_at FROM webhooks"
                " ORDER BY id"
            ).fetchall()
        return [
            {"id": e, "event": msgspec.json.decode(b), "attempts": a, "deliveries": d,
             "delivered": at is not None}
            for e, b, a, d, at in rows
        ]  # fmt: skip

    def _due(self) -> list[tuple[int, bytes, int]]:
        query = DUE_NEWEST_FIRST if self.delivery.mode == "reverse" else DUE
        with self.lock:
            return self.conn.execute(
                query,
                (time.time(),),
            ).fetchall()

    def _mark(self, row_id: int, delivered: bool, attempts: int, times: int) -> None:
        now = time.time()
        with self.lock:
            if delivered:
                self.conn.execute(
                    "UPDATE webhooks SET delivered_at = ?, attempts = ?,"
                    " deliveries = deliveries + ? WHERE id = ?",
                    (now, attempts, times, row_id),
                )
            else:
                backoff = min(FIRST_BACKOFF_S * 2 ** (attempts - 1), MAX_BACKOFF_S)
                self.conn.execute(
                    "UPDATE webhooks SET attempts = ?, next_at = ? WHERE id = ?",
                    (attempts, now + backoff, row_id),
                )

    def _postpone(self, row_id: int, seconds: float) -> None:
        with self.lock:
            self.conn.execute(
                "UPDATE webhooks SET next_at = ? WHERE id = ?", (time.time() + seconds, row_id)
            )

    async def _send(self, http: httpx.AsyncClient, body: bytes) -> bool:
        headers = {HEADER: sign(body, self.delivery.secrets), "Content-Type": "application/json"}
        try:
            response = await http.post(self.delivery.url, content=body, headers=headers)
        except httpx.HTTPError as error:
            log.warning("webhook delivery failed: %s", type(error).__name__)
            return False
        return 200 <= response.status_code < 300

    async def run(self) -> None:
        """Deliver forever: every due event in order (or reversed), retried with backoff."""
        async with httpx.AsyncClient(timeout=5) as http:
            while True:
                await asyncio.sleep(0.05)
                if not self.delivery.url or self.delivery.mode == "hold":
                    continue
                for row_id, body, attempts in await asyncio.to_thread(self._due):
                    roll = rng.randbelow(4) if self.delivery.mode == "chaos" else -1
                    if roll == 0:  # held back: the events after it arrive first
                        await asyncio.to_thread(self._postpone, row_id, 0.3 + rng.random())
                        continue
                    delivered = await self._send(http, body)
                    times = 1
                    if delivered and (self.delivery.mode == "duplicate" or roll == 1):
                        # A processor may deliver twice: the second is a redelivery.
                        times += int(await self._send(http, body))
                    await asyncio.to_thread(self._mark, row_id, delivered, attempts + 1, times)


@contextlib.asynccontextmanager
async def running(outbox: Outbox) -> Any:
    task = asyncio.create_task(outbox.run(), name="webhooks")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
