"""The browser words refusals from the shared table (clients/web/messages.json): a player
under age, a deposit above the maximum and a locked login read as plain sentences with
amounts in major units, and a WebSocket refusal is worded by the same code. Real Chromium
through Playwright against a real server."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, Page, expect

from tests.conftest import STRONG_PASSWORD, ServerProcess, new_player, unique
from tests.test_modes_web import logged_in
from tests.test_web_client import DESKTOP, browser, open_page, screen

__all__ = ["browser"]  # the fixture, imported to be used here


async def error_notice(page: Page, text: str) -> None:
    await expect(page.locator("#notices .notice.error", has_text=text)).to_be_visible()


async def test_registration_under_age_reads_as_a_sentence(
    casino: ServerProcess, browser: Browser
) -> None:
    watched = await open_page(browser, casino.base_url, "wording-underage", DESKTOP)
    page = watched.page
    await screen(page, "login")
    await page.click("[data-tab='register']")
    name = unique("young_")
    await page.fill("[name=username]", name)
    await page.fill("[name=email]", f"{name}@example.com")
    await page.fill("[name=password]", STRONG_PASSWORD)
    await page.fill("[name=date_of_birth]", "2015-03-01")
    await page.select_option("[name=country]", "MT")
    await page.click("#register-form button[type=submit]")
    await error_notice(page, "You must be 18 or older to play.")
    await screen(page, "login")


async def test_a_deposit_above_the_maximum_names_it_in_euros(
    casino: ServerProcess, browser: Browser
) -> None:
    watched = await logged_in(browser, casino.base_url, "wording-deposit", DESKTOP)
    page = watched.page
    await page.fill("#deposit-form [name=amount]", "2000000.00")
    await page.click("#deposit-form button[type=submit]")
    await error_notice(page, "Deposits are at most 1,000,000.00 EUR.")
    await expect(page.locator("#balance")).to_have_attribute("data-minor", "0")


async def test_a_locked_login_says_when_to_try_again(
    casino: ServerProcess, browser: Browser
) -> None:
    client, player = await new_player(casino.base_url)
    await client.http.aclose()
    name = str(player["username"])
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        for _ in range(5):
            await http.post("/api/sessions", json={"login": name, "password": "Wrong-1x"})
    watched = await open_page(browser, casino.base_url, "wording-locked", DESKTOP)
    page = watched.page
    await screen(page, "login")
    await page.fill("#login-form [name=login]", name)
    await page.fill("#login-form [name=password]", STRONG_PASSWORD)
    await page.click("#login-form button[type=submit]")
    await error_notice(page, "Too many failed logins: try again in 15 minutes.")


async def test_socket_and_http_refusals_are_worded_from_their_params(
    casino: ServerProcess, browser: Browser
) -> None:
    watched = await open_page(browser, casino.base_url, "wording-socket", DESKTOP)
    worded = await watched.page.evaluate(
        """async () => {
          const { ProtocolError } = await import("/js/socket.js");
          const { ApiError } = await import("/js/http.js");
          const refused = (reply) => new ProtocolError({ type: "error", id: 1, ...reply }).message;
          const field = { code: "VALIDATION_FAILED", message: "x", field: "date_of_birth" };
          return [
            new ApiError(422, field.code, field.message, field).message,
            refused({ code: "STAKE_ABOVE_MAX", message: "maximum stake for x is 100000",
                      params: { maximum: 100000, currency: "EUR" } }),
            refused({ code: "INSUFFICIENT_FUNDS", message: "balance does not cover the stake",
                      balance: 1250, params: { balance: 1250, currency: "GBP" } }),
            refused({ code: "STAKE_ABOVE_MAX", message: "no figures", params: null }),
            refused({ code: "SOMETHING_NEWER", message: "what the server said" }),
          ];
        }"""
    )
    assert worded == [
        "Please check the date of birth you entered: it is missing or not in the right form.",
        "The largest stake in this game is 1,000.00 EUR.",
        "Your balance of 12.50 GBP does not cover this stake; nothing was taken.",
        "That stake is above this game's maximum.",
        "what the server said",
    ]
    watched.assert_clean()
