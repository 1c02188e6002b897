"""The staff web app at /backoffice/ in Chromium (Debian's, through Playwright) against the
real server: the shell (its CSP, login with TOTP or a recovery code, a nav of the role's
pages only, logout, an ended session), player search and profile. Every page is
screenshotted into the test's tmp directory, and no page logs a console error (a CSP
violation is one)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from server import app
from server.app import WEB_CLIENT_HEADERS
from tests.conftest import ServerProcess, new_player
from tests.support.backoffice import Office, log_in, open_office, open_profile
from tests.support.staff import add_staff, bearer, login
from tests.test_web_client import browser

__all__ = ["browser"]

CSP = WEB_CLIENT_HEADERS["Content-Security-Policy"]


@pytest.fixture
async def http(casino: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=casino.base_url, timeout=30) as client:
        yield client


@pytest.fixture
async def office(browser: Browser, casino: ServerProcess, tmp_path: Path) -> AsyncIterator[Office]:
    opened = await open_office(browser, casino.base_url, tmp_path)
    yield opened
    await opened.page.context.close()


def test_the_backoffice_page_has_the_player_clients_csp(casino: ServerProcess) -> None:
    reply = httpx.get(f"{casino.base_url}/backoffice/")
    assert (reply.status_code, reply.headers["content-security-policy"]) == (200, CSP)
    assert "<title>Casino · back office</title>" in reply.text


def test_the_backoffice_scripts_have_the_same_csp(casino: ServerProcess) -> None:
    reply = httpx.get(f"{casino.base_url}/backoffice/js/main.js")
    assert reply.status_code == 200
    assert reply.headers["content-security-policy"] == CSP
    assert reply.headers["content-type"].startswith("text/javascript")


def test_grants_name_the_routes_of_the_sessions_role_only(casino: ServerProcess) -> None:
    token = login(casino.base_url, add_staff(casino.database_path, "support"))
    granted = httpx.get(f"{casino.base_url}/api/staff/me/grants", headers=bearer(token)).json()
    routes = {(r["method"], r["path"]) for r in granted["routes"]}
    assert granted["role"] == "support"
    assert ("GET", "/api/staff/players") in routes
    assert ("GET", "/api/staff/kyc/queue") not in routes
    assert ("GET", "/api/staff/reports/daily") not in routes


async def a_profile_seen_by(office: Office, casino: ServerProcess, role: str) -> None:
    """A new player's profile, open in the page of a new staff member of `role`."""
    client, player = await new_player(casino.base_url)
    await client.http.aclose()
    await log_in(office, add_staff(casino.database_path, role))
    await open_profile(office, str(player["player_id"]))


async def test_a_staff_member_logs_in_with_a_totp_code(
    office: Office, casino: ServerProcess
) -> None:
    member = add_staff(casino.database_path, "admin")
    await log_in(office, member)
    await office.shot("logged-in")
    assert await office.page.evaluate("localStorage.length") == 0
    assert office.unexpected_errors() == []


async def test_a_recovery_code_logs_in(office: Office, casino: ServerProcess) -> None:
    member = add_staff(casino.database_path, "support")
    await log_in(office, member, code=member.recovery_codes[0])
    assert office.unexpected_errors() == []


async def test_a_wrong_code_is_refused_on_the_login_page(
    office: Office, casino: ServerProcess
) -> None:
    member = add_staff(casino.database_path, "support")
    await office.page.fill("#login-name", member.name)
    await office.page.fill("#login-password", "staff-Password-42")
    await office.page.fill("#login-code", "000000" if member.code() != "000000" else "111111")
    await office.page.click("#login-form button[type=submit]")
    await expect(office.page.locator("#login-error")).to_have_text("Wrong name, password or code.")
    await office.shot("login-refused")
    assert office.unexpected_errors(allowed_statuses=(401,)) == []


async def test_logout_ends_the_session_and_shows_the_login(
    office: Office, casino: ServerProcess, http: httpx.AsyncClient
) -> None:
    await log_in(office, add_staff(casino.database_path, "risk"))
    token = await office.token()
    await office.page.click("#logout")
    await expect(office.page.locator("#login-notice")).to_have_text("You are logged out.")
    reply = await http.get("/api/staff/me", headers=bearer(token))
    assert reply.status_code == 401
    assert await office.page.evaluate("sessionStorage.length") == 0


async def test_an_ended_session_goes_back_to_the_login_with_a_message(
    office: Office, casino: ServerProcess, http: httpx.AsyncClient
) -> None:
    await log_in(office, add_staff(casino.database_path, "compliance"))
    token = await office.token()
    await http.post("/api/staff/logout", headers=bearer(token))  # ended elsewhere
    await office.page.evaluate("location.hash = '#/players/someone'")
    await expect(office.page.locator("#login-notice")).to_have_text(
        "Your session has ended. Please log in again."
    )
    await office.shot("session-ended")
    assert await office.page.evaluate("sessionStorage.length") == 0
    assert office.unexpected_errors(allowed_statuses=(401,)) == []


async def find_and_open(office: Office, query: str, player_id: int) -> None:
    page = office.page
    await page.click("#nav a[data-page=players]")
    await page.fill("#search-q", query)
    await page.click("#search-form button")
    await page.click(f"#search-table a[href='#/player/{player_id}']")
    await expect(page.locator("#profile-title")).to_contain_text(f"#{player_id}")


async def test_search_by_email_opens_the_profile_with_balances_apart(
    office: Office, casino: ServerProcess
) -> None:
    client, player = await new_player(casino.base_url, deposit=12_345, kyc_level=1)
    await client.http.aclose()
    await log_in(office, add_staff(casino.database_path, "support"))
    await find_and_open(office, str(player["email"]), int(str(player["player_id"])))
    page = office.page
    await expect(page.locator("#bal-cash strong")).to_have_text("EUR 123.45")
    await expect(page.locator("#bal-bonus strong")).to_have_text("EUR 0.00")
    await expect(page.locator("#bal-locked strong")).to_have_text("EUR 0.00")
    await expect(page.locator("#profile-kyc")).to_have_text("1")
    await expect(page.locator("#profile-sessions tbody tr")).to_have_count(1)
    await expect(page.locator("#profile-status")).to_have_text("active")
    await office.shot("profile")
    assert office.unexpected_errors() == []


async def test_search_by_username_lists_the_player(office: Office, casino: ServerProcess) -> None:
    client, player = await new_player(casino.base_url)
    await client.http.aclose()
    await log_in(office, add_staff(casino.database_path, "support"))
    await office.page.evaluate(f"location.hash = '#/players/{player['username']}'")
    rows = office.page.locator("#search-table tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.locator("td").nth(1)).to_have_text(str(player["username"]))
    await office.shot("search")


async def test_a_note_added_on_the_profile_is_listed_with_its_author(
    office: Office, casino: ServerProcess
) -> None:
    client, player = await new_player(casino.base_url)
    await client.http.aclose()
    member = add_staff(casino.database_path, "support")
    await log_in(office, member)
    await open_profile(office, str(player["player_id"]))
    await office.page.fill("#note-text", "called about a late withdrawal")
    await office.page.click("#note-form button")
    note = office.page.locator("#profile-notes li")
    await expect(note).to_have_count(1)
    await expect(note).to_contain_text(f"{member.name}: called about a late withdrawal")
    assert office.unexpected_errors() == []


async def test_support_gets_no_suspend_or_adjustment_form(
    office: Office, casino: ServerProcess
) -> None:
    await a_profile_seen_by(office, casino, "support")
    await expect(office.page.locator("#note-form")).to_be_visible()
    assert await office.page.locator("#suspend-form, #adjust-form").count() == 0


async def test_compliance_suspends_and_reinstates_with_a_reason(
    office: Office, casino: ServerProcess
) -> None:
    await a_profile_seen_by(office, casino, "compliance")
    page = office.page
    await page.fill("#suspend-form input[name=reason]", "chargeback under review")
    await page.click("#suspend-form button")
    await expect(page.locator("#profile-status")).to_have_text("disabled")
    await office.shot("suspended")
    await page.fill("#reinstate-form input[name=reason]", "chargeback withdrawn")
    await page.click("#reinstate-form button")
    await expect(page.locator("#profile-status")).to_have_text("active")
    assert office.unexpected_errors() == []


async def test_finance_proposes_a_manual_adjustment_from_the_profile(
    office: Office, casino: ServerProcess
) -> None:
    await a_profile_seen_by(office, casino, "finance")
    page = office.page
    await page.fill("#adjust-amount", "12.34")
    await page.fill("#adjust-form input[name=reason]", "goodwill for an outage")
    await page.click("#adjust-form button")
    await expect(page.locator("#adjust-form [role=status]")).to_have_text(
        re.compile(r"^proposal #\d+: EUR 12\.34 pending$")
    )
    await office.shot("adjustment")
    assert office.unexpected_errors() == []


def _route_exists(method: str, path: str) -> bool:
    return any(
        getattr(route, "path", "") == path and method in (getattr(route, "methods", None) or ())
        for route in app.routes()
    )


@pytest.mark.parametrize(
    ("form", "path"),
    [
        ("#revoke-form", "/api/staff/players/{player_id}/provider-sessions/revoke"),
        ("#close-form", "/api/staff/players/{player_id}/close"),
    ],
)
async def test_the_revoke_and_close_forms_show_when_the_server_has_the_route(
    office: Office, casino: ServerProcess, form: str, path: str
) -> None:
    await a_profile_seen_by(office, casino, "admin")
    await expect(office.page.locator("#profile-status")).to_have_text("active")
    assert await office.page.locator(form).count() == (1 if _route_exists("POST", path) else 0)
