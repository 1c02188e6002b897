"""KYC documents and statuses in durable storage: the rows, and the files beside them.

A document's bytes are written to a file under the KYC folder named by a
random token (never by anything the player sent, so no name can climb out of
the folder), flushed to disk, and only then recorded with its SHA-256; a file
whose row never committed is removed. The status changes in the same
transaction as the row that causes it.

Each player may keep at most `Quota.documents` documents of at most
`Quota.bytes` in all, so no player can fill the disk. The quota is judged in
the write transaction that records the row (one writer at a time, across
processes too), so uploads racing each other cannot pass it together; a
refused upload leaves neither row nor file.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import rng
from protocol.errors import ErrorCode, Refused
from server.audit import trail
from server.events import outbox
from server.events.catalogue import KycChangedV2
from server.kyc.levels import ADDRESS_AND_FUNDS, IDENTITY
from server.kyc.review import (
    Decision,
    RejectType,
    State,
    Status,
    Verdict,
    after_upload,
    after_verdict,
    staff_verdict,
)
from server.kyc.vault import open_document, seal
from server.storage.database import Database, Row, Transaction, now_ms

log = logging.getLogger(__name__)

KINDS = ("id", "address", "payment")


@dataclass(frozen=True, slots=True)
class Quota:
    """What one player may keep: documents, and their bytes in all."""

    documents: int
    bytes: int

    def admits(self, stored: int, stored_bytes: int, adding: int) -> bool:
        return stored < self.documents and stored_bytes + adding <= self.bytes


def over_quota(quota: Quota) -> Refused:
    """The refusal of a document that would not fit the player's quota; nothing is stored."""
    return Refused(
        ErrorCode.DOCUMENT_QUOTA_EXCEEDED,
        f"document quota reached: at most {quota.documents} documents of {quota.bytes} bytes"
        " in all",
    )


@dataclass(frozen=True, slots=True)
class Document:
    id: int
    player_id: int
    kind: str
    content_type: str
    size: int
    sha256: str
    filename: str
    storage_name: str
    uploaded_at: int
    encrypted: bool = True

    def public(self) -> dict[str, object]:
        return {
            "document_id": self.id,
            "kind": self.kind,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
            "filename": self.filename,
            "uploaded_at": self.uploaded_at,
        }


_COLUMNS = (
    "id, player_id, kind, content_type, size_bytes, sha256, filename, storage_name, uploaded_at,"
    " encrypted"
)


def _document(row: Row) -> Document:
    return Document(
        int(row[0]), int(row[1]), str(row[2]), str(row[3]), int(row[4]), str(row[5]),
        str(row[6]), str(row[7]), int(row[8]), bool(row[9]),
    )  # fmt: skip


async def status(db: Database, player_id: int) -> Status:
    return (await state(db, player_id)).status


async def state(db: Database | Transaction, player_id: int) -> State:
    row = await db.fetchone(
        "SELECT status, level, reject_type FROM kyc_status WHERE player_id = ?", (player_id,)
    )
    if row is None:
        return State(Status.UNVERIFIED, 0)
    return State(Status(str(row[0])), int(row[1]), RejectType(str(row[2])))


async def detail(db: Database, player_id: int) -> dict[str, object]:
    """The player's status, level and the last rejection's labels and message."""
    row = await db.fetchone(
        "SELECT status, level, reject_type, reject_labels, player_message FROM kyc_status"
        " WHERE player_id = ?",
        (player_id,),
    )
    if row is None:
        row = (Status.UNVERIFIED.value, 0, "", "", "")
    return {
        "kyc_status": str(row[0]),
        "level": int(row[1]),
        "reject_type": str(row[2]),
        "reject_labels": [label for label in str(row[3]).split(",") if label],
        "message": str(row[4]),
    }


async def is_verified(db: Database, player_id: int) -> bool:
    """True when the player's identity is verified (level 1 or above), and nothing undid it."""
    return (await state(db, player_id)).level >= IDENTITY


async def _set_state(
    tx: Transaction,
    player_id: int,
    new: State,
    note: str,
    actor: str,
    labels: tuple[str, ...] = (),
    message: str = "",
) -> bool:
    """Set the player's state; a change of it emits its event in the same transaction.
    True when something changed."""  # fmt: skip
    previous = await state(tx, player_id)
    changed = (previous.status, previous.level) != (new.status, new.level)
    if changed:
        await outbox.emit(
            tx,
            KycChangedV2(
                id=outbox.new_id("kyc"), player_id=player_id, at_ms=now_ms(),
                previous=previous.status.value, status=new.status.value,
                previous_level=previous.level, level=new.level, actor=actor,
                reject_type=new.reject_type.value, reason=note,
            ),
        )  # fmt: skip
    await tx.execute(
        "INSERT INTO kyc_status (player_id, status, updated_at, note, level, reject_type,"
        " reject_labels, player_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (player_id) DO UPDATE SET status = excluded.status,"
        " updated_at = excluded.updated_at, note = excluded.note, level = excluded.level,"
        " reject_type = excluded.reject_type, reject_labels = excluded.reject_labels,"
        " player_message = excluded.player_message",
        (player_id, new.status.value, now_ms(), note, new.level, new.reject_type.value,
         ",".join(labels), message),
    )  # fmt: skip
    return changed


async def apply_verdict_in(
    tx: Transaction, player_id: int, verdict: Verdict, address: str = ""
) -> State:
    """Apply a verdict inside the caller's transaction (the webhook's dedupe row commits
    with it), with its audit entry and, when it changed anything, its event."""
    before = await state(tx, player_id)
    new = after_verdict(before, verdict)
    note = verdict.message or ",".join(verdict.labels)
    await _set_state(tx, player_id, new, note, verdict.actor, verdict.labels, verdict.message)
    await trail.record(
        tx, verdict.actor, f"kyc.{verdict.answer.value.lower()}", f"player:{player_id}",
        note, address,
        {"level_reviewed": verdict.level, "reject_type": verdict.reject_type.value,
         "labels": list(verdict.labels), "status": new.status.value, "level": new.level,
         "previous_status": before.status.value, "previous_level": before.level},
    )  # fmt: skip
    return new


async def apply_verdict(db: Database, player_id: int, verdict: Verdict, address: str = "") -> State:
    async with db.transaction() as tx:
        new = await apply_verdict_in(tx, player_id, verdict, address)
    log.info("kyc verdict on player %d by %s: %s level %d", player_id, verdict.actor,
             new.status, new.level)  # fmt: skip
    return new


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


async def usage(db: Database | Transaction, player_id: int) -> tuple[int, int]:
    """The player's stored documents and their bytes in all."""
    row = await db.fetchone(
        "SELECT COUNT(*), COALESCE(SUM(size_bytes), 0) FROM kyc_documents WHERE player_id = ?",
        (player_id,),
    )
    return (int(row[0]), int(row[1])) if row else (0, 0)


async def check_quota(db: Database, player_id: int, quota: Quota, adding: int = 0) -> None:
    """Refused (`over_quota`) when `adding` more bytes would not fit: asked before an upload is
    read or written, so a player at the quota costs neither. Only an advance notice: the
    write transaction judges again."""
    if not quota.admits(*await usage(db, player_id), adding):
        raise over_quota(quota)


async def store(
    db: Database,
    folder: Path,
    player_id: int,
    kind: str,
    content_type: str,
    filename: str,
    data: bytes,
    quota: Quota,
    key: bytes,
) -> Document:
    """Keep a document already judged acceptable, within the player's quota (`over_quota`
    is raised otherwise), encrypted with `key`; the player's status becomes pending unless
    verified at a level this document cannot raise."""
    assert kind in KINDS, kind
    await check_quota(db, player_id, quota, len(data))
    storage_name = rng.token_urlsafe(24)
    path = folder / storage_name
    await asyncio.to_thread(_write, path, seal(key, storage_name, data))
    digest = hashlib.sha256(data).hexdigest()
    uploaded = now_ms()
    try:
        async with db.transaction() as tx:
            if not quota.admits(*await usage(tx, player_id), len(data)):
                raise over_quota(quota)
            document_id = await tx.insert(
                "INSERT INTO kyc_documents (player_id, kind, content_type, size_bytes, sha256,"
                " filename, storage_name, uploaded_at, encrypted) VALUES"
                " (?, ?, ?, ?, ?, ?, ?, ?, 1)",
                (player_id, kind, content_type, len(data), digest, filename, storage_name,
                 uploaded),
            )  # fmt: skip
            before = await state(tx, player_id)
            raises = before.level < level_of_kind(kind)
            new = State(after_upload(before.status, raises), before.level)
            await _set_state(tx, player_id, new, "", "player")
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    assert document_id is not None
    log.info("kyc document %d (%s, %d bytes) stored for player %d", document_id, kind,
             len(data), player_id)  # fmt: skip
    return Document(
        document_id, player_id, kind, content_type, len(data), digest, filename, storage_name,
        uploaded,
    )  # fmt: skip


async def documents(db: Database, player_id: int) -> list[Document]:
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM kyc_documents WHERE player_id = ? ORDER BY id",  # noqa: S608
        (player_id,),
    )
    return [_document(row) for row in rows]


async def document(db: Database, player_id: int, document_id: int) -> Document | None:
    """The player's own document; another player's is as absent as a missing one."""
    row = await db.fetchone(
        f"SELECT {_COLUMNS} FROM kyc_documents WHERE id = ? AND player_id = ?",  # noqa: S608
        (document_id, player_id),
    )
    return _document(row) if row else None


async def any_document(db: Database, document_id: int) -> Document | None:
    """A document by its id alone, whoever's it is: for staff review only."""
    row = await db.fetchone(
        f"SELECT {_COLUMNS} FROM kyc_documents WHERE id = ?",  # noqa: S608
        (document_id,),
    )
    return _document(row) if row else None


def level_of_kind(kind: str) -> int:
    """The level a document of `kind` can prove: identity, or address and source of funds."""
    return IDENTITY if kind == "id" else ADDRESS_AND_FUNDS


async def read(folder: Path, found: Document, key: bytes) -> bytes:
    """The document's plaintext, decrypted and checked against its hash (DocumentCorrupt)."""
    stored = await asyncio.to_thread((folder / found.storage_name).read_bytes)
    return open_document(key, found.storage_name, stored, found.sha256, found.encrypted)


async def review(
    db: Database,
    player_id: int,
    decision: Decision,
    note: str = "",
    actor: str = "staff",
    address: str = "",
) -> Status:
    """Staff's decision on a pending player; IllegalReview for any other status."""
    async with db.transaction() as tx:
        now = await state(tx, player_id)
        verdict = staff_verdict(now.status, now.level, decision, actor, note)
        new = await apply_verdict_in(tx, player_id, verdict, address)
    log.info("kyc review of player %d by %s: %s", player_id, actor, new.status)
    return new.status


async def pending_queue(db: Database, limit: int = 100) -> list[dict[str, object]]:
    """The staff review queue: pending players, oldest first, with their documents' count."""
    rows = await db.fetchall(
        "SELECT s.player_id, s.level, s.updated_at, p.username, p.country,"
        " (SELECT COUNT(*) FROM kyc_documents d WHERE d.player_id = s.player_id)"
        " FROM kyc_status s JOIN players p ON p.id = s.player_id"
        " WHERE s.status = 'pending' ORDER BY s.updated_at, s.player_id LIMIT ?",
        (limit,),
    )
    return [
        {"player_id": int(r[0]), "level": int(r[1]), "since": int(r[2]), "username": str(r[3]),
         "country": str(r[4]), "documents": int(r[5])}
        for r in rows
    ]  # fmt: skip


async def applicant(db: Database, player_id: int) -> tuple[str, str] | None:
    """The player's vendor applicant id and the legal name given with it, if any."""
    row = await db.fetchone(
        "SELECT applicant_id, legal_name FROM kyc_applicants WHERE player_id = ?", (player_id,)
    )
    return (str(row[0]), str(row[1])) if row else None


async def keep_applicant(db: Database, player_id: int, applicant_id: str, name: str) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO kyc_applicants (player_id, applicant_id, legal_name, created_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (player_id) DO UPDATE SET"
            " legal_name = CASE WHEN excluded.legal_name = '' THEN kyc_applicants.legal_name"
            " ELSE excluded.legal_name END",
            (player_id, applicant_id, name, now_ms()),
        )


async def apply_review(
    db: Database, event_id: str, applicant_id: str, review_seq: int, verdict: Verdict
) -> tuple[int | None, str]:
    """Apply a vendor's signed review once: (player, outcome), the outcome `applied`,
    `duplicate` (this event id was seen), `stale` (a review with this or a later sequence
    was already applied: a late or out-of-order delivery) or `unknown` (no such applicant).
    The event's row, the new state, its event and audit entry commit together."""
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "SELECT player_id, review_seq FROM kyc_applicants WHERE applicant_id = ?",
            (applicant_id,),
        )
        if row is None:
            return None, "unknown"
        player_id, applied_seq = int(row[0]), int(row[1])
        fresh = review_seq > applied_seq
        inserted = await tx.execute(
            "INSERT INTO kyc_vendor_events (event_id, applicant_id, review_seq, answer, applied,"
            " received_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
            (event_id, applicant_id, review_seq, verdict.answer.value, int(fresh), now_ms()),
        )
        if not inserted:
            return player_id, "duplicate"
        if not fresh:
            return player_id, "stale"
        await tx.execute(
            "UPDATE kyc_applicants SET review_seq = ? WHERE applicant_id = ?",
            (review_seq, applicant_id),
        )
        await apply_verdict_in(tx, player_id, verdict)
    return player_id, "applied"
