"""The bonus screens in Debian's chromium (Playwright) against a real server: the offer is
opted into in the page, the active bonus shows its bonus money apart from cash, wagering
progress after a spin played in the page, maximum stake and expiry; leaving it is confirmed
in a dialog and removes only bonus money. Screens are kept in test-artifacts/."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from server.money import keys
from server.storage.redis_client import connect as connect_redis
from tests.conftest import STRONG_PASSWORD, ServerProcess
from tests.support.payments import pay, player
from tests.test_bonus_engine import bonus_server, define, server
from tests.test_web_client import DESKTOP, browser, open_game, open_page, screen, spin_slot

__all__ = ["bonus_server", "browser", "server"]


async def test_a_player_opts_in_sees_progress_and_leaves_a_bonus_in_the_page(
    server: ServerProcess, browser: Browser
) -> None:
    welcome = await define(server, kind="welcome", trigger="manual", amount=1_000, wagering=5,
                           max_stake=200, weights={"slot": 100})  # fmt: skip
    async with await player(server.base_url) as client:
        status, _ = await pay(client, "deposits", 5_000)
        assert status == 201
        me = await client.call("GET", "/api/me")
    watched = await open_page(browser, server.base_url, "bonus", DESKTOP)
    page = watched.page
    await page.fill("[name=login]", str(me["username"]))
    await page.fill("[name=password]", STRONG_PASSWORD)
    await page.click("#login-form button[type=submit]")
    await screen(page, "lobby")

    await page.click("a[data-nav='bonus']")
    await screen(page, "bonus")
    await expect(page.locator("#no-active-bonus")).to_be_visible()
    await page.click(f"[data-opt-in='{welcome}']")
    await expect(page.locator(".bonus-balance")).to_have_attribute("data-minor", "1000")
    wagering = page.locator(".wagering")
    await expect(wagering).to_have_attribute("data-required", "5000")
    await expect(wagering).to_have_attribute("data-wagered", "0")
    await expect(page.locator(".max-stake")).to_have_attribute("data-minor", "200")
    await expect(page.locator(".expiry")).to_contain_text("Expires")
    await expect(page.locator("#balance")).to_have_attribute("data-minor", "5000")  # cash only
    await watched.shot("active")

    await open_game(page, "classic-sevens")
    await spin_slot(page, "classic-sevens")
    await page.click("a[data-nav='bonus']")
    await screen(page, "bonus")
    redis = connect_redis(server.redis.url)
    try:
        counted = await redis.hget(keys.bonus(int(me["player_id"]), "EUR"), "wagered")
        wagered = int(str(counted)) // 100
    finally:
        await redis.aclose()
    assert wagered > 0  # the spin's stake, slots counting 100 %
    await expect(wagering).to_have_attribute("data-wagered", str(wagered))
    await watched.shot("progress")

    await page.click("#forfeit")
    dialog = page.locator("dialog[data-name='forfeit']")
    await expect(dialog).to_be_visible()
    await dialog.locator("button[data-value='leave']").click()
    await expect(page.locator("#no-active-bonus")).to_be_visible()
    await expect(page.locator(".bonus-balance")).to_have_attribute("data-minor", "0")
    await expect(page.locator(".award[data-status='ended']")).to_contain_text("forfeited")
    await watched.shot("left")
    watched.assert_clean()


async def test_the_bonus_screen_follows_wagering_live_from_a_stake_played_elsewhere(
    server: ServerProcess, browser: Browser
) -> None:
    welcome = await define(server, kind="welcome", trigger="manual", amount=1_000, wagering=5,
                           weights={"slot": 100})  # fmt: skip
    async with await player(server.base_url) as client:
        status, _ = await pay(client, "deposits", 5_000)
        assert status == 201
        me = await client.call("GET", "/api/me")
        watched = await open_page(browser, server.base_url, "bonus-live", DESKTOP)
        page = watched.page
        await page.fill("[name=login]", str(me["username"]))
        await page.fill("[name=password]", STRONG_PASSWORD)
        await page.click("#login-form button[type=submit]")
        await screen(page, "lobby")
        await page.click("a[data-nav='bonus']")
        await screen(page, "bonus")
        await page.click(f"[data-opt-in='{welcome}']")
        wagering = page.locator(".wagering")
        await expect(wagering).to_have_attribute("data-wagered", "0")
        assert client.token is not None
        async with client.socket() as sock:  # another session of the same player
            await sock.hello(client.token)
            await sock.spin("classic-sevens", 100)
            await sock.spin("classic-sevens", 150)
        # No navigation, no reload: the screen follows the server's bonus_progress pushes.
        await expect(wagering).to_have_attribute("data-wagered", "250")
        await expect(wagering).to_have_attribute("data-required", "5000")
        await expect(wagering).to_contain_text("(5 %)")
        await watched.shot("live")
        watched.assert_clean()
