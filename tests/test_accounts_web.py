"""The account screens in Chromium (Debian's, through Playwright) against the real server:
the emailed links are read from the sandbox mail sink and followed in the page, as a
player follows them from their inbox."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from server.accounts import totp
from tests.conftest import STRONG_PASSWORD, ServerProcess, unique
from tests.support.accounts import mail, register, secret_of
from tests.test_web_client import DESKTOP, browser, open_page, screen

__all__ = ["browser"]  # the fixture, imported to be used here

NEW_PASSWORD = "Brand-New-Pass-77"


@pytest.fixture
async def http(casino: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=casino.base_url, timeout=20) as client:
        yield client


async def log_in(page: Page, name: str, password: str = STRONG_PASSWORD) -> None:
    await page.fill("[name=login]", name)
    await page.fill("[name=password]", password)
    await page.click("#login-form button[type=submit]")


async def test_a_player_registers_and_verifies_the_email_from_the_link(
    browser: Browser, casino: ServerProcess, http: httpx.AsyncClient
) -> None:
    watched = await open_page(browser, casino.base_url, "account-verify", DESKTOP)
    page = watched.page
    name = unique("web_")
    email = f"{name}@example.com"
    await page.click("[data-tab=register]")
    await page.fill("[name=username]", name)
    await page.fill("[name=email]", email)
    await page.fill("[name=password]", STRONG_PASSWORD)
    await page.fill("[name=date_of_birth]", "1988-02-29")
    await page.click("#register-form button[type=submit]")
    await screen(page, "lobby")
    await page.click("[data-nav=account]")
    await expect(page.locator("#email-status")).to_have_text(
        "not verified: withdrawals wait until it is"
    )
    await expect(page.locator("#kyc-note")).to_contain_text("cannot be changed here")
    (link,) = [
        x for x in (await mail(http, email, "Confirm your email"))["links"] if "verify=" in x
    ]
    await page.goto(link)
    await expect(page.locator("#notices")).to_contain_text("your email address is verified")
    await page.goto(casino.base_url + "/#/account")
    await expect(page.locator("#email-status")).to_have_text("verified")
    await watched.shot("verified")
    watched.assert_clean()


async def test_a_forgotten_password_is_reset_through_the_mailed_link(
    browser: Browser, casino: ServerProcess, http: httpx.AsyncClient
) -> None:
    name, email = await register(http)
    watched = await open_page(browser, casino.base_url, "account-reset", DESKTOP)
    page = watched.page
    await page.click("#forgot")
    await page.fill("[name=reset-login]", email)
    await page.click("#forgot-form button[type=submit]")
    await expect(page.locator("#forgot-sent")).to_contain_text("if an account matches")
    (link,) = [
        x for x in (await mail(http, email, "Reset your password"))["links"] if "reset=" in x
    ]
    await page.goto(link)
    await page.fill("[name=new-password]", NEW_PASSWORD)
    await page.click("#reset-form button[type=submit]")
    await log_in(page, name, NEW_PASSWORD)
    await screen(page, "lobby")
    await mail(http, email, "Your password was changed")
    watched.assert_clean()


async def test_two_factor_is_set_up_on_the_account_screen_and_asked_at_login(
    browser: Browser, casino: ServerProcess, http: httpx.AsyncClient
) -> None:
    name, _ = await register(http)
    watched = await open_page(browser, casino.base_url, "account-2fa", DESKTOP)
    page = watched.page
    await log_in(page, name)
    await screen(page, "lobby")
    await page.click("[data-nav=account]")
    await page.click("#two-factor-setup")
    secret = secret_of({"secret": await page.locator("#two-factor-secret").inner_text()})
    await page.fill("[name=tf_enable_code]", totp.code_at(secret, time.time()))
    await page.click("#two-factor-enable button[type=submit]")
    await expect(page.locator("#recovery-codes li")).to_have_count(10)
    await watched.shot("recovery-codes")
    await page.click("#logout")
    await log_in(page, name)
    await expect(page.locator("[name=code]")).to_be_visible()
    next_step = totp.code_at(secret, time.time() + totp.STEP_S)
    await page.fill("[name=code]", next_step)
    await page.click("#login-form button[type=submit]")
    await screen(page, "lobby")
    # The one refusal is the server asking for the code (TWO_FACTOR_REQUIRED is a 401).
    assert watched.errors == [
        "Failed to load resource: the server responded with a status of 401 (Unauthorized)"
    ]


async def test_the_player_sees_their_sessions_and_logs_out_the_others(
    browser: Browser, casino: ServerProcess, http: httpx.AsyncClient
) -> None:
    name, _ = await register(http)
    other = await http.post(
        "/api/sessions", json={"login": name, "password": STRONG_PASSWORD, "device_id": "phone"}
    )
    watched = await open_page(browser, casino.base_url, "account-sessions", DESKTOP)
    page = watched.page
    await log_in(page, name)
    await screen(page, "lobby")
    await page.click("[data-nav=account]")
    await expect(page.locator("#session-list li")).to_have_count(2)
    await expect(page.locator("#session-list em")).to_have_text("(this browser)")
    await page.click("#end-other-sessions")
    await expect(page.locator("#session-list li")).to_have_count(1)
    me = await http.get("/api/me", headers={"Authorization": f"Bearer {other.json()['token']}"})
    assert me.status_code == 401
    await page.select_option("[name=language]", "de")
    await page.click("#details-form button[type=submit]")
    await expect(page.locator("[name=language]")).to_have_value("de")
    watched.assert_clean()
