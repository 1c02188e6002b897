"""A worker stuck in its shutdown tells where before the host kills it (server/serving.py):
the host sends STUCK_SIGNAL, and the worker writes every thread's stack and, when its loop is
idle, every task's, so a task that waits for what never comes is named in the log."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

from server.serving import STUCK_SIGNAL
from tests.conftest import ROOT

# A worker's loop (uvloop, as `serve` runs it) with one task parked for ever.
PARKED = textwrap.dedent(
    """
    import asyncio, sys, uvloop
    from server.serving import STUCK_SIGNAL, tell_where_stuck_on

    async def parked_for_ever() -> None:
        await asyncio.Event().wait()

    async def main() -> None:
        tell_where_stuck_on(STUCK_SIGNAL)
        task = asyncio.create_task(parked_for_ever())
        await asyncio.sleep(0)
        print("parked", flush=True)
        await task

    uvloop.run(main())
    """
)


def test_a_stuck_worker_names_the_task_that_waits_and_every_threads_stack() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", PARKED],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "parked\n"
        process.send_signal(STUCK_SIGNAL)
        time.sleep(1.0)  # the host's STACKS_WAIT_S is 0.5 s
    finally:
        process.kill()
        _, stderr = process.communicate(timeout=30)
    assert "Current thread" in stderr  # faulthandler's dump of every thread
    assert "in parked_for_ever" in stderr  # the task's own stack
    assert process.returncode == -signal.SIGKILL  # the dump alone ends nothing
