"""The flusher runs in a child process of each server process, and never outlives it.

Against the real server (`run.py serve`) on a real port, real redis-servers and real SQLite
files: rounds settled through the server become durable rows written by the child; a killed
child is replaced (and /ready says so meanwhile) and rounds still become durable; a server
killed with SIGKILL leaves no flusher behind; the child's figures show on the server's
/metrics; with --workers every worker has a child of its own.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from games.classic_slot import INFO as CLASSIC
from server.events import stream
from server.money import keys
from server.money.journal.flusher_process import MODULE
from server.storage.redis_child import RedisChild
from server.storage.redis_client import connect as connect_redis
from tests.conftest import (
    ServerProcess,
    new_player,
    serving_workers,
    start_server,
    stop_server,
)
from tests.support import db as test_db
from tests.support import processes
from tests.support.observability import delta, scrape

TIMEOUT_S = 20.0
LETTERS = "casino_flusher_dead_letters_total"
T = TypeVar("T")


def flusher_processes(parents: set[int] | None = None) -> dict[int, int]:
    """{pid: parent pid} of every live flusher process (whose parent is in `parents`)."""
    return processes.running(MODULE, parents)


def until(find: Callable[[], T], done: Callable[[T], bool], what: str) -> T:
    return processes.until(find, done, what, TIMEOUT_S)


def the_flusher_of(server: ServerProcess) -> int:
    found = until(
        lambda: flusher_processes({server.process.pid}),
        lambda f: len(f) == 1,
        "one flusher process",
    )
    return next(iter(found))


async def spin_and_count_rows(server: ServerProcess, spins: int) -> list[str]:
    """Play `spins` slot spins; the round ids, once every one of them is a durable row."""
    client, _ = await new_player(server.base_url, deposit=10_000)
    async with client:
        assert client.token is not None
        async with client.socket() as sock:
            await sock.hello(client.token)
            replies = [await sock.spin(CLASSIC.id, 100) for _ in range(spins)]
    round_ids = [str(reply["round_id"]) for reply in replies]
    deadline = time.monotonic() + TIMEOUT_S
    while (durable := await _durable(server, round_ids)) != len(round_ids):
        assert time.monotonic() < deadline, f"{durable} of {len(round_ids)} rounds durable"
        await asyncio.sleep(0.05)
    return round_ids


async def _durable(server: ServerProcess, round_ids: list[str]) -> int:
    marks = ", ".join("?" * len(round_ids))
    [(count,)] = test_db.query(
        server.database_path, f"SELECT COUNT(*) FROM rounds WHERE round_id IN ({marks})", round_ids
    )
    return int(count)


@pytest.fixture
def own_server(tmp_path: Path, private_redis: RedisChild) -> Iterator[ServerProcess]:
    server = start_server(tmp_path, private_redis)
    yield server
    stop_server(server)


async def test_rounds_settled_through_the_server_are_written_by_its_flusher_process(
    casino: ServerProcess,
) -> None:
    the_flusher_of(casino)
    before = await scrape(casino.base_url)
    await spin_and_count_rows(casino, 5)
    after = await scrape(casino.base_url)
    assert delta(before, after, "casino_flusher_entries_total") >= 5
    assert delta(before, after, "casino_flusher_lag_seconds_count") == delta(
        before, after, "casino_flusher_entries_total"
    )


async def test_the_loyalty_and_reports_consumers_run_in_the_flusher_process(
    casino: ServerProcess,
) -> None:
    pid = the_flusher_of(casino)
    await spin_and_count_rows(casino, 1)  # the groups exist once an event has been read
    client = connect_redis(casino.redis.url)
    try:
        for group in ("loyalty", "reports"):
            names = {
                str(member["name"])
                for key in stream.all_keys()
                for member in await client.xinfo_consumers(key, group)
            }
            assert any(name.endswith(f"-{pid}") for name in names), (group, names, pid)
            assert not any(name.endswith(f"-{casino.process.pid}") for name in names)
    finally:
        await client.aclose()


def test_the_redis_password_is_not_on_the_flusher_command_line(casino: ServerProcess) -> None:
    pid = the_flusher_of(casino)
    assert casino.redis.password not in " ".join(processes.cmdline(pid))
    assert processes.cmdline(pid)[1:3] == ["-m", MODULE]


async def test_a_dead_letter_in_the_flusher_process_shows_on_the_server_metrics(
    own_server: ServerProcess,
) -> None:
    before = await scrape(own_server.base_url)
    client = connect_redis(own_server.redis.url)
    try:  # a kind no writer knows: the child quarantines it
        await client.xadd(keys.journal(0), {"kind": "mystery", "round_id": "r-1"})
    finally:
        await client.aclose()
    deadline = time.monotonic() + TIMEOUT_S
    dead = {"kind": "mystery"}
    while delta(before, after := await scrape(own_server.base_url), LETTERS, **dead) == 0:
        assert time.monotonic() < deadline, "the dead letter never showed on /metrics"
        await asyncio.sleep(0.05)
    assert delta(before, after, LETTERS, **dead) == 1


async def test_a_killed_flusher_process_is_replaced_and_rounds_still_become_durable(
    own_server: ServerProcess,
) -> None:
    first = the_flusher_of(own_server)
    os.kill(first, signal.SIGKILL)
    async with httpx.AsyncClient(base_url=own_server.base_url) as http:
        deadline = time.monotonic() + TIMEOUT_S
        while "flusher process is not running" not in str((await http.get("/ready")).json()):
            assert time.monotonic() < deadline, "/ready never said the flusher is down"
            await asyncio.sleep(0.02)
        second = until(
            lambda: flusher_processes({own_server.process.pid}),
            lambda f: len(f) == 1 and first not in f,
            "a new flusher process",
        )
        while (await http.get("/ready")).status_code != 200:
            assert time.monotonic() < deadline, "/ready never recovered"
            await asyncio.sleep(0.05)
    before = await scrape(own_server.base_url)
    await spin_and_count_rows(own_server, 3)
    after = await scrape(own_server.base_url)
    assert delta(before, after, "casino_flusher_entries_total") >= 3
    assert f"flusher process {first} ended with exit code -9" in own_server.log()
    assert set(flusher_processes({own_server.process.pid})) == set(second)


async def test_a_server_killed_with_sigkill_leaves_no_flusher_process(
    own_server: ServerProcess,
) -> None:
    child = the_flusher_of(own_server)
    own_server.process.kill()
    own_server.process.wait(10)
    until(lambda: processes.alive(child), lambda alive: not alive, "the orphaned flusher to exit")


def test_every_worker_has_a_flusher_process_of_its_own(tmp_path: Path) -> None:
    with serving_workers(tmp_path, workers=2) as served:
        family = processes.descendants(served.process.pid)
        found = until(
            lambda: flusher_processes(family),
            lambda f: len(f) == 2,
            "two flusher processes",
        )
        assert len(set(found.values())) == 2  # each under a different worker
    until(lambda: flusher_processes(set(found.values())), lambda f: not f, "flushers to stop")
