"""Nothing stale on the table: a refused deal clears the previous hand (blackjack and
baccarat), the error notice of a refusal goes as soon as the next deal is accepted, and a
split round states each hand's own result. Real Chromium through Playwright against a real
server; the split wording is the page's own module, given a settled split reply."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from tests.conftest import ServerProcess, new_player
from tests.test_web_client import (
    DEALT,
    DESKTOP,
    Watched,
    browser,
    open_game,
    open_page,
    play_baccarat,
    play_blackjack,
    screen,
)

__all__ = ["browser"]  # the fixture, imported to be used here

ERRORS = "#notices .notice.error"


async def player_page(browser: Browser, base_url: str, name: str, deposit: int) -> Watched:
    client, _ = await new_player(base_url, deposit=deposit)
    async with client:
        token = client.token
    watched = await open_page(browser, base_url, name, DESKTOP)
    await watched.page.evaluate("(token) => sessionStorage.setItem('casino.token', token)", token)
    await watched.page.reload()
    await expect(watched.page.locator("body[data-ready]")).to_be_attached()
    await screen(watched.page, "lobby")
    return watched


async def stake_to(page: Page, direction: str) -> None:
    """Step the stake to its highest (`raise`) or lowest (`lower`) level."""
    button = page.locator(f"[aria-label='{direction} stake']")
    while await button.is_enabled():
        await button.click()


async def test_a_refused_deal_clears_the_previous_hand(
    casino: ServerProcess, browser: Browser
) -> None:
    watched = await player_page(browser, casino.base_url, "stale-blackjack", 1_000)
    page = watched.page
    await open_game(page, "blackjack")
    await play_blackjack(page)
    await expect(page.locator(".hands .hand")).not_to_have_count(0)
    await stake_to(page, "raise")  # 500.00 EUR: more than the balance
    await page.click("#deal")
    await expect(page.locator(ERRORS, has_text="Not enough funds")).to_be_visible()
    section = page.locator("section.blackjack")
    await expect(section).to_have_attribute("data-state", "idle")
    await expect(page.locator(".hands .hand")).to_have_count(0)
    await expect(page.locator(".dealer .card")).to_have_count(0)
    await expect(page.locator(".table-message")).to_have_text(
        "No hand dealt. Choose a stake and deal again."
    )
    assert await section.get_attribute("data-round-id") is None


async def test_the_next_accepted_deal_clears_the_refusals_notice(
    casino: ServerProcess, browser: Browser
) -> None:
    watched = await player_page(browser, casino.base_url, "stale-notice", 1_000)
    page = watched.page
    await open_game(page, "blackjack")
    await stake_to(page, "raise")
    await page.click("#deal")
    await expect(page.locator(ERRORS, has_text="Not enough funds")).to_be_visible()
    await stake_to(page, "lower")  # 1.00 EUR
    await page.click("#deal")
    await expect(page.locator("section.blackjack")).to_have_attribute("data-state", DEALT)
    # Counted once the deal is drawn, not waited for: the notice went with the success.
    assert await page.locator(ERRORS).count() == 0


async def test_a_refused_baccarat_deal_clears_the_previous_coup(
    casino: ServerProcess, browser: Browser
) -> None:
    watched = await player_page(browser, casino.base_url, "stale-baccarat", 1_000)
    page = watched.page
    await open_game(page, "punto-banco")
    await play_baccarat(page)
    await expect(page.locator("section.baccarat .card")).not_to_have_count(0)
    await stake_to(page, "raise")
    await page.click("#deal")
    await expect(page.locator(ERRORS, has_text="Not enough funds")).to_be_visible()
    await expect(page.locator("section.baccarat .card")).to_have_count(0)
    await expect(page.locator("section.baccarat .table-message")).to_have_text(
        "No cards dealt. Choose a stake and deal again."
    )
    assert await page.locator("section.baccarat").get_attribute("data-round-id") is None


async def test_a_split_with_a_win_and_a_loss_states_each_hands_result(
    casino: ServerProcess, browser: Browser
) -> None:
    watched = await open_page(browser, casino.base_url, "split-result", DESKTOP)
    texts = await watched.page.evaluate(
        """async () => {
          const { roundResultText } = await import("/js/hands.js");
          const split = {
            stake: 400, payout: 400,
            outcome: { hands: [{ stake: 200, returns: 400 }, { stake: 200, returns: 0 }] },
          };
          const pushAndWin = {
            stake: 400, payout: 700,
            outcome: { hands: [{ stake: 200, returns: 200 }, { stake: 200, returns: 500 }] },
          };
          const single = {
            stake: 200, payout: 0, outcome: { hands: [{ stake: 200, returns: 0 }] },
          };
          return [split, pushAndWin, single].map((reply) => roundResultText(reply, "EUR"));
        }"""
    )
    assert texts == [
        "Hand 1: won 4.00 EUR · Hand 2: lost · 4.00 EUR back in all",
        "Hand 1: push · Hand 2: won 5.00 EUR · 7.00 EUR back in all",
        "Dealer wins",
    ]
    watched.assert_clean()
