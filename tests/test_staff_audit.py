"""`run.py audit-verify` finds an edited and a removed audit entry (naming it, exit 1), and
the chain head is published to the log (server/staff/audit_head.py)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.audit import trail
from server.staff import audit_head
from server.storage.database import Database, DatabaseTarget
from tests.conftest import ServerProcess
from tests.support import db as test_db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(test_db.target_for(tmp_path))
    await database.open()
    for n in range(3):
        await trail.record(database, "staff:ana", "note_added", f"player:{n}", "why", "10.0.0.5")
    yield database
    await database.close()


def audit_verify(database: DatabaseTarget, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CASINO_NO_BOOTSTRAP": "1",
        "CASINO_DATA_DIR": str(data_dir),
        "CASINO_DATABASE_URL": test_db.url_of(database),
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "audit-verify"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip


async def test_an_intact_trail_verifies_with_its_count_and_head(
    db: Database, tmp_path: Path
) -> None:
    _, digest = await audit_head.head(db)
    done = audit_verify(file_of(db), tmp_path)
    assert (done.returncode, done.stdout.strip()) == (
        0, f"audit trail intact: 3 entries, head {digest}",
    )  # fmt: skip


def file_of(db: Database) -> DatabaseTarget:
    return test_db.target_of(db)


async def test_an_edited_entry_is_named_and_the_command_fails(db: Database, tmp_path: Path) -> None:
    test_db.execute(file_of(db), "UPDATE audit_trail SET reason = 'nothing to see' WHERE id = 2")
    done = audit_verify(file_of(db), tmp_path)
    assert (done.returncode, done.stderr.strip()) == (
        1, "audit trail broken at entry 2: its content does not match its hash",
    )  # fmt: skip


async def test_a_removed_entry_is_named_and_the_command_fails(db: Database, tmp_path: Path) -> None:
    test_db.execute(file_of(db), "DELETE FROM audit_trail WHERE id = 2")
    done = audit_verify(file_of(db), tmp_path)
    assert (done.returncode, done.stderr.strip()) == (
        1, "audit trail broken at entry 2: this entry was removed",
    )  # fmt: skip


async def test_publishing_logs_the_newest_entrys_id_and_hash(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    [(newest,)] = test_db.query(file_of(db), "SELECT hash FROM audit_trail WHERE id = 3")
    with caplog.at_level(logging.INFO, logger="server.staff.audit_head"):
        published = await audit_head.publish(db)
    assert published == (3, newest)
    assert f"audit chain head: entry 3 hash {newest}" in caplog.messages


def test_the_server_publishes_the_head_to_its_log(casino: ServerProcess) -> None:
    assert "audit chain head: entry" in casino.log()
