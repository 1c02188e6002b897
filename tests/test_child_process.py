"""The kit for the server's own child processes (server/child_process.py), with a child of
its own (tests/support/echo_child.py) as a real process: the reports reach the parent's
handler in order, `stop` ends the child, and a child that ends before it reports ready
raises its module's `NotStarted` error. The flusher's and risk monitor's tests cover the
rest (restarts, death with the parent) through the server."""

from __future__ import annotations

import os

import pytest

from server.child_process import Basics, ChildProcess, NotStarted, start_side_by_side
from tests.support.echo_child import MODULE, Echo, EchoSettings, Report


class EchoNotStarted(NotStarted):
    pass


def echo_process(
    words: list[str], ready: bool, heard: list[str]
) -> ChildProcess[EchoSettings, Report]:
    async def hear(report: Report) -> None:
        assert isinstance(report, Echo)
        heard.append(report.word)

    basics = Basics("redis://unused", "unused.db", "WARNING", [], os.getpid())
    settings = EchoSettings(words, ready, basics)
    return ChildProcess(
        module=MODULE, name="echo process", settings=settings, reports=Report, handle=hear,
        not_started=EchoNotStarted,
    )  # fmt: skip


async def test_the_childs_reports_reach_the_handler_in_order_and_stop_ends_it() -> None:
    heard: list[str] = []
    child = echo_process(["one", "two", "three"], ready=True, heard=heard)
    await child.start()
    assert child.running
    await child.stop()
    assert heard == ["one", "two", "three"]
    assert child.pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(child.pid, 0)  # reaped: gone


async def test_a_child_that_ends_before_it_reports_ready_raises_its_not_started_error() -> None:
    child = echo_process([], ready=False, heard=[])
    with pytest.raises(EchoNotStarted, match=r"echo process \d+ did not report ready"):
        await child.start()
    assert not child.running


async def test_children_started_side_by_side_all_run() -> None:
    one, two = echo_process(["a"], True, []), echo_process(["b"], True, [])
    await start_side_by_side(one, two)
    try:
        assert one.running and two.running and one.pid != two.pid
    finally:
        await one.stop()
        await two.stop()


async def test_a_child_that_fails_beside_another_raises_its_error_and_stop_ends_the_other() -> None:
    good, bad = echo_process(["a"], True, []), echo_process([], False, [])
    with pytest.raises(EchoNotStarted, match=r"echo process \d+ did not report ready"):
        await start_side_by_side(good, bad)
    await good.stop()  # as the server's shutdown does, whether it had started or not
    assert good._process is None or good._process.returncode is not None
