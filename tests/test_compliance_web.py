"""Identity and AML checks as the player meets them in the browser client, in Debian's
Chromium driven by Playwright, against the real server and the real sandbox gateway: the
registration form takes the optional full name the sanctions screening uses, and a
withdrawal refused by KYC is explained in a plain sentence under the form, with a link to
the Verification screen; the ledger reconciles after each test (the world fixture)."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from tests.conftest import STRONG_PASSWORD, new_player, unique
from tests.support import db as test_db
from tests.support.payment_webhooks import CARD_OK, Processing, processing, world
from tests.test_web_client import DESKTOP, PHONE, browser, no_sideways_scroll, open_page, screen

__all__ = ["browser", "processing", "world"]


def full_name_of(world: Processing, username: str) -> str | None:
    [(name,)] = test_db.query(
        world.server.database_path, "SELECT full_name FROM players WHERE username = ?", (username,)
    )
    return None if name is None else str(name)


async def register(page: Page, username: str, full_name: str) -> None:
    await page.click("[data-tab='register']")
    await page.fill("[name=username]", username)
    await page.fill("[name=email]", f"{username}@example.com")
    await page.fill("[name=full_name]", full_name)
    await page.fill("[name=password]", STRONG_PASSWORD)
    await page.fill("[name=date_of_birth]", "1988-02-29")
    await page.select_option("[name=country]", "MT")
    await page.click("#register-form button[type=submit]")
    await screen(page, "lobby")


async def test_registration_keeps_the_full_name_given(world: Processing, browser: Browser) -> None:
    watched = await open_page(browser, world.server.base_url, "register-name", DESKTOP)
    username = unique("named_")
    await register(watched.page, username, "  Ada   Lovelace ")
    assert full_name_of(world, username) == "Ada   Lovelace"
    watched.assert_clean()


async def test_registration_without_a_full_name_stores_none(
    world: Processing, browser: Browser
) -> None:
    watched = await open_page(browser, world.server.base_url, "register-no-name", DESKTOP)
    username = unique("nameless_")
    await register(watched.page, username, "")
    assert full_name_of(world, username) is None
    watched.assert_clean()


async def login_at_the_cashier(page: Page, base_url: str, username: str) -> None:
    await page.fill("[name=login]", username)
    await page.fill("[name=password]", STRONG_PASSWORD)
    await page.click("#login-form button[type=submit]")
    await screen(page, "lobby")
    await page.goto(f"{base_url}/#/cashier")
    await screen(page, "cashier")


async def test_an_unverified_players_withdrawal_shows_the_kyc_sentence_and_a_verification_link(
    world: Processing, browser: Browser
) -> None:
    client, player = await new_player(world.server.base_url)
    await client.http.aclose()
    watched = await open_page(browser, world.server.base_url, "kyc-refusal", PHONE)
    page = watched.page
    await login_at_the_cashier(page, world.server.base_url, str(player["username"]))
    await page.fill("#pay-deposit [name='deposit amount']", "40.00")
    await page.select_option("#pay-method", "card")
    await page.fill("#card-number", CARD_OK)
    await page.click("#pay-deposit button[type=submit]")
    await expect(page.locator("#balance")).to_have_attribute("data-minor", "4000")

    await page.fill("#pay-withdraw [name='withdrawal amount']", "15.00")
    await page.click("#pay-withdraw button[type=submit]")
    refusal = page.locator(".refusal[data-code='KYC_REQUIRED']")
    await expect(refusal).to_have_text(
        "This withdrawal needs a verified identity, and your account is at verification level 0."
        " Upload your documents on the Verification page; once they are approved, try again."
        "Go to Verification"
    )
    await expect(page.locator("#balance")).to_have_attribute("data-minor", "4000")
    await no_sideways_scroll(page)
    await watched.shot("kyc-refusal")
    await refusal.locator("a.verify-link").click()
    await screen(page, "kyc")
    await expect(page.locator("#kyc-level")).to_contain_text("0")
    # The refused request itself is the one error the browser logs.
    assert [e for e in watched.errors if "status of 403" not in e] == []
