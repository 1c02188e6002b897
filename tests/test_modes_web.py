"""The browser client marks play money: against a sandbox server the "sandbox: play money"
marker is on every screen (login, lobby, a game, history, scrolled to the bottom) and never
takes a click; against a live server there is no marker and no play-money deposit. Real
Chromium through Playwright, against real servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.async_api import Browser, Page, expect

from tests.conftest import ServerProcess, new_player
from tests.support.modes import live_server
from tests.test_web_client import DESKTOP, PHONE, Watched, browser, open_page, screen

MARKER = "#mode-marker"


@pytest.fixture(scope="module")
def live_casino(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with live_server(tmp_path_factory.mktemp("live-web")) as server:
        yield server


async def logged_in(browser: Browser, base_url: str, name: str, viewport: object) -> Watched:
    """A page whose session belongs to a new player (registered through the API)."""
    client, _ = await new_player(base_url)
    async with client:
        token = client.token
    watched = await open_page(browser, base_url, name, viewport)
    await watched.page.evaluate("(token) => sessionStorage.setItem('casino.token', token)", token)
    await watched.page.reload()
    await expect(watched.page.locator("body[data-ready]")).to_be_attached()
    await screen(watched.page, "lobby")
    return watched


async def assert_marked(page: Page) -> None:
    marker = page.locator(MARKER)
    await expect(marker).to_be_visible()
    await expect(marker).to_have_text("sandbox: play money")
    await expect(marker).to_be_in_viewport()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_the_sandbox_marker_is_on_every_screen(
    casino: ServerProcess, browser: Browser, viewport: object
) -> None:
    watched = await open_page(browser, casino.base_url, "sandbox-marker", viewport)
    await screen(watched.page, "login")
    await assert_marked(watched.page)
    watched = await logged_in(browser, casino.base_url, "sandbox-marker", viewport)
    page = watched.page
    await assert_marked(page)
    for path, name in [
        ("#/game/classic-sevens", "game-classic-sevens"),
        ("#/history", "history"),
        ("#/cashier", "cashier"),
    ]:
        await page.goto(page.url.split("#")[0] + path)
        await screen(page, name)
        await assert_marked(page)
    await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    await assert_marked(page)
    watched.assert_clean()


async def test_the_sandbox_marker_takes_no_click(casino: ServerProcess, browser: Browser) -> None:
    watched = await open_page(browser, casino.base_url, "sandbox-marker-click", DESKTOP)
    marker = watched.page.locator(MARKER)
    await expect(marker).to_be_visible()
    assert await marker.evaluate("(node) => getComputedStyle(node).pointerEvents") == "none"


async def test_a_live_page_has_no_marker_and_a_cashier_without_the_sandbox_deposit(
    live_casino: ServerProcess, browser: Browser
) -> None:
    watched = await logged_in(browser, live_casino.base_url, "live", DESKTOP)
    page = watched.page
    await expect(page.locator("body[data-mode='live']")).to_be_attached()
    await expect(page.locator(MARKER)).to_be_hidden()
    await expect(page.locator("#deposit-form")).to_be_hidden()
    # The cashier takes real payments through the gateway: only its play-money form goes.
    await expect(page.locator("#topbar a[data-nav='cashier']")).to_be_visible()
    watched.assert_clean()


__all__ = ["browser"]
