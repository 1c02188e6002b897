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
from server.events import outbox
from server.events.catalogue import KycChanged
from server.kyc.review import Decision, Status, after_review, after_upload
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
    "id, player_id, kind, content_type, size_bytes, sha256, filename, storage_name, uploaded_at"
)


def _document(row: Row) -> Document:
    return Document(
        int(row[0]), int(row[1]), str(row[2]), str(row[3]), int(row[4]), str(row[5]),
        str(row[6]), str(row[7]), int(row[8]),
    )  # fmt: skip


async def status(db: Database, player_id: int) -> Status:
    row = await db.fetchone("SELECT status FROM kyc_status WHERE player_id = ?", (player_id,))
    return Status(str(row[0])) if row else Status.UNVERIFIED


async def is_verified(db: Database, player_id: int) -> bool:
    """True when the back office approved the player's documents (and nothing undid it)."""
    return await status(db, player_id) is Status.VERIFIED


async def _set_status(tx: Transaction, player_id: int, new: Status, note: str) -> None:
    """Set the player's status; a change of it emits its event in the same transaction."""
    previous = await _status_in(tx, player_id)
    if previous is not new:
        await outbox.emit(
            tx,
            KycChanged(
                id=outbox.new_id("kyc"), player_id=player_id, at_ms=now_ms(),
                previous=previous.value, status=new.value,
            ),
        )  # fmt: skip
    await tx.execute(
        "INSERT INTO kyc_status (player_id, status, updated_at, note) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (player_id) DO UPDATE SET status = excluded.status,"
        " updated_at = excluded.updated_at, note = excluded.note",
        (player_id, new.value, now_ms(), note),
    )


async def _status_in(tx: Transaction, player_id: int) -> Status:
    row = await tx.fetchone("SELECT status FROM kyc_status WHERE player_id = ?", (player_id,))
    return Status(str(row[0])) if row else Status.UNVERIFIED


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
) -> Document:
    """Keep a document already judged acceptable, within the player's quota (`over_quota`
    is raised otherwise); the player's status becomes pending."""
    assert kind in KINDS, kind
    await check_quota(db, player_id, quota, len(data))
    storage_name = rng.token_urlsafe(24)
    path = folder / storage_name
    await asyncio.to_thread(_write, path, data)
    digest = hashlib.sha256(data).hexdigest()
    uploaded = now_ms()
    try:
        async with db.transaction() as tx:
            if not quota.admits(*await usage(tx, player_id), len(data)):
                raise over_quota(quota)
            document_id = await tx.insert(
                "INSERT INTO kyc_documents (player_id, kind, content_type, size_bytes, sha256,"
                " filename, storage_name, uploaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (player_id, kind, content_type, len(data), digest, filename, storage_name,
                 uploaded),
            )  # fmt: skip
            await _set_status(tx, player_id, after_upload(await _status_in(tx, player_id)), "")
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


async def read(folder: Path, found: Document) -> bytes:
    return await asyncio.to_thread((folder / found.storage_name).read_bytes)


async def review(db: Database, player_id: int, decision: Decision, note: str = "") -> Status:
    """The back office's verdict on a pending player; IllegalReview for any other status."""
    async with db.transaction() as tx:
        new = after_review(await _status_in(tx, player_id), decision)
        await _set_status(tx, player_id, new, note)
    log.info("kyc review of player %d: %s", player_id, new)
    return new
