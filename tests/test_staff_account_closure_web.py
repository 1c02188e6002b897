"""A closed account's player in the browser client (Chromium, through Playwright, against
the real server): the login is refused with ACCOUNT_CLOSED and the page shows its sentence
from clients/web/messages.json."""

from __future__ import annotations

import json

import httpx
from playwright.async_api import Browser, expect

from tests.conftest import ROOT, ServerProcess, new_player
from tests.support.kyc import STAFF_TOKEN
from tests.support.staff import bearer
from tests.test_accounts_web import log_in
from tests.test_web_client import DESKTOP, browser, open_page, screen

__all__ = ["browser"]  # the fixture, imported to be used here

SENTENCE = json.loads((ROOT / "clients/web/messages.json").read_text())["codes"]["ACCOUNT_CLOSED"][
    0
]


async def test_a_closed_player_logging_in_is_shown_that_the_account_is_closed(
    browser: Browser, casino: ServerProcess
) -> None:
    client, player = await new_player(casino.base_url, deposit=1_500)
    await client.http.aclose()
    async with httpx.AsyncClient(base_url=casino.base_url, headers=bearer(STAFF_TOKEN)) as staff:
        closed = await staff.post(
            f"/api/staff/players/{player['player_id']}/close",
            json={"reason": "asked to close", "idempotency_key": f"web-{player['player_id']}"},
        )
    assert closed.json()["status"] == "closed"
    watched = await open_page(browser, casino.base_url, "account-closed", DESKTOP)
    page = watched.page
    await log_in(page, str(player["username"]))
    await expect(page.locator("#notices .notice.error")).to_have_text(SENTENCE)
    await screen(page, "login")
    await watched.shot("refused")
