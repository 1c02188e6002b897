"""The terminal client's safer-gambling menu (`s` in the lobby), driven through standard input
against a real server: a limit lowered applies at once, a raise is shown waiting 24 hours
for a reconfirmation, the reality-check interval is set, and a time-out states its
consequences before anything happens (a cancel changes nothing, the typed word starts it).
The pushes it answers are read into the text it shows."""

from __future__ import annotations

from typing import Any

import httpx

from clients import terminal_safer
from tests.conftest import STRONG_PASSWORD, ServerProcess, new_player
from tests.test_terminal_client import play


async def rg_state(casino: ServerProcess, token: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        response = await http.get("/api/rg", headers={"Authorization": f"Bearer {token}"})
    state: dict[str, Any] = response.json()
    return state


async def test_the_menu_sets_limits_shows_a_raise_waiting_and_sets_reality_checks(
    casino: ServerProcess,
) -> None:
    client, player = await new_player(casino.base_url)
    token = client.token
    await client.http.aclose()
    assert token is not None
    steps = [
        "s",
        "l", "1", "50.00",  # deposits in 24 hours: 50.00, applies now
        "l", "1", "90.00",  # raised: waits 24 hours, then a confirmation
        "r", "30",  # a reality check every 30 minutes
        "b", "q",
    ]  # fmt: skip
    login = ["--url", casino.base_url, "--user", str(player["username"])]
    code, printed = await play(*login, stdin="\n".join(steps) + "\n", password=STRONG_PASSWORD)
    output = " ".join(printed.split())  # rich wraps long lines at the pipe's 80 columns
    assert code == 0, output
    assert "deposits in 24 hours: 50.00 EUR, applies now" in output
    assert "Raise waiting: deposits in 24 hours 90.00 EUR can apply from" in output
    assert "once you confirm it then. Until then it stays 50.00 EUR." in output
    assert "reality check: every 30 minutes" in output
    limits = (await rg_state(casino, token))["limits"]
    assert limits["deposit_24h"]["value"] == 5_000
    assert limits["deposit_24h"]["pending"]["value"] == 9_000
    assert limits["reality_check_seconds"]["value"] == 1800


async def test_a_time_out_states_its_consequences_and_starts_only_when_typed(
    casino: ServerProcess,
) -> None:
    client, player = await new_player(casino.base_url)
    token = client.token
    await client.http.aclose()
    assert token is not None
    steps = [
        "s",
        "t", "2", "no",  # a week's time-out, cancelled
        "t", "2", "time-out",  # and started
        "q",
    ]  # fmt: skip
    login = ["--url", casino.base_url, "--user", str(player["username"])]
    code, printed = await play(*login, stdin="\n".join(steps) + "\n", password=STRONG_PASSWORD)
    output = " ".join(printed.split())  # rich wraps long lines at the pipe's 80 columns
    assert code in (0, 3), output  # 3 when the time-out's forced logout arrived before "q"
    assert output.count("For 1 week you cannot play, bet or deposit") == 2
    assert "You can still log in to see your balance and withdraw" in output
    assert "A time-out cannot be ended early." in output
    assert "cancelled: nothing changed" in output
    assert "time-out of 1 week started" in output
    exclusion = (await rg_state(casino, token))["exclusion"]
    assert exclusion["kind"] == "time_out"


def test_a_reality_check_push_is_kept_for_the_next_step_with_its_figures() -> None:
    class Noted:
        def __init__(self) -> None:
            self.safer: dict[str, Any] = {}

        def money(self, minor: int) -> str:
            return f"{minor / 100:.2f} GBP"

    noted: Any = Noted()
    terminal_safer.note(noted, {"type": "reality_check", "elapsed_ms": 3_725_000, "net": -1_250})
    assert noted.safer["reality_check"]["elapsed_ms"] == 3_725_000
    assert terminal_safer.figures_text(noted).startswith("session 1 h 02 min · net -12.50 GBP")


def test_durations_and_end_reasons_read_as_text() -> None:
    assert [terminal_safer.duration_text(ms) for ms in (42_000, 125_000, 3_725_000)] == [
        "42 s",
        "2 min 05 s",
        "1 h 02 min",
    ]
    assert terminal_safer.ended_text("self_exclusion") == (
        "you excluded yourself: no play or deposits until your self-exclusion ends"
    )
