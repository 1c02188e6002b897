"""Refusals worded for people: one table (clients/web/messages.json) covers every error code,
the server sends the figures a sentence needs as `params` (HTTP error body and WebSocket
error frame), and the terminal client prints the worded sentence. The browser's reader of
the same table is tested in Chromium (tests/test_wording_web.py)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import httpx
import pytest

from clients import wording
from clients.api import ApiFailure
from protocol.errors import ErrorCode, wait_minutes
from tests.conftest import STRONG_PASSWORD, ServerProcess, new_player
from tests.test_terminal_client import play

ROOT = Path(__file__).resolve().parent.parent


def test_every_error_code_has_sentences() -> None:
    assert sorted(wording.table()) == sorted(ErrorCode)


def test_every_code_ends_with_a_sentence_that_needs_no_figures() -> None:
    for code, entries in wording.table().items():
        last = entries[-1]
        assert isinstance(last, str), code
        assert wording.PLACEHOLDER.search(last) is None, code
        assert wording.sentence(code) == last


def test_every_placeholder_has_a_known_format() -> None:
    for code, entries in wording.table().items():
        for entry in entries:
            text = entry if isinstance(entry, str) else entry["text"]
            for match in wording.PLACEHOLDER.finditer(text):
                assert match.group(2) in (None, *wording.FORMATS), (code, text)


def test_sentences_are_plain_sentences() -> None:
    for code, entries in wording.table().items():
        for entry in entries:
            text = entry if isinstance(entry, str) else entry["text"]
            assert text[0].isupper() and text.endswith("."), (code, text)
            assert "_" not in wording.PLACEHOLDER.sub("", text), (code, text)


def test_a_deposit_above_the_maximum_reads_in_major_units() -> None:
    params = {"variant": "deposit_max", "maximum": 100_000_000, "currency": "EUR"}
    assert wording.sentence("INVALID_AMOUNT", params) == "Deposits are at most 1,000,000.00 EUR."


def test_an_amount_in_a_currency_without_decimals() -> None:
    params = {"variant": "deposit_max", "maximum": 5_000_000, "currency": "JPY"}
    assert wording.sentence("INVALID_AMOUNT", params) == "Deposits are at most 5,000,000 JPY."


def test_the_minimum_age() -> None:
    assert wording.sentence("UNDERAGE", {"age": 18}) == "You must be 18 or older to play."


def test_a_login_lock_in_minutes() -> None:
    assert (
        wording.sentence("LOGIN_LOCKED", {"minutes": 15})
        == "Too many failed logins: try again in 15 minutes."
    )
    assert (
        wording.sentence("LOGIN_LOCKED", {"minutes": 1})
        == "Too many failed logins: try again in 1 minute."
    )


def test_a_missing_figure_gives_the_plain_sentence() -> None:
    assert wording.sentence("LOGIN_LOCKED", {}) == "Too many failed logins: try again later."
    assert wording.sentence("STAKE_ABOVE_MAX", {"maximum": 100}) == (
        "That stake is above this game's maximum."
    )


def test_a_variant_picks_its_own_sentence() -> None:
    params = {"variant": "7d", "limit": 50_000, "remaining": 1_250, "currency": "GBP"}
    assert wording.sentence("DEPOSIT_LIMIT_REACHED", params) == (
        "Your deposit limit is 500.00 GBP a week: you can still deposit 12.50 GBP."
    )


def test_a_refusal_naming_a_field_names_it_in_words() -> None:
    error = {"code": "VALIDATION_FAILED", "message": "date_of_birth must be YYYY-MM-DD"}
    assert wording.of_reply({**error, "field": "date_of_birth"}) == (
        "Please check the date of birth you entered: it is missing or not in the right form."
    )
    assert wording.of_reply(error) == (
        "Please check what you entered: something is missing or not in the right form."
    )


def test_an_unknown_code_falls_back_to_the_servers_message() -> None:
    assert wording.sentence("NEWER_CODE", {}, "what the server said") == "what the server said"


def test_the_terminal_prints_the_sentence_then_the_code() -> None:
    assert wording.told("UNDERAGE", {"age": 21}, "players must be 21 or older") == (
        "You must be 21 or older to play. (UNDERAGE)"
    )


@pytest.mark.parametrize(("seconds", "minutes"), [(1, 1), (60, 1), (61, 2), (899, 15), (900, 15)])
def test_a_wait_rounds_up_to_whole_minutes(seconds: int, minutes: int) -> None:
    assert wait_minutes(seconds) == minutes


def test_the_browser_reads_the_same_table() -> None:
    source = (ROOT / "clients" / "web" / "js" / "messages.js").read_text("utf-8")
    assert 'new URL("../messages.json", import.meta.url)' in source
    assert wording.TABLE_PATH == ROOT / "clients" / "web" / "messages.json"


def test_the_terminal_passes_over_the_sentences_of_the_browsers_form() -> None:
    details = {"what": "withdrawal", "needed": "a verified identity", "level": 0}
    assert wording.sentence("KYC_REQUIRED", details) == (
        "This needs a higher verification level: upload your documents on the Verification page."
    )


def _refusals_js() -> str:
    return (ROOT / "clients" / "web" / "js" / "refusals.js").read_text("utf-8")


def test_the_codes_with_form_sentences_are_the_ones_shown_under_the_form() -> None:
    """The browser's refusal notice (clients/web/js/refusals.js) reads its sentences from the
    table: a `form` sentence for a code it does not show under the form, or a place the table
    does not know, is a sentence no one reads."""
    under_form = set(re.findall(r"^  ([A-Z_]+): (?:true|false),$", _refusals_js(), re.M))
    places = {
        (code, entry["place"])
        for code, entries in wording.table().items()
        for entry in entries
        if isinstance(entry, dict) and "place" in entry
    }
    assert {place for _, place in places} == {"form"}
    assert {code for code, _ in places} <= under_form
    assert under_form <= set(wording.table())


def test_no_browser_module_restates_a_sentence_of_the_table() -> None:
    """One home for the words: a sentence typed again in a script would drift from the table."""
    scripts = {
        path: path.read_text("utf-8") for path in (ROOT / "clients" / "web" / "js").rglob("*.js")
    }
    for code, entries in wording.table().items():
        for entry in entries:
            text = entry if isinstance(entry, str) else entry["text"]
            for piece in wording.PLACEHOLDER.split(text)[::3]:  # the words between placeholders
                if len(piece) < 40:
                    continue
                restated = [path.name for path, source in scripts.items() if piece in source]
                assert restated == [], (code, piece)


async def test_http_refusals_carry_their_figures(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        with pytest.raises(ApiFailure) as refused:
            await client.deposit(100_000_001, idempotency_key="too-much")
    assert (refused.value.code, refused.value.params) == (
        "INVALID_AMOUNT",
        {"variant": "deposit_max", "maximum": 100_000_000, "currency": "EUR"},
    )


async def test_a_refusal_without_figures_has_no_params(casino: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        reply = await http.post(
            "/api/sessions", json={"login": "nobody_at_all", "password": "Wrong-Password-1"}
        )
    assert reply.json() == {
        "error": {"code": "INVALID_CREDENTIALS", "message": "wrong login or password"}
    }


async def test_registration_under_age_names_the_age(casino: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        reply = await http.post(
            "/api/players",
            json={
                "email": "young_one@example.com",
                "username": "young_one",
                "password": STRONG_PASSWORD,
                "date_of_birth": "2020-01-01",
                "country": "DE",
                "currency": "EUR",
            },
        )
    error = reply.json()["error"]
    assert (error["code"], error["params"]) == ("UNDERAGE", {"age": 18})


async def test_a_locked_login_says_the_minutes(casino: ServerProcess) -> None:
    client, player = await new_player(casino.base_url)
    await client.http.aclose()
    name = str(player["username"])
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        for _ in range(6):
            reply = await http.post("/api/sessions", json={"login": name, "password": "Wrong-1x"})
    error = reply.json()["error"]
    assert (error["code"], error["params"]) == ("LOGIN_LOCKED", {"minutes": 15})


async def test_websocket_refusals_carry_their_figures(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url, deposit=1_000)
    async with client, client.socket() as sock:
        assert client.token is not None
        await sock.hello(client.token)
        above = await sock.spin("classic-sevens", 100_005)
        off_step = await sock.spin("classic-sevens", 7)
        short = await sock.spin("classic-sevens", 2_000)
    assert (above["code"], above["params"]) == (
        "STAKE_ABOVE_MAX",
        {"maximum": 100_000, "currency": "EUR"},
    )
    assert (off_step["code"], off_step["params"]) == (
        "INVALID_STAKE",
        {"variant": "step", "step": 5, "currency": "EUR"},
    )
    assert (short["code"], short["balance"], short["params"]) == (
        "INSUFFICIENT_FUNDS",
        1_000,
        {"balance": 1_000, "currency": "EUR"},
    )
    assert wording.of_reply(above) == "The largest stake in this game is 1,000.00 EUR."
    assert wording.of_reply(short) == (
        "Your balance of 10.00 EUR does not cover this stake; nothing was taken."
    )


async def test_the_terminal_words_a_refused_deposit_and_stake(casino: ServerProcess) -> None:
    code, output = await play(
        "--url", casino.base_url, "--register", "--auto", "1", "--game", "classic-sevens",
        "--deposit", "2000000.00",
    )  # fmt: skip
    text = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", output).split())
    assert code == 1, output
    assert "deposit refused: Deposits are at most 1,000,000.00 EUR. (INVALID_AMOUNT)" in text
    assert (
        "refused: Your balance of 0.00 EUR does not cover this stake; nothing was taken."
        " (INSUFFICIENT_FUNDS)"
    ) in text


async def test_the_terminal_words_a_locked_login(casino: ServerProcess) -> None:
    client, player = await new_player(casino.base_url)
    await client.http.aclose()
    name = str(player["username"])
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        for _ in range(5):
            await http.post("/api/sessions", json={"login": name, "password": "Wrong-1x"})
    code, output = await play(
        "--url", casino.base_url, "--user", name, "--auto", "1", password=STRONG_PASSWORD
    )
    assert code == 1
    assert "Too many failed logins: try again in 15 minutes. (LOGIN_LOCKED)" in " ".join(
        output.split()
    )


def test_the_module_runs_without_the_server_package() -> None:
    # clients/wording.py is the terminal's: it reads the table, never the server's code.
    source = (ROOT / "clients" / "wording.py").read_text("utf-8")
    assert "from server" not in source and "import server" not in source
    assert sys.modules["clients.wording"].table() is wording.table()
