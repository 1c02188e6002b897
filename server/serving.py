"""Running the app under uvicorn: graceful shutdown, and N worker processes on one port.

uvicorn's own shutdown closes every WebSocket with 1012 at once; ours first
stops accepting, lets each socket's in-flight requests finish and send their
replies (`Hub.drain`), then lets uvicorn close what is left and run the
lifespan shutdown, which flushes the rounds stream. With `--workers N` the
parent binds the port once and N spawned processes serve it, each with this
same shutdown; the parent forwards SIGINT/SIGTERM and waits for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import multiprocessing
import os
import signal
import socket
import sys
import time
from types import FrameType
from typing import Any

import uvicorn

from server import gc_policy
from server.sessions import hub as hub_module

STUCK_SIGNAL = signal.SIGUSR1
STACKS_WAIT_S = 0.5


class GracefulServer(uvicorn.Server):
    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for listener in self.servers:
            listener.close()  # no new connections while the old ones drain
        for hub in list(hub_module.ACTIVE):
            await hub.drain()
        await super().shutdown(sockets)


def _worker(config_kwargs: dict[str, Any], sock: socket.socket) -> None:
    os.setpgrp()  # a terminal's Ctrl-C reaches the parent only, which forwards it once
    _run(GracefulServer(uvicorn.Config(**config_kwargs)), [sock])


def tell_where_stuck_on(signum: int) -> None:
    """Before it kills a server stuck in its shutdown, whoever stops it (the `--workers`
    host, systemd, the tests) may ask it where it is stuck: every thread's stack goes to the
    log (even when the loop itself is blocked), and, when the loop is idle and some task
    waits for what never comes, every task's stack."""
    signal.signal(signum, _print_tasks)
    faulthandler.register(signum, all_threads=True, chain=True)


def _print_tasks(signum: int, frame: FrameType | None) -> None:
    with contextlib.suppress(RuntimeError):  # no loop is running
        for task in asyncio.all_tasks():
            task.print_stack(file=sys.stderr)


def _run(server: GracefulServer, sockets: list[socket.socket] | None = None) -> None:
    # uvicorn re-raises the signal it caught once its shutdown is done. The shutdown was
    # graceful, so that is a normal exit: SIGTERM then does nothing, SIGINT's KeyboardInterrupt
    # is swallowed, and the process exits 0.
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    tell_where_stuck_on(STUCK_SIGNAL)
    gc_policy.tune()
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=sockets)


def serve(config_kwargs: dict[str, Any], workers: int) -> None:
    if workers <= 1:
        _run(GracefulServer(uvicorn.Config(**config_kwargs)))
        return
    config = uvicorn.Config(**config_kwargs)
    sock = config.bind_socket()
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_worker, args=(config_kwargs, sock)) for _ in range(workers)
    ]
    for process in processes:
        process.start()

    stopping_since: list[float] = []

    def forward(signum: int, frame: object) -> None:
        stopping_since.append(time.monotonic())
        for process in processes:
            if process.pid is not None and process.is_alive():
                os.kill(process.pid, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    limit = float(config_kwargs.get("timeout_graceful_shutdown") or 10) + 10
    while any(process.is_alive() for process in processes):
        for process in processes:
            process.join(0.2)
        if stopping_since and time.monotonic() - stopping_since[0] > limit:
            stuck = [process for process in processes if process.is_alive()]
            for process in stuck:  # a worker stuck in shutdown must not hang the host
                if process.pid is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(process.pid, STUCK_SIGNAL)
            time.sleep(STACKS_WAIT_S)
            for process in stuck:
                process.kill()
    sock.close()
