"""The browser words refusals from the shared table (clients/web/messages.json): a player
under age, a deposit above the maximum and a locked login read as plain sentences with
amounts in major units, a WebSocket refusal is worded by the same code, and the cashier's
refusals under the form read their sentences from the same table. Real Chromium
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


async def test_the_cashiers_refusals_under_the_form_are_worded_from_the_table(
    casino: ServerProcess, browser: Browser
) -> None:
    watched = await open_page(browser, casino.base_url, "wording-refusals", DESKTOP)
    shown = await watched.page.evaluate(
        """async () => {
          const { ApiError } = await import("/js/http.js");
          const { showRefusal } = await import("/js/refusals.js");
          const form = document.createElement("form");
          form.id = "refusal-probe";
          document.body.append(form);
          const show = (code, details, what = "withdrawal") => {
            const refused = new ApiError(409, code, "for developers", { code, ...details });
            if (!showRefusal(form, refused, what)) return null;
            const notice = form.nextElementSibling;
            return [notice.querySelector("p").textContent, !!notice.querySelector(".verify-link")];
          };
          return [
            show("KYC_REQUIRED", { required: 2, level: 1 }, "deposit"),
            show("CDD_REQUIRED", { linked_eur_cents: 250000 }),
            show("AML_REVIEW_REQUIRED", { case_id: 7 }),
            show("WITHDRAWAL_APPROVAL_REQUIRED", { proposal_id: 3, status: "held" }),
            show("CLOSED_LOOP_ONLY", { gateways: ["sandbox_gateway", "bank_transfer"] }),
            show("CLOSED_LOOP_ONLY", { gateways: [] }),
            show("INSUFFICIENT_FUNDS", {}),
          ];
        }"""
    )
    assert shown == [
        [
            "This deposit needs a verified address and source of funds, and your account is at"
            " verification level 1. Upload your documents on the Verification page; once they"
            " are approved, try again.",
            True,
        ],
        [
            "Your payments together reach EUR 2,000, so the law asks us to check your address"
            " and the source of your funds before you withdraw. Upload a proof of address on the"
            " Verification page; nothing has been taken from your balance.",
            True,
        ],
        [
            "Withdrawals from your account are on hold while our compliance team reviews it."
            " Nothing has been taken from your balance; we will contact you by email.",
            False,
        ],
        [
            "A withdrawal of this size is checked by two members of our payments team before it"
            " is paid. Nothing has been taken from your balance; once it is approved, withdraw"
            " the same amount again.",
            False,
        ],
        [
            "Your account is closed, so your balance can only go back to a payment method you"
            " deposited with: your card or e-wallet, bank transfer. Choose that method and"
            " withdraw again.",
            False,
        ],
        [
            "Your account is closed, so your balance can only go back to a payment method you"
            " deposited with. Choose that method and withdraw again.",
            False,
        ],
        None,
    ]
    watched.assert_clean()
