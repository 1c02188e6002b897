"""A sandbox payment gateway: its own HTTP process, idempotent by the caller's key, with faults.

It stands in for a real acquirer so the server's payments path can be broken on
purpose. Every payment (a deposit charge or a withdrawal payout) is stored in
its own SQLite file before it is answered, so a restart keeps it; the same key
with the same terms returns the original result, with other terms 409. A test
sets a fault at run time with `POST /admin/faults` (`slow`, `dead`,
`lose_reply`, `decline`, or `none`), optionally for a number of calls only.

Like a processor's test environment, it takes test keys only: `/payments` calls
(not `/health`, nor the tests' `/admin/faults`) need `Authorization: Bearer
<key>` with the key it was started with (`SANDBOX_GATEWAY_KEY` in its
environment, never on the command line where `ps` shows it; default the
published `sk_test_sandbox`), which must start with `sk_test_`; a live key
(`sk_live_...`) is refused by name, as a sign that a server meant for real
money is talking to a sandbox. With
`--daily-deposit-limit N` it declines a deposit that would take one account's
approved deposits in the last 24 hours past N, so play money stays bounded.
It never moves real money; bind it to 127.0.0.1.

    python -m clients.sandbox_gateway --port 8100 [--db PATH] [--host H]
        [--daily-deposit-limit N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

import rng

KINDS = ("deposit", "payout")
# The published key of a gateway started without one; the server's default in sandbox mode
# (server/config.py SANDBOX_GATEWAY_KEY holds the same, tests hold them equal).
DEFAULT_KEY = "sk_test_sandbox"
TEST_KEY_PREFIX = "sk_test_"
LIVE_KEY_PREFIX = "sk_live_"
DAY_MS = 24 * 3600 * 1000
FAULTS = ("none", "slow", "dead", "lose_reply", "decline")
SCHEMA = """
CREATE TABLE IF NOT EXISTS payments (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    account TEXT NOT NULL,
    status TEXT NOT NULL,
    reference TEXT NOT NULL,
    created_at INTEGER NOT NULL
)
"""


class LostReply(Exception):
    """Raised after the response has started, so uvicorn drops the connection mid-reply."""


@dataclass(slots=True)
class Fault:
    mode: str = "none"
    delay_ms: int = 0
    remaining: int = -1  # calls the fault still applies to; -1 until cleared

    def take(self) -> str:
        """The fault for this call, counting it down."""
        if self.mode == "none" or self.remaining == 0:
            return "none"
        if self.remaining > 0:
            self.remaining -= 1
        return self.mode


class Ledger:
    """The gateway's payments by key, in SQLite (one connection, serialised by a lock)."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(SCHEMA)
        self.lock = threading.Lock()

    def find(self, key: str) -> dict[str, Any] | None:
        with self.lock:
            row = self.conn.execute(
                "SELECT key, kind, amount, currency, account, status, reference FROM payments"
                " WHERE key = ?",
                (key,),
            ).fetchone()
        if row is None:
            return None
        names = ("key", "kind", "amount", "currency", "account", "status", "reference")
        return dict(zip(names, row, strict=True))

    def record(
        self, terms: dict[str, Any], status: str, daily_deposit_limit: int | None = None
    ) -> dict[str, Any]:
        """Store a new payment (a key seen before keeps its first record). A deposit that would
        take its account past `daily_deposit_limit` over 24 hours is stored declined: the sum
        and the insert share the lock, so two charges cannot pass the limit together."""
        now = int(time.time() * 1000)
        with self.lock:
            limited = daily_deposit_limit is not None and terms["kind"] == "deposit"
            if limited and status == "approved":
                (charged,) = self.conn.execute(
                    "SELECT COALESCE(SUM(amount), 0) FROM payments WHERE account = ? AND"
                    " kind = 'deposit' AND status = 'approved' AND created_at > ?",
                    (terms["account"], now - DAY_MS),
                ).fetchone()
                if charged + terms["amount"] > daily_deposit_limit:
                    status = "declined"
            self.conn.execute(
                "INSERT INTO payments (key, kind, amount, currency, account, status, reference,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                (
                    terms["key"], terms["kind"], terms["amount"], terms["currency"],
                    terms["account"], status, f"gw_{rng.token_urlsafe(12)}", now,
                ),
            )  # fmt: skip
        found = self.find(terms["key"])
        assert found is not None
        return found


def _json(data: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(data), status, media_type="application/json")


def _terms(data: Any) -> dict[str, Any] | str:
    """The payment's terms, or what is wrong with them."""
    if not isinstance(data, dict):
        return "body must be a JSON object"
    key, kind, amount = data.get("key"), data.get("kind"), data.get("amount")
    currency, account = data.get("currency"), data.get("account")
    if not isinstance(key, str) or not 1 <= len(key) <= 128:
        return "key must be 1-128 characters"
    if kind not in KINDS:
        return f"kind must be one of {', '.join(KINDS)}"
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        return "amount must be a positive integer"
    if not isinstance(currency, str) or len(currency) != 3:
        return "currency must be an ISO 4217 code"
    if not isinstance(account, str) or not 1 <= len(account) <= 128:
        return "account must be 1-128 characters"
    return {"key": key, "kind": kind, "amount": amount, "currency": currency, "account": account}


def key_refusal(header: str, key: str) -> str | None:
    """Why an Authorization header does not carry this gateway's key, or None."""
    scheme, _, given = header.partition(" ")
    given = given.strip()
    if scheme.lower() != "bearer" or not given:
        return "send Authorization: Bearer <your sk_test_ key>"
    if given.startswith(LIVE_KEY_PREFIX):
        return "a live key (sk_live_...) was sent to the sandbox gateway, which takes test keys"
    if not hmac.compare_digest(given.encode(), key.encode()):
        return "unknown API key"
    return None


def create_app(
    db_path: Path, key: str = DEFAULT_KEY, daily_deposit_limit: int | None = None
) -> Starlette:
    if not key.startswith(TEST_KEY_PREFIX):
        raise ValueError("the sandbox gateway takes an sk_test_ key only")
    ledger = Ledger(db_path)
    fault = Fault()

    def refused(request: Request) -> Response | None:
        reason = key_refusal(request.headers.get("authorization", ""), key)
        return None if reason is None else _json({"error": reason}, 401)

    async def pay(request: Request) -> Response:
        if (refusal := refused(request)) is not None:
            return refusal
        mode = fault.take()
        if mode == "dead":
            return _json({"error": "gateway unavailable"}, 503)
        try:
            terms = _terms(msgspec.json.decode(await request.body()))
        except msgspec.DecodeError:
            terms = "body must be JSON"
        if isinstance(terms, str):
            return _json({"error": terms}, 422)
        found = await asyncio.to_thread(ledger.find, terms["key"])
        if found is None:
            status = "declined" if mode == "decline" else "approved"
            found = await asyncio.to_thread(ledger.record, terms, status, daily_deposit_limit)
        if any(found[name] != terms[name] for name in terms):
            return _json({"error": "key used before with other terms"}, 409)
        if mode == "slow":  # the work is done; only the answer is late
            await asyncio.sleep(fault.delay_ms / 1000)
        if mode == "lose_reply":
            request.scope["casino.lose_reply"] = True
        return _json(found)

    async def status(request: Request) -> Response:
        if (refusal := refused(request)) is not None:
            return refusal
        if fault.take() == "dead":
            return _json({"error": "gateway unavailable"}, 503)
        found = await asyncio.to_thread(ledger.find, request.path_params["key"])
        return _json(found) if found else _json({"error": "no payment with this key"}, 404)

    async def set_fault(request: Request) -> Response:
        data = msgspec.json.decode(await request.body())
        if not isinstance(data, dict) or data.get("mode") not in FAULTS:
            return _json({"error": f"mode must be one of {', '.join(FAULTS)}"}, 422)
        fault.mode = str(data["mode"])
        fault.delay_ms = int(data.get("delay_ms", 0))
        fault.remaining = int(data.get("times", -1))
        return _json({"mode": fault.mode, "delay_ms": fault.delay_ms, "times": fault.remaining})

    async def health(request: Request) -> Response:
        return _json({"status": "ok"})

    app = Starlette(
        routes=[
            Route("/payments", pay, methods=["POST"]),
            Route("/payments/{key}", status, methods=["GET"]),
            Route("/admin/faults", set_fault, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ]
    )
    return _LoseReply(app)  # type: ignore[return-value]


class _LoseReply:
    """Sends the status line and headers, then fails: uvicorn closes the socket mid-reply,
    so the caller learns nothing although the payment was done."""

    def __init__(self, app: Starlette) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_or_drop(message: Message) -> None:
            if message["type"] == "http.response.body" and scope.get("casino.lose_reply"):
                raise LostReply("reply dropped on purpose")
            await send(message)

        # uvicorn sees an incomplete response and closes the connection.
        with contextlib.suppress(LostReply):
            await self.app(scope, receive, send_or_drop)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", type=Path, default=Path("sandbox_gateway.db"))
    parser.add_argument(
        "--daily-deposit-limit",
        type=int,
        default=None,
        help="decline deposits past this many minor units per account in 24 hours",
    )
    args = parser.parse_args(argv)
    key = os.environ.get("SANDBOX_GATEWAY_KEY") or DEFAULT_KEY
    if not key.startswith(TEST_KEY_PREFIX):
        parser.error("SANDBOX_GATEWAY_KEY must be a test key (sk_test_...)")
    app = create_app(args.db, key, args.daily_deposit_limit)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
