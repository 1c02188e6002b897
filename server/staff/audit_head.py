"""The audit trail's chain head, published to the log: at start-up and every
CASINO_AUDIT_HEAD_SECONDS after.

`trail.verify` finds an edited, reordered or removed entry anywhere but at the end: cutting
off the newest entries leaves a shorter chain that is still valid. The head (the newest
entry's id and hash) written to the log, which is shipped elsewhere and kept apart from
the database, pins the chain's length at that time: a later chain whose entry of that id
has another hash, or that has no such entry, was cut or rewritten. Reading the head is one
indexed query; the whole chain is checked by `run.py audit-verify`.
"""

from __future__ import annotations

import asyncio
import logging

from server.audit.trail import GENESIS
from server.storage.database import Database

log = logging.getLogger(__name__)


async def head(db: Database) -> tuple[int, str]:
    """The newest entry's id and hash; (0, GENESIS) while the trail is empty."""
    row = await db.fetchone("SELECT id, hash FROM audit_trail ORDER BY id DESC LIMIT 1")
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


async def publish(db: Database) -> tuple[int, str]:
    entry_id, digest = await head(db)
    log.info("audit chain head: entry %d hash %s", entry_id, digest)
    return entry_id, digest


async def publish_forever(db: Database, interval_s: float) -> None:
    while True:
        try:
            await publish(db)
        except Exception:  # a busy or closing database: the next period publishes
            log.exception("could not read the audit chain head")
        await asyncio.sleep(interval_s)
