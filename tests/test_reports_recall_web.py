"""Game recall in Debian's chromium (Playwright) against a real server: the player filters
the history by game, opens a round's recall view from it (inputs, outcome, balances before
and after, proof), and after rotating the seed sees the server's MATCH and verifies the
round again in the page. Screens are kept in test-artifacts/."""

from __future__ import annotations

import re

from playwright.async_api import Browser, expect

from tests.conftest import ServerProcess, new_player
from tests.test_accounts_web import log_in
from tests.test_reports_recall import OTHER, SLOT, recall, spin
from tests.test_web_client import DESKTOP, browser, open_page, screen

__all__ = ["browser"]
SEED = re.compile("^[0-9a-f]{64}$")


async def test_a_player_recalls_a_round_from_the_history_in_the_page(
    casino: ServerProcess, browser: Browser
) -> None:
    client, me = await new_player(casino.base_url, deposit=5_000)
    (slot_round,) = await spin(client, 1)
    others = await spin(client, 2, OTHER)
    recalled = await recall(client, others[-1]["round_id"])
    round_id = slot_round["round_id"]
    watched = await open_page(browser, casino.base_url, "recall", DESKTOP)
    page = watched.page
    await log_in(page, str(me["username"]))
    await screen(page, "lobby")
    await page.click("a[data-nav='history']")
    await screen(page, "history")
    await expect(page.locator("li.round")).to_have_count(3)
    await page.select_option("#history-game", SLOT)
    await expect(page.locator("li.round")).to_have_count(1)
    await expect(page.locator("li.round")).to_have_attribute("data-round-id", round_id)
    await page.locator("li.round .round-row").click()
    await page.click(".recall-link")
    await screen(page, "recall")
    title = page.locator("#recall-title")
    await expect(title).to_have_attribute("data-round-id", round_id)
    await expect(title).to_contain_text("Classic Sevens")
    figures = page.locator(".recall-figures")
    await expect(figures.locator("[data-field='stake']")).to_have_attribute("data-minor", "100")
    await expect(figures.locator("[data-field='balance_before']")).to_have_attribute(
        "data-minor", "5000"
    )
    await expect(figures.locator("[data-field='balance_after']")).to_have_attribute(
        "data-minor", str(slot_round["balance"])
    )
    await expect(figures.locator("[data-field='payout']")).to_have_attribute(
        "data-minor", str(slot_round["payout"])
    )
    await expect(page.locator(".recall-inputs")).to_contain_text('"stake": 100')
    await expect(page.locator(".round-outcome > *")).to_have_count(1)  # the grid drawn
    await expect(page.locator("#server-verdict")).to_have_attribute("data-verdict", "not-revealed")
    await watched.shot("secret")
    await page.click("a[data-nav='fair']")
    await screen(page, "fair")
    await page.click("#rotate")
    await expect(page.locator("#revealed-seed")).to_have_text(SEED)
    await page.goto(f"{casino.base_url}/#/recall/{round_id}")
    await screen(page, "recall")
    await expect(page.locator("#server-verdict")).to_have_attribute("data-verdict", "match")
    await expect(page.locator("#recall-seed")).to_have_text(SEED)
    await page.click("#recall-verify")
    await expect(page.locator(".verify .verdict")).to_have_attribute("data-verdict", "match")
    await watched.shot("verified")
    assert recalled["game"] == OTHER
    watched.assert_clean()
    await client.http.aclose()
