"""Reality checks end to end on a real server: at the interval the player chose, the server
pushes the session's elapsed time and net position over the WebSocket, and holds every new
stake with REALITY_CHECK_PENDING, moving nothing, until the player sends `reality_check_ack`.

The test servers accept intervals from one second (CASINO_REALITY_CHECK_MIN_SECONDS=1 in
tests/conftest.py), so the server's own timers fire within a test; players elsewhere choose
from 60 seconds up, which the last tests here hold."""

from __future__ import annotations

from typing import Any

import pytest

from clients.api import ApiFailure, CasinoClient
from server.config import Settings
from server.rg import limits
from tests.conftest import ServerProcess, new_player

SLOT = "classic-sevens"  # stakes are multiples of 5
PUSH_WAIT_S = 30.0  # a bound for a loaded machine, never a measure of speed


async def set_interval(client: CasinoClient, seconds: int) -> None:
    await client.call("PUT", "/api/rg/limits/reality_check_seconds", {"value": seconds})


async def reality_check(ws: Any) -> dict[str, Any]:
    """The next reality-check push (balance pushes on the way are passed over)."""
    while True:
        pushed: dict[str, Any] = await ws.next_push(PUSH_WAIT_S)
        if pushed["type"] == "reality_check":
            return pushed


async def test_the_push_states_elapsed_time_and_the_sessions_net_position(
    casino: ServerProcess,
) -> None:
    client, _ = await new_player(casino.base_url, deposit=1_000)
    async with client:
        await set_interval(client, 5)
        async with client.socket() as ws:
            await ws.hello(client.token or "")
            spun = await ws.spin(SLOT, 5)
            assert spun["type"] == "spin", spun
            pushed = await reality_check(ws)
    assert sorted(pushed) == ["currency", "elapsed_ms", "net", "type"]
    assert (pushed["net"], pushed["currency"]) == (spun["payout"] - 5, "EUR")
    assert pushed["elapsed_ms"] >= 5_000


async def test_a_spin_while_the_check_waits_is_refused_and_moves_nothing(
    casino: ServerProcess,
) -> None:
    client, _ = await new_player(casino.base_url, deposit=1_000)
    async with client:
        await set_interval(client, 1)
        async with client.socket() as ws:
            await ws.hello(client.token or "")
            await reality_check(ws)
            refused = await ws.spin(SLOT, 5)
            assert (refused["type"], refused["code"]) == ("error", "REALITY_CHECK_PENDING")
            assert (await ws.balance())["balance"] == 1_000
            assert (await ws.history())["rounds"] == []


async def test_after_the_acknowledgement_the_player_plays_on(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url, deposit=1_000)
    async with client:
        await set_interval(client, 3)
        async with client.socket() as ws:
            await ws.hello(client.token or "")
            await reality_check(ws)
            assert (await ws.request("reality_check_ack"))["type"] == "reality_check_ack"
            played = await ws.spin(SLOT, 5)
            assert played["type"] == "spin", played
            assert played["balance"] == 1_000 - 5 + played["payout"]


async def test_the_next_check_comes_an_interval_after_the_acknowledgement(
    casino: ServerProcess,
) -> None:
    client, _ = await new_player(casino.base_url, deposit=1_000)
    async with client:
        await set_interval(client, 1)
        async with client.socket() as ws:
            await ws.hello(client.token or "")
            first = await reality_check(ws)
            await ws.request("reality_check_ack")
            second = await reality_check(ws)
    assert second["elapsed_ms"] >= first["elapsed_ms"] + 1_000


async def test_an_interval_below_the_configured_minimum_is_refused(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        with pytest.raises(ApiFailure) as failure:
            await set_interval(client, 0)
        assert (failure.value.status, failure.value.code) == (422, "VALIDATION_FAILED")
        state = await client.call("GET", "/api/rg")
        assert "reality_check_seconds" not in state["limits"]


def test_players_choose_reality_checks_from_one_minute_unless_configured_lower() -> None:
    assert Settings.from_env({}).reality_check_min_s == 60
    assert not limits.valid(limits.REALITY_CHECK, 59)
    assert limits.valid(limits.REALITY_CHECK, 60)
    assert limits.valid(limits.REALITY_CHECK, 1, reality_min_s=1)
    assert not limits.valid(limits.REALITY_CHECK, 86_401, reality_min_s=1)


def test_the_minimum_can_only_be_lowered_to_between_one_and_sixty_seconds() -> None:
    assert Settings.from_env({"CASINO_REALITY_CHECK_MIN_SECONDS": "1"}).reality_check_min_s == 1
    for raw in ("0", "61"):
        with pytest.raises(ValueError, match="CASINO_REALITY_CHECK_MIN_SECONDS"):
            Settings.from_env({"CASINO_REALITY_CHECK_MIN_SECONDS": raw})
