"""Stopping a server process's background tasks (the push hub, the sweeper, the event relay,
...) at shutdown, even one that lost its cancellation.

A cancellation can be lost below our code: Python 3.11's `asyncio.wait_for` dropped one that
landed as the awaited thing completed, and redis-py drops one now and then in a blocking
read (redis-py #2028). The task then runs on, and a shutdown that waited for it hung until
the process was killed. A task still running a moment after its cancel is named in the log
with where it is, and cancelled again.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)

RECANCEL_AFTER_S = 1.0
RECANCELS = 10


async def stop_all(tasks: Iterable[asyncio.Task[Any]]) -> set[asyncio.Task[Any]]:
    """Cancel every task and wait until each has ended; returns those that outlived every
    cancel (a task that ignores all of them is left behind, not waited for)."""
    pending = set(tasks)
    for task in pending:
        task.cancel()
    for _ in range(RECANCELS):
        if not pending:
            break
        done, pending = await asyncio.wait(pending, timeout=RECANCEL_AFTER_S)
        for task in done:  # retrieved, so asyncio does not report it as never retrieved
            if not task.cancelled():
                task.exception()
        for task in pending:
            log.warning(
                "task %s is still running after its cancel; cancelling it again: %s",
                task.get_name(), _where(task),
            )  # fmt: skip
            task.cancel()
    for task in pending:
        log.error("task %s ignored %d cancels; leaving it: %s", task.get_name(), RECANCELS + 1,
                  _where(task))  # fmt: skip
    return pending


def _where(task: asyncio.Task[Any]) -> str:
    stack = io.StringIO()
    task.print_stack(file=stack)
    return stack.getvalue()
