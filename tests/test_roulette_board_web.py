"""The roulette board in the browser: it offers exactly the bets the server accepts (every
split, street, corner, six line, trio and first four besides numbers and outside bets),
those bets play, no chip covers a label on a wide screen or a phone, and bets above what
the player has are refused before anything is sent. Real Chromium through Playwright
against a real server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from games import roulette
from tests.conftest import ServerProcess
from tests.test_stale_notices_web import player_page
from tests.test_web_client import DESKTOP, PHONE, browser, open_game, settle

__all__ = ["browser"]  # the fixture, imported to be used here


def server_bet_keys() -> set[str]:
    """The board key of every bet games/roulette.py accepts."""
    keys = {
        f"{kind}:{'-'.join(map(str, sorted(numbers)))}"
        for kind, sets in roulette.INSIDE.items()
        for numbers in sets
    }
    keys |= {f"{kind}:{i}" for kind in roulette.OUTSIDE_INDEXED for i in (1, 2, 3)}
    return keys | set(roulette.EVEN_MONEY)


async def board_keys(page: Page) -> list[str]:
    keys: list[str] = await page.eval_on_selector_all(
        ".board [data-bet]", "(nodes) => nodes.map((n) => n.dataset.bet)"
    )
    return keys


def test_the_server_accepts_157_bets() -> None:
    assert len(server_bet_keys()) == 37 + 60 + 12 + 2 + 22 + 1 + 11 + 6 + 6


async def test_the_board_offers_every_bet_the_server_accepts(
    casino: ServerProcess, browser: Browser
) -> None:
    watched = await player_page(browser, casino.base_url, "roulette-bets", 0)
    await open_game(watched.page, "european-roulette")
    keys = await board_keys(watched.page)
    assert len(keys) == len(set(keys))
    assert set(keys) == server_bet_keys()


async def test_bets_between_numbers_are_played_as_placed(
    casino: ServerProcess, browser: Browser
) -> None:
    watched = await player_page(browser, casino.base_url, "roulette-inside", 10_000)
    page = watched.page
    await open_game(page, "european-roulette")
    await page.click("[data-chip='100']")
    placed = [
        "split:17-20", "split:0-2", "street:16-17-18", "corner:17-18-20-21",
        "six_line:31-32-33-34-35-36", "trio:0-1-2", "first_four:0-1-2-3",
    ]  # fmt: skip
    for key in placed:
        await page.click(f".board [data-bet='{key}']")
    await expect(page.locator(".bet-slip li")).to_have_count(len(placed))
    await expect(page.locator(".bet-slip li[data-bet='street:16-17-18']")).to_have_text(
        "Street 16-17-18: 1.00 EUR"
    )
    await page.click("#spin")
    await settle(page, "section.roulette", "")
    token = await page.evaluate("sessionStorage.getItem('casino.token')")
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        rounds = (
            await http.get("/api/rounds", headers={"Authorization": f"Bearer {token}"})
        ).json()["rounds"]
    assert len(rounds) == 1 and rounds[0]["stake"] == 700
    watched.assert_clean()


def overlaps(chips: list[dict[str, Any]], labels: list[dict[str, Any]]) -> list[str]:
    """Each chip whose box intersects a label's box (beyond half a pixel)."""
    found = []
    for chip in chips:
        for label in labels:
            across = min(chip["right"], label["right"]) - max(chip["left"], label["left"])
            down = min(chip["bottom"], label["bottom"]) - max(chip["top"], label["top"])
            if across > 0.5 and down > 0.5:
                found.append(f"{chip['bet']} over {label['text']}")
    return found


BOXES = """(selector) => [...document.querySelectorAll(selector)].map((node) => {
  const box = node.getBoundingClientRect();
  const bet = node.closest('[data-bet]').dataset.bet;
  return { bet, text: node.textContent, left: box.left, right: box.right,
           top: box.top, bottom: box.bottom };
})"""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_no_chip_hides_a_label(
    casino: ServerProcess, browser: Browser, viewport: object
) -> None:
    name = "roulette-chips-phone" if viewport is PHONE else "roulette-chips-desktop"
    watched = await player_page(browser, casino.base_url, name, 0)
    page = watched.page
    await page.set_viewport_size(viewport)  # type: ignore[arg-type]
    await open_game(page, "european-roulette")
    await page.click("[data-chip='2500']")
    # A bet on every place at once: the widest chips, next to every label and line.
    await page.eval_on_selector_all(
        ".board [data-bet]", "(nodes) => nodes.forEach((n) => n.click())"
    )
    await page.eval_on_selector_all(
        ".board [data-bet]", "(nodes) => nodes.forEach((n) => n.click())"
    )
    chips = await page.evaluate(BOXES, ".board .chip")
    labels = await page.evaluate(BOXES, ".board .cell-label")
    assert (len(chips), len(labels)) == (157, 49)
    assert overlaps(chips, labels) == []
    await watched.shot("all-bets")


async def test_bets_above_the_balance_are_refused_before_the_spin(
    casino: ServerProcess, browser: Browser
) -> None:
    watched = await player_page(browser, casino.base_url, "roulette-funds", 500)
    page = watched.page
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: frames.append(str(frame))))
    await open_game(page, "european-roulette")
    await page.click("[data-chip='2500']")
    await page.click(".board [data-bet='red']")
    sent_before = len(frames)
    await page.click("#spin")
    await expect(page.locator("#notices .notice.error")).to_have_text(
        "Your bets total 25.00 EUR but you have 5.00 EUR to play with:"
        " remove some chips or make a deposit."
    )
    await expect(page.locator(".roulette-result")).to_have_text("Bets not placed")
    assert len(frames) == sent_before
    assert await page.locator("section.roulette").get_attribute("data-round-id") is None
    await expect(page.locator("#balance")).to_have_attribute("data-minor", "500")
