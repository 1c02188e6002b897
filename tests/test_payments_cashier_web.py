"""The cashier in the browser client, in Debian's chromium driven by Playwright, against the
real server and the real sandbox gateway: a 3-D Secure deposit completed on the gateway's
page, a declined card, a withdrawal to the saved card, an e-wallet deposit, a bank transfer
both ways and a withdrawal cancelled, the payments list, and the two-factor code a first
withdrawal to a method asks for."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.conftest import new_player
from tests.support.accounts import code_now, secret_of
from tests.support.kyc import verify_identity
from tests.support.payment_webhooks import (
    CARD_3DS,
    CARD_OK,
    Processing,
    deposit,
    gateway_key,
    processing,
    world,
)
from tests.test_accounts_web import log_in
from tests.test_web_client import DESKTOP, browser, open_page, screen

__all__ = ["browser", "processing", "world"]


async def test_a_3ds_deposit_a_declined_card_and_a_withdrawal_in_the_browser(
    world: Processing, browser: Browser
) -> None:
    client, player = await new_player(world.server.base_url, kyc_level=1)  # may withdraw
    await client.http.aclose()
    watched = await open_page(browser, world.server.base_url, "cashier", DESKTOP)
    page = watched.page
    await log_in(page, str(player["username"]))
    await screen(page, "lobby")
    await page.goto(f"{world.server.base_url}/#/cashier")
    await screen(page, "cashier")

    await page.fill("#pay-deposit [name='deposit amount']", "40.00")
    await page.select_option("#pay-method", "card")
    await page.fill("#card-number", CARD_3DS)
    await page.click("#pay-deposit button[type=submit]")
    # The gateway's own 3-D Secure page, then back to the cashier.
    await expect(page.locator("h1")).to_have_text("3-D Secure test page")
    await page.click("#complete")
    await screen(page, "cashier")
    await expect(page.locator("#pay-history tbody tr").first).to_have_attribute(
        "data-status", "completed"
    )
    await expect(page.locator("#balance")).to_have_attribute("data-minor", "4000")
    await watched.shot("cashier-3ds-done")

    await page.fill("#pay-deposit [name='deposit amount']", "10.00")
    await page.select_option("#pay-method", "card")
    await page.fill("#card-number", "4000000000000002")
    await page.click("#pay-deposit button[type=submit]")
    await expect(page.locator("#pay-history tbody tr").first).to_have_attribute(
        "data-status", "declined"
    )
    await expect(page.locator("#pay-history tbody tr").first.locator(".status")).to_have_text(
        "declined (generic decline)"
    )

    await page.fill("#pay-withdraw [name='withdrawal amount']", "15.00")
    await page.click("#pay-withdraw button[type=submit]")
    await expect(page.locator("#pay-history tbody tr").first).to_have_attribute(
        "data-status", "completed"
    )
    await expect(page.locator("#pay-history tbody tr").first.locator("td").first).to_have_text(
        "withdrawal"
    )
    await expect(page.locator("#balance")).to_have_attribute("data-minor", "2500")
    await watched.shot("cashier-withdrawn")
    watched.assert_clean()


async def test_an_ewallet_deposit_then_a_bank_withdrawal_cancelled_in_the_browser(
    world: Processing, browser: Browser
) -> None:
    client, player = await new_player(world.server.base_url, kyc_level=1)  # may withdraw
    await client.http.aclose()
    watched = await open_page(browser, world.server.base_url, "cashier-bank", DESKTOP)
    page = watched.page
    await log_in(page, str(player["username"]))
    await screen(page, "lobby")
    await page.goto(f"{world.server.base_url}/#/cashier")
    await screen(page, "cashier")

    await page.fill("#pay-deposit [name='deposit amount']", "30.00")
    await page.select_option("#pay-method", "ewallet")
    await page.click("#pay-deposit button[type=submit]")
    await expect(page.locator("h1")).to_have_text("Sandbox e-wallet: approve payment")
    await page.click("#complete")
    await screen(page, "cashier")
    await expect(page.locator("#balance")).to_have_attribute("data-minor", "3000")

    await page.fill("#pay-deposit [name='deposit amount']", "20.00")
    await page.select_option("#pay-method", "bank_transfer")
    await page.click("#pay-deposit button[type=submit]")
    first = page.locator("#pay-history tbody tr").first
    await expect(first.locator(".status")).to_have_text("processing")
    key = gateway_key(world, int(await first.get_attribute("data-payment-id") or 0))
    world.gateway.admin(f"/admin/settle/{key}", {})  # the bank's money arrives
    await expect(first).to_have_attribute("data-status", "completed")
    await expect(page.locator("#balance")).to_have_attribute("data-minor", "5000")

    await page.fill("#pay-withdraw [name='withdrawal amount']", "20.00")
    await page.select_option("#pay-withdraw-method", label="Bank transfer")
    await page.click("#pay-withdraw button[type=submit]")
    await expect(first.locator(".status")).to_have_text("processing")
    await expect(page.locator("#balance")).to_have_attribute("data-minor", "3000")
    await first.locator("button.cancel-withdrawal").click()
    await expect(first.locator(".status")).to_have_text("declined (cancelled)")
    await expect(page.locator("#balance")).to_have_attribute("data-minor", "5000")
    await watched.shot("cashier-cancelled")
    watched.assert_clean()


async def test_a_bank_transfer_from_an_iban_is_saved_as_that_bank_account_in_the_browser(
    world: Processing, browser: Browser
) -> None:
    client, player = await new_player(world.server.base_url, kyc_level=1)
    await client.http.aclose()
    watched = await open_page(browser, world.server.base_url, "cashier-iban", DESKTOP)
    page = watched.page
    await log_in(page, str(player["username"]))
    await screen(page, "lobby")
    await page.goto(f"{world.server.base_url}/#/cashier")
    await screen(page, "cashier")

    await expect(page.locator("#pay-account")).to_be_hidden()  # a card needs no account
    await page.fill("#pay-deposit [name='deposit amount']", "20.00")
    await page.select_option("#pay-method", "bank_transfer")
    await page.fill("#pay-account", "GB82 WEST 1234 5698 7654 33")  # one digit mistyped
    await page.click("#pay-deposit button[type=submit]")
    await expect(page.get_by_text("This IBAN's check digits do not match").first).to_be_visible()

    await page.fill("#pay-account", "GB82 WEST 1234 5698 7654 32")
    await page.click("#pay-deposit button[type=submit]")
    first = page.locator("#pay-history tbody tr").first
    await expect(first.locator(".status")).to_have_text("processing")
    saved = page.locator("#pay-method option", has_text="Bank account ending 5432")
    await expect(saved).to_have_count(1)
    await watched.shot("cashier-iban")
    # The mistyped IBAN's refusal is the browser's only error.
    assert watched.errors == [
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    ]


async def test_a_first_withdrawal_to_a_card_asks_for_the_two_factor_code_in_the_browser(
    world: Processing, browser: Browser
) -> None:
    client, player = await new_player(world.server.base_url)
    await verify_identity(client)
    status, paid = await deposit(client, 5_000, card_number=CARD_OK)
    assert (status, paid["status"]) == (201, "completed")
    watched = await open_page(browser, world.server.base_url, "cashier-2fa", DESKTOP)
    page = watched.page
    await log_in(page, str(player["username"]))
    await screen(page, "lobby")
    # Two-factor switched on after this login (the login itself asked for no code).
    headers = {"Authorization": f"Bearer {client.token}"}
    setup = await client.http.post("/api/me/two-factor/setup", headers=headers)
    secret = secret_of(setup.json())
    enabled = await client.http.post(
        "/api/me/two-factor/enable", json={"code": code_now(secret)}, headers=headers
    )
    assert enabled.status_code == 200, enabled.text
    await client.http.aclose()
    await page.goto(f"{world.server.base_url}/#/cashier")
    await screen(page, "cashier")

    code = page.locator("#pay-withdraw-code")
    await expect(code).to_be_hidden()
    await page.fill("#pay-withdraw [name='withdrawal amount']", "10.00")
    await page.click("#pay-withdraw button[type=submit]")
    await expect(code).to_be_visible()  # the server asked: TWO_FACTOR_REQUIRED
    await expect(page.locator("#balance")).to_have_attribute("data-minor", "5000")
    await watched.shot("cashier-2fa-asked")

    await code.fill(code_now(secret, steps_ahead=3))  # not a current code
    await page.click("#pay-withdraw button[type=submit]")
    await expect(code).to_have_value("")  # refused: the field is emptied for the next code
    await expect(page.locator("#balance")).to_have_attribute("data-minor", "5000")

    await code.fill(code_now(secret, steps_ahead=1))  # enabling spent this step's code
    await page.click("#pay-withdraw button[type=submit]")
    first = page.locator("#pay-history tbody tr").first
    await expect(first).to_have_attribute("data-status", "completed")
    await expect(first.locator("td").first).to_have_text("withdrawal")
    await expect(page.locator("#balance")).to_have_attribute("data-minor", "4000")
    await expect(page.locator("#pay-withdraw-code")).to_be_hidden()  # that card is known now
    # The browser logs each refusal's status (no code, then the wrong one), nothing else.
    assert (
        watched.errors
        == ["Failed to load resource: the server responded with a status of 401 (Unauthorized)"] * 2
    )
