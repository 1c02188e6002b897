"""The audit trail: an append-only record of decisions, each entry chained to the one before.

An entry says who (`actor`: "system", "rule:<name>", "staff:<name>"), did what (`action`),
to what (`subject`, e.g. "player:12"), why (`reason`), from where (`address`), when
(`at_ms`), with `details` (a JSON object). Its `hash` is SHA-256 over the canonical
encoding of every one of those fields, its id and the previous entry's hash, so editing
an entry, removing one or reordering them breaks the chain, and `verify` names the first
entry where it breaks. Removing the newest entries leaves a shorter valid chain: only a
head published elsewhere (the back office's job) shows that; `verify` returns the head.

Callers append inside the transaction of the decision they record (pass the
`Transaction`), so the decision and its entry commit together. This module never
updates or deletes an entry, and knows no domain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from server.storage.database import Database, Transaction, now_ms

GENESIS = "0" * 64  # the previous hash of the first entry
SYSTEM = "system"

COLUMNS = "id, at_ms, actor, action, subject, reason, address, details, prev_hash, hash"


def canonical(entry: dict[str, Any]) -> bytes:
    """The bytes an entry's hash covers: JSON, keys sorted, no spaces, UTF-8 as is."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(
    entry_id: int,
    at_ms: int,
    actor: str,
    action: str,
    subject: str,
    reason: str,
    address: str,
    details: str,
    prev_hash: str,
) -> str:
    fields = {
        "id": entry_id, "at_ms": at_ms, "actor": actor, "action": action, "subject": subject,
        "reason": reason, "address": address, "details": details, "prev_hash": prev_hash,
    }  # fmt: skip
    return hashlib.sha256(canonical(fields)).hexdigest()


async def record(
    db: Database | Transaction,
    actor: str,
    action: str,
    subject: str,
    reason: str,
    address: str = "",
    details: dict[str, Any] | None = None,
) -> int:
    """Append one entry (in `db`'s open transaction when it is one); its id."""
    if isinstance(db, Database):
        async with db.transaction() as tx:
            return await record(tx, actor, action, subject, reason, address, details)
    head = await db.fetchone("SELECT id, hash FROM audit_trail ORDER BY id DESC LIMIT 1")
    entry_id, prev = (int(head[0]) + 1, str(head[1])) if head else (1, GENESIS)
    at = now_ms()
    encoded = canonical(details or {}).decode()
    digest = entry_hash(entry_id, at, actor, action, subject, reason, address, encoded, prev)
    await db.execute(
        f"INSERT INTO audit_trail ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
        (entry_id, at, actor, action, subject, reason, address, encoded, prev, digest),
    )
    return entry_id


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    entries: int  # how many entries were checked
    head: str  # the hash of the newest entry (GENESIS when empty): publish it to pin the length
    broken_at: int | None = None  # the id of the first entry that does not fit the chain
    problem: str = ""


async def verify(db: Database) -> Verdict:
    """Walk the chain from the first entry; the first id that does not fit, and why."""
    rows = await db.fetchall(f"SELECT {COLUMNS} FROM audit_trail ORDER BY id")  # noqa: S608
    prev, expected_id = GENESIS, 1
    for row in rows:
        entry_id, stored = int(row[0]), str(row[9])
        if entry_id != expected_id:
            # The id names the removed entry (the first one missing), not its successor.
            return Verdict(False, len(rows), prev, expected_id, "this entry was removed")
        if str(row[8]) != prev:
            return Verdict(
                False, len(rows), prev, entry_id, "its previous hash is not the entry before's"
            )
        actor, action, subject, reason, address, details = (str(value) for value in row[2:8])
        recomputed = entry_hash(
            entry_id, int(row[1]), actor, action, subject, reason, address, details, prev
        )
        if recomputed != stored:
            return Verdict(False, len(rows), prev, entry_id, "its content does not match its hash")
        prev, expected_id = stored, expected_id + 1
    return Verdict(True, len(rows), prev)


async def entries(db: Database, subject: str | None = None) -> list[dict[str, Any]]:
    """The entries, oldest first (of one subject when given), details decoded."""
    sql = f"SELECT {COLUMNS} FROM audit_trail"  # noqa: S608
    rows = await (
        db.fetchall(sql + " WHERE subject = ? ORDER BY id", (subject,))
        if subject is not None
        else db.fetchall(sql + " ORDER BY id")
    )
    names = COLUMNS.split(", ")
    return [
        {**dict(zip(names, row, strict=True)), "details": json.loads(str(row[7]))} for row in rows
    ]


async def page(
    db: Database, before: int | None, limit: int, subject: str | None = None
) -> list[dict[str, Any]]:
    """Up to `limit` entries older than id `before` (the newest when None), newest first,
    of one subject when given; details decoded. The staff audit viewer pages with it."""
    rows = await db.fetchall(
        f"SELECT {COLUMNS} FROM audit_trail"  # noqa: S608
        " WHERE (CAST(? AS BIGINT) IS NULL OR id < ?) AND (CAST(? AS TEXT) IS NULL OR subject = ?)"
        " ORDER BY id DESC LIMIT ?",
        (before, before, subject, subject, limit),
    )
    names = COLUMNS.split(", ")
    return [
        {**dict(zip(names, row, strict=True)), "details": json.loads(str(row[7]))} for row in rows
    ]
