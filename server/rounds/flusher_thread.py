"""The running flusher, on a thread of its own with its own event loop, Redis client and
database connections.

Why a thread: a batch write awaits the database a dozen times (BEGIN, the inserts, the
ledger's statements, COMMIT), and under load the server's event loop takes tens of
milliseconds per turn, so on that loop a 2,000-round batch took one to two seconds and the
stream's backlog grew until back-pressure refused every stake. On a loop of its own each
await returns as soon as SQLite is done. It shares nothing with the request path but the
database file (SQLite serialises the two writers) and Redis. The start-up and shutdown
drains still run on the server's loop, while this thread is not running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from server.rounds.flusher import Flusher, Writer
from server.storage import redis_client
from server.storage.database import Database

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 10.0


class FlusherThread:
    def __init__(
        self,
        redis_url: str,
        database_path: Path,
        batch: int,
        block_ms: int,
        writers: Mapping[str, Writer],
    ) -> None:
        self.redis_url = redis_url
        self.database_path = database_path
        self.batch = batch
        self.block_ms = block_ms
        self.writers = dict(writers)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._started = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name="flusher", daemon=True)
        self._thread.start()
        self._started.wait(STOP_TIMEOUT_S)

    def stop(self) -> None:
        """Cancel the flusher between or inside batches (a cancelled batch rolls back and its
        entries stay pending for the shutdown drain) and wait for the thread."""
        loop, task, thread = self._loop, self._task, self._thread
        if loop is not None and task is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(task.cancel)
        if thread is not None:
            thread.join(STOP_TIMEOUT_S)
            if thread.is_alive():
                log.error("flusher thread did not stop within %.0fs", STOP_TIMEOUT_S)

    def _main(self) -> None:
        try:
            asyncio.run(self._run())
        except Exception:
            log.exception("flusher thread ended by an error")
        finally:
            self._started.set()

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        client = redis_client.connect(self.redis_url)
        db = Database(self.database_path)
        try:
            await db.open()
            flusher = Flusher(client, db, self.batch, self.block_ms, writers=self.writers)
            self._started.set()
            await flusher.run()
        except asyncio.CancelledError:
            pass
        finally:
            await client.aclose()
            await db.close()
