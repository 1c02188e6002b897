"""The sandbox gateway's own records, in its SQLite file: payments by key, tokenised cards,
and disputes (one connection, serialised by a lock shared with its webhook outbox).

What a processor keeps and a server never does: the card number behind a token. A file
written by an older gateway gains the newer columns when opened.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import rng

DAY_MS = 24 * 3600 * 1000
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

EXTRA_COLUMNS = (
    "method TEXT NOT NULL DEFAULT ''", "token TEXT NOT NULL DEFAULT ''",
    "decline_code TEXT", "return_url TEXT NOT NULL DEFAULT ''",
    "refund_of TEXT", "updated_at INTEGER NOT NULL DEFAULT 0",
)  # fmt: skip
METHOD_SCHEMA = """
CREATE TABLE IF NOT EXISTS payment_methods (
    token TEXT PRIMARY KEY, type TEXT NOT NULL, number TEXT NOT NULL, last4 TEXT NOT NULL
)
"""
DISPUTE_SCHEMA = """
CREATE TABLE IF NOT EXISTS disputes (
    id TEXT PRIMARY KEY, payment_key TEXT NOT NULL UNIQUE, amount INTEGER NOT NULL,
    currency TEXT NOT NULL, status TEXT NOT NULL, evidence TEXT
)
"""
PUBLIC = (
    "key", "kind", "amount", "currency", "account", "status", "reference", "method",
    "decline_code", "return_url", "refund_of",
)  # fmt: skip
_FIND = (
    "SELECT key, kind, amount, currency, account, status, reference, method, decline_code,"
    " return_url, refund_of, token FROM payments WHERE "
)
FIND_BY = {"key": _FIND + "key = ?", "reference": _FIND + "reference = ?"}


class Ledger:
    """The gateway's payments by key, in SQLite (one connection, serialised by a lock)."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(SCHEMA)
        self.conn.execute(METHOD_SCHEMA)
        self.conn.execute(DISPUTE_SCHEMA)
        have = {row[1] for row in self.conn.execute("PRAGMA table_info(payments)")}
        for column in EXTRA_COLUMNS:  # a file from an older gateway gains them
            if column.split()[0] not in have:
                self.conn.execute(f"ALTER TABLE payments ADD COLUMN {column}")
        self.lock = threading.Lock()

    def find(self, key: str, by: str = "key") -> dict[str, Any] | None:
        with self.lock:
            row = self.conn.execute(
                FIND_BY[by],
                (key,),
            ).fetchone()
        if row is None:
            return None
        found = dict(zip(PUBLIC, row[:-1], strict=True))
        found["action_url"] = (
            f"/challenge/{found['reference']}" if found["status"] == "requires_action" else None
        )
        found["token"] = row[-1]
        return found

    def tokenise(self, kind: str, number: str) -> dict[str, Any]:
        """A new token for an instrument: a card's number, an e-wallet's account id or a
        bank account's IBAN (`number`, already normalised by the caller)."""
        token = f"pm_{rng.token_urlsafe(12)}"
        with self.lock:
            self.conn.execute(
                "INSERT INTO payment_methods (token, type, number, last4) VALUES (?, ?, ?, ?)",
                (token, kind, number, number[-4:]),
            )
        # As a real gateway's fingerprint: one instrument, one fingerprint, whoever saves it
        # and however often (a token is new every time).
        fingerprint = "fp_" + hashlib.sha256(f"sandbox-{kind}:{number}".encode()).hexdigest()[:24]
        return {"token": token, "type": kind, "last4": number[-4:], "fingerprint": fingerprint}

    def card_number(self, token: str) -> str | None:
        with self.lock:
            row = self.conn.execute(
                "SELECT number FROM payment_methods WHERE token = ?", (token,)
            ).fetchone()
        return None if row is None else str(row[0])

    def move(
        self,
        key: str,
        status: str,
        decline_code: str | None = None,
        daily_deposit_limit: int | None = None,
    ) -> bool:
        """requires_action/processing -> a final status, once. A deposit approved only now
        (after 3-D Secure, or a transfer settling) counts against the daily limit now, as
        one approved at once does, under the same lock."""
        now = int(time.time() * 1000)
        with self.lock:
            row = self.conn.execute(
                "SELECT kind, amount, account FROM payments WHERE key = ?", (key,)
            ).fetchone()
            if (
                row
                and daily_deposit_limit is not None
                and (row[0], status) == ("deposit", "approved")
            ):
                (charged,) = self.conn.execute(
                    "SELECT COALESCE(SUM(amount), 0) FROM payments WHERE account = ? AND"
                    " kind = 'deposit' AND status = 'approved' AND created_at > ?",
                    (row[2], now - DAY_MS),
                ).fetchone()
                if charged + row[1] > daily_deposit_limit:
                    status, decline_code = "declined", "limit_exceeded"
            changed = self.conn.execute(
                "UPDATE payments SET status = ?, decline_code = ?, updated_at = ? WHERE key = ?"
                " AND status IN ('requires_action', 'processing')",
                (status, decline_code, now, key),
            ).rowcount
        return changed == 1

    def unsettled(self, before_ms: int) -> list[str]:
        with self.lock:
            rows = self.conn.execute(
                "SELECT key FROM payments WHERE status = 'processing' AND created_at < ?",
                (before_ms,),
            ).fetchall()
        return [str(row[0]) for row in rows]

    def refunded(self, charge_key: str) -> int:
        with self.lock:
            (total,) = self.conn.execute(
                "SELECT COALESCE(SUM(amount), 0) FROM payments WHERE refund_of = ?"
                " AND status = 'approved'",
                (charge_key,),
            ).fetchone()
        return int(total)

    def open_dispute(self, payment: dict[str, Any]) -> dict[str, Any]:
        dispute = {
            "id": f"dp_{rng.token_urlsafe(12)}", "payment_key": payment["key"],
            "amount": payment["amount"], "currency": payment["currency"],
            "status": "needs_response",
        }  # fmt: skip
        with self.lock:
            self.conn.execute(
                "INSERT INTO disputes (id, payment_key, amount, currency, status)"
                " VALUES (:id, :payment_key, :amount, :currency, :status)",
                dispute,
            )
        return dispute

    def dispute(self, dispute_id: str) -> dict[str, Any] | None:
        with self.lock:
            row = self.conn.execute(
                "SELECT id, payment_key, amount, currency, status FROM disputes WHERE id = ?",
                (dispute_id,),
            ).fetchone()
        names = ("id", "payment_key", "amount", "currency", "status")
        return None if row is None else dict(zip(names, row, strict=True))

    def dispute_to(self, dispute_id: str, status: str, evidence: str | None = None) -> None:
        with self.lock:
            self.conn.execute(
                "UPDATE disputes SET status = ?, evidence = COALESCE(?, evidence) WHERE id = ?",
                (status, evidence, dispute_id),
            )

    def record(
        self,
        terms: dict[str, Any],
        status: str,
        daily_deposit_limit: int | None = None,
        decline_code: str | None = None,
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
                    status, decline_code = "declined", "limit_exceeded"
            self.conn.execute(
                "INSERT INTO payments (key, kind, amount, currency, account, status, reference,"
                " created_at, method, token, decline_code, return_url, refund_of, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                (
                    terms["key"], terms["kind"], terms["amount"], terms["currency"],
                    terms["account"], status, f"gw_{rng.token_urlsafe(12)}", now,
                    terms.get("method", ""), terms.get("token", ""), decline_code,
                    terms.get("return_url", ""), terms.get("refund_of"), now,
                ),
            )  # fmt: skip
        found = self.find(terms["key"])
        assert found is not None
        return found
