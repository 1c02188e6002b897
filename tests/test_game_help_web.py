"""The browser's game help and slot lines: every game screen has a help panel with the rules
and paytable the server builds from the game's definition, and a slot draws each winning
payline over its reels. Real Chromium through Playwright against a real server."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from games import catalogue, rules
from tests.conftest import ServerProcess
from tests.test_stale_notices_web import player_page
from tests.test_web_client import browser, open_game

__all__ = ["browser"]  # the fixture, imported to be used here

GAMES = [info.id for info in catalogue.infos()]


async def test_every_game_has_a_help_panel_with_its_paytable(
    casino: ServerProcess, browser: Browser
) -> None:
    watched = await player_page(browser, casino.base_url, "game-help", 0)
    page = watched.page
    for game_id in GAMES:
        built = rules.rules(game_id)
        assert built is not None
        await open_game(page, game_id)
        panel = page.locator(f".help-panel[data-game='{game_id}']")
        await expect(panel).to_have_count(1)
        await panel.locator("summary").click()
        await expect(panel).to_have_attribute("data-loaded", "true")
        await expect(panel.locator(".rules li")).to_have_text(built["rules"])
        first = built["tables"][0]
        table = panel.locator("table.paytable").first
        await expect(table.locator("caption")).to_have_text(first["title"])
        await expect(table.locator("tbody tr")).to_have_count(len(first["rows"]))
        await expect(table.locator("tbody tr").first).to_have_text("".join(first["rows"][0]))
    watched.assert_clean()


@pytest.mark.parametrize("game_id", ["classic-sevens", "crown-jewels"])
async def test_winning_paylines_are_drawn_over_the_reels(
    casino: ServerProcess, browser: Browser, game_id: str
) -> None:
    watched = await player_page(browser, casino.base_url, f"paylines-{game_id}", 100_000)
    page = watched.page
    await open_game(page, game_id)
    section = page.locator(f"section.slot[data-game='{game_id}']")
    lines: list[int] = []
    for _ in range(60):  # bounded: a line win comes in a few spins (hit rate above 1 in 5)
        before = await section.get_attribute("data-round-id") or ""
        await page.click("#spin")
        await expect(section).to_have_attribute("data-state", "idle")
        await expect(section).not_to_have_attribute("data-round-id", before)
        drawn = page.locator(".reels svg.paylines polyline")
        if await drawn.count():
            lines = [int(str(await line.get_attribute("data-line"))) for line in await drawn.all()]
            break
    assert lines, "sixty spins without a line win"
    # The lines drawn are the last spin's; the list names every spin's (free spins too).
    named = {
        int(text.split("Line ")[1].split(":")[0]) - 1
        for text in await page.locator(".wins li", has_text="Line ").all_inner_texts()
    }
    assert set(lines) <= named
    if game_id == "classic-sevens":  # no free spins: one spin, every winning line drawn
        assert set(lines) == named
    await watched.shot("paylines")
