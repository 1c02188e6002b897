"""A provider free-bet campaign in Debian's chromium (Playwright) against a real server and the
provider simulator's own process: the player sees the campaign offered to them on the bonus
screen, accepts it there, and sees its free rounds count. Screens are kept in test-artifacts/."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from clients.api import CasinoClient
from tests.conftest import ServerProcess, new_player, settled_report, unique
from tests.support.campaigns import GAME, CampaignSim, campaign_sim
from tests.support.kyc import STAFF_TOKEN
from tests.test_accounts_web import log_in
from tests.test_web_client import DESKTOP, browser, open_page, screen

__all__ = ["browser", "campaign_sim"]

STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}


async def test_a_player_accepts_a_campaign_offer_and_sees_its_free_rounds_in_the_page(
    casino: ServerProcess, campaign_sim: CampaignSim, browser: Browser
) -> None:
    client, _ = await new_player(casino.base_url)
    try:
        me = await client.call("GET", "/api/me")
    finally:
        await client.http.aclose()
    async with CasinoClient(casino.base_url) as staff:
        definition = await staff.call("POST", "/api/staff/bonus/definitions", {
            "name": unique("Welcome rounds "), "currency": "EUR", "kind": "free_spins",
            "trigger": "campaign", "provider": campaign_sim.provider_id, "game": GAME,
            "spins": 5, "spin_stake": 20, "wagering": 10, "weights": {"slots": 100},
        }, headers=STAFF)  # fmt: skip
        offered = await staff.call("POST", "/api/staff/bonus/campaigns",
                                   {"definition_id": definition["id"],
                                    "player_id": me["player_id"]}, headers=STAFF)  # fmt: skip

    watched = await open_page(browser, casino.base_url, "campaign", DESKTOP)
    page = watched.page
    await log_in(page, str(me["username"]))
    await screen(page, "lobby")
    await page.click("a[data-nav='bonus']")
    await screen(page, "bonus")
    await expect(page.locator("#no-active-bonus")).to_be_visible()
    offer = page.locator(f"li.offer:has([data-accept-campaign='{offered['campaign']}'])")
    await expect(offer).to_contain_text("5 rounds of campaign-slot at")
    await watched.shot("offered")

    await offer.locator("button").click()
    free = page.locator(".free-spins")
    await expect(free).to_have_attribute("data-left", "5")
    await expect(free).to_contain_text(f"5 free spins left on {campaign_sim.provider_id}:{GAME}")
    await expect(page.locator(f"[data-accept-campaign='{offered['campaign']}']")).to_have_count(0)
    await expect(page.locator(".bonus-balance")).to_have_attribute("data-minor", "0")
    await watched.shot("accepted")
    watched.assert_clean()
    report = await settled_report(casino)
    assert report.ok, "\n".join(report.lines())
