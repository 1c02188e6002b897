"""The player profile's two account-wide actions clicked in the staff web app (Chromium,
against the real server): revoking a player's game-provider sessions, after which the sandbox
provider's next call with the token is refused, and closing a funded account, whose result
(the payout's kind and amount) the page shows above the profile, which then reads `closed`.
On the shared server (no gateway) the cash goes to the closed-accounts liability; in the
payments world (the sandbox gateway) it goes back as a withdrawal to the bank method of the
last deposit, which the bank then settles. Closing asks for a ticked box first. Screenshots
go to the test's tmp directory; no page logs a console error; the ledger reconciles after
each test (the `casino` fixture's check, or the `world` fixture's)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from clients.api import CasinoClient
from tests.conftest import ServerProcess, new_player, unique
from tests.support import db as test_db
from tests.support.backoffice import Office, log_in, open_office, open_profile
from tests.support.kyc import STAFF_TOKEN
from tests.support.payment_webhooks import (
    Processing,
    gateway_key,
    processing,
    until,
    verified,
    world,
)
from tests.support.provider import Table, seat
from tests.support.staff import add_staff, bearer
from tests.test_backoffice_web import http, office
from tests.test_staff_account_closure import banked, player_id_of
from tests.test_web_client import browser

__all__ = ["browser", "http", "office", "processing", "verified", "world"]


@pytest.fixture
async def table(casino: ServerProcess) -> AsyncIterator[Table]:
    """A player with a live sandbox-provider game session (EUR 100.00 deposited)."""
    seated = await seat(casino)
    yield seated
    await seated.provider.aclose()
    await seated.player.http.aclose()


async def test_compliance_revokes_provider_sessions_and_the_provider_is_refused(
    office: Office, casino: ServerProcess, table: Table
) -> None:
    assert (await table.bet(100))["status"] == "RS_OK"  # the session is live
    await log_in(office, add_staff(casino.database_path, "compliance"))
    await open_profile(office, table.user)
    page = office.page
    await page.fill("#revoke-form input[name=reason]", "token seen on a forum")
    await page.click("#revoke-form button")
    await expect(page.locator("#revoke-form [role=status]")).to_have_text(
        "1 provider game session revoked"
    )
    await office.shot("revoked")
    assert (await table.bet(100))["status"] == "RS_ERROR_TOKEN_EXPIRED"
    assert await table.balance() == 9_900  # the refused bet took nothing
    assert office.unexpected_errors() == []


async def test_compliance_closes_a_funded_account_and_sees_the_payout(
    office: Office, casino: ServerProcess
) -> None:
    client, player = await new_player(casino.base_url, deposit=12_345)
    await client.http.aclose()
    await log_in(office, add_staff(casino.database_path, "compliance"))
    await open_profile(office, str(player["player_id"]))
    page = office.page
    await expect(page.locator("#bal-cash strong")).to_have_text("EUR 123.45")
    await page.check("#close-confirm")
    await page.fill("#close-form input[name=reason]", "asked to close for good")
    await page.click("#close-form button")
    await expect(page.locator("#profile-notice")).to_have_text(
        "closed: payout payable EUR 123.45 to the closed-accounts liability (NO_GATEWAY)"
    )
    await expect(page.locator("#profile-status")).to_have_text("closed")
    await expect(page.locator("#bal-cash strong")).to_have_text("EUR 0.00")
    await office.shot("closed")
    assert office.unexpected_errors() == []


async def test_closing_pays_the_cash_back_to_the_last_deposit_method(
    browser: Browser, world: Processing, verified: CasinoClient, tmp_path: Path
) -> None:
    bank = await banked(world, verified, 5_000)  # a settled bank transfer: the closed loop
    pid = await player_id_of(verified)
    office = await open_office(browser, world.server.base_url, tmp_path)
    try:
        await log_in(office, add_staff(world.server.database_path, "compliance"))
        await open_profile(office, pid)
        page = office.page
        await page.check("#close-confirm")
        await page.fill("#close-form input[name=reason]", "asked to close for good")
        await page.click("#close-form button")
        await expect(page.locator("#profile-status")).to_have_text("closed")
        ((payment_id, method_id),) = test_db.query(
            world.server.database_path,
            "SELECT id, method_id FROM payments WHERE player_id = ? AND kind = 'withdrawal'",
            (pid,),
        )
        await expect(page.locator("#profile-notice")).to_have_text(
            f"closed: payout withdrawal EUR 50.00 (payment #{payment_id}, pending)"
        )
        await expect(page.locator("#bal-cash strong")).to_have_text("EUR 0.00")
        await office.shot("closed-withdrawal")
        assert office.unexpected_errors() == []
    finally:
        await office.page.context.close()
    assert method_id == bank
    world.gateway.admin(f"/admin/settle/{gateway_key(world, int(payment_id))}", {})
    await until(lambda: payment_status(world, int(payment_id)) != "pending")
    assert payment_status(world, int(payment_id)) == "completed"  # the bank paid it out


def payment_status(world: Processing, payment_id: int) -> str:
    rows = test_db.query(
        world.server.database_path, "SELECT status FROM payments WHERE id = ?", (payment_id,)
    )
    return str(rows[0][0])


async def test_a_closed_account_offers_no_reinstate_form(
    office: Office, casino: ServerProcess, http: httpx.AsyncClient
) -> None:
    client, player = await new_player(casino.base_url)
    await client.http.aclose()
    closed = await http.post(
        f"/api/staff/players/{player['player_id']}/close",
        json={"reason": "asked", "idempotency_key": unique("close-")},
        headers=bearer(STAFF_TOKEN),
    )
    assert closed.status_code == 200, closed.text
    await log_in(office, add_staff(casino.database_path, "compliance"))
    await open_profile(office, str(player["player_id"]))
    await expect(office.page.locator("#profile-status")).to_have_text("closed")
    await expect(office.page.locator("#close-form")).to_be_visible()
    assert await office.page.locator("#reinstate-form").count() == 0
    assert office.unexpected_errors() == []


async def test_closing_without_the_box_ticked_sends_nothing(
    office: Office, casino: ServerProcess
) -> None:
    client, player = await new_player(casino.base_url, deposit=500)
    await client.http.aclose()
    await log_in(office, add_staff(casino.database_path, "admin"))
    await open_profile(office, str(player["player_id"]))
    page = office.page
    closes: list[str] = []
    page.on("request", lambda r: closes.append(r.url) if r.url.endswith("/close") else None)
    await page.fill("#close-form input[name=reason]", "asked to close for good")
    await page.click("#close-form button")
    assert await page.locator("#close-confirm").evaluate("box => !box.validity.valid")
    await office.shot("close-unconfirmed")
    await page.reload()
    await expect(page.locator("#profile-status")).to_have_text("active")
    assert closes == []
    assert office.unexpected_errors() == []
