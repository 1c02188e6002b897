"""The terminal client marks play money: against a sandbox server `run.py play` says
"sandbox: play money" after login and in every round's heading; against a live server it
says nothing of the kind and makes no sandbox deposit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import ServerProcess
from tests.support.modes import live_server
from tests.test_terminal_client import play


@pytest.fixture(scope="module")
def live_casino(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with live_server(tmp_path_factory.mktemp("live-terminal")) as server:
        yield server


async def test_a_sandbox_run_is_marked_after_login_and_in_every_round(
    casino: ServerProcess,
) -> None:
    code, output = await play("--url", casino.base_url, "--register", "--auto", "3")
    assert code == 0, output
    assert "sandbox: play money  nothing here is real money" in output
    headings = [line for line in output.splitlines() if "round " in line and "/3 · " in line]
    assert len(headings) == 3, output
    assert all("· sandbox: play money" in heading for heading in headings), headings


async def test_a_live_run_has_no_marker_and_no_sandbox_deposit(
    live_casino: ServerProcess,
) -> None:
    code, output = await play("--url", live_casino.base_url, "--register", "--auto", "1")
    assert "sandbox" not in output.replace("no sandbox deposit", "")
    assert "this server moves real money: no sandbox deposit" in output
    assert code == 1  # a new live player has no money to stake
    assert "INSUFFICIENT_FUNDS" in output
