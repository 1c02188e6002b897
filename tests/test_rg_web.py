"""The browser client's safer-gambling side, in Debian's Chromium through Playwright against a
real server: limits lowered at once and a raise shown with its 24-hour wait and the
reconfirmation it needs; a time-out and a self-exclusion stating their consequences before
anything happens (cancel changes nothing; a time-out taken ends the session with words the
player understands); the reality-check dialog answered with an acknowledgement to the
server; the session's elapsed time and net position in the top bar for a UK player; the
deposit-limit prompt after a UK player's first deposit."""

from __future__ import annotations

import json
from typing import Any

import httpx
import msgspec
from playwright.async_api import Browser, Page, expect

from clients.api import CasinoClient
from server.events import push
from server.storage.redis_client import connect as connect_redis
from tests.conftest import STRONG_PASSWORD, ServerProcess, unique
from tests.support.kyc import verify_identity
from tests.test_web_client import (
    DESKTOP,
    PHONE,
    Watched,
    balance_matches_server,
    browser,
    open_game,
    open_page,
    screen,
    spin_slot,
)

__all__ = ["browser"]  # the fixture, used by every test here


async def player_page(
    browser: Browser, casino: ServerProcess, name: str, country: str = "DE", viewport: Any = DESKTOP
) -> tuple[Watched, dict[str, Any]]:
    """A page logged in as a new player of `country` (registered and logged in over HTTP)."""
    username = unique("w_")
    async with httpx.AsyncClient(base_url=casino.base_url, timeout=30) as http:
        registered = await http.post(
            "/api/players",
            json={
                "email": f"{username}@example.com", "username": username,
                "password": STRONG_PASSWORD, "date_of_birth": "1985-06-15", "country": country,
                "currency": "GBP" if country == "GB" else "EUR",
            },
        )  # fmt: skip
        assert registered.status_code == 201, registered.text
        login = await http.post(
            "/api/sessions", json={"login": username, "password": STRONG_PASSWORD}
        )
    token = login.json()["token"]
    if country == "GB":  # a deposit there needs a verified identity
        async with CasinoClient(casino.base_url) as client:
            client.token = token
            await verify_identity(client)
    watched = await open_page(browser, casino.base_url, name, viewport)
    await watched.page.evaluate("(token) => sessionStorage.setItem('casino.token', token)", token)
    await watched.page.reload()
    await expect(watched.page.locator("body[data-ready]")).to_be_attached()
    await screen(watched.page, "lobby")
    return watched, {**registered.json(), "token": token}


async def rg_state(casino: ServerProcess, token: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        response = await http.get("/api/rg", headers={"Authorization": f"Bearer {token}"})
    state: dict[str, Any] = response.json()
    return state


async def open_safer(page: Page) -> None:
    await page.click("#topbar nav a[data-nav='safer']")
    await screen(page, "safer")
    await expect(page.locator("#limits")).to_be_visible()


async def dialog_text(page: Page, name: str) -> str:
    dialog = page.locator(f"#dialog[data-name='{name}']")
    await expect(dialog).to_be_visible()
    return await dialog.inner_text()


async def test_a_lower_limit_applies_at_once_and_a_raise_shows_its_wait_and_reconfirmation(
    casino: ServerProcess, browser: Browser
) -> None:
    watched, player = await player_page(browser, casino, "rg-limits")
    page = watched.page
    await open_safer(page)
    row = page.locator("li.limit[data-limit='deposit_24h']")
    await row.locator("input").fill("50.00")
    await row.locator("button[type=submit]").click()
    await expect(page.locator(".notice.success")).to_contain_text(
        "Deposits in 24 hours: 50.00 EUR, applies now."
    )
    await expect(row.locator(".limit-value")).to_have_text("50.00 EUR")

    await row.locator("input").fill("90.00")
    await row.locator("button[type=submit]").click()
    text = await dialog_text(page, "limit-pending")
    assert "Deposits in 24 hours: 90.00 EUR asked for." in text
    assert "can apply only after 24 hours" in text and "only when you confirm it then" in text
    assert "Until then your limit stays 50.00 EUR." in text
    await page.click("#dialog button.primary")
    pending = page.locator("[data-pending='deposit_24h']")
    await expect(pending).to_contain_text("Raise to 90.00 EUR waiting")
    await expect(pending).to_contain_text("once you confirm it then")
    await expect(pending.locator("button[data-confirm='deposit_24h']")).to_be_disabled()
    await expect(row.locator(".limit-value")).to_have_text("50.00 EUR")
    await watched.shot("limit-raise-waiting")

    state = await rg_state(casino, player["token"])
    limit = state["limits"]["deposit_24h"]
    assert (limit["value"], limit["pending"]["value"], limit["pending"]["confirmable"]) == (
        5_000,
        9_000,
        False,
    )
    watched.assert_clean()


async def test_a_time_out_states_its_consequences_first_and_ends_the_session(
    casino: ServerProcess, browser: Browser
) -> None:
    watched, player = await player_page(browser, casino, "rg-time-out")
    page = watched.page
    await open_safer(page)
    await page.select_option("select[name='time-out-length']", "168")
    await page.click("#take-time-out")
    text = await dialog_text(page, "time-out-confirm")
    assert "Take a 1 week time-out?" in text
    assert "For 1 week you cannot play, bet or deposit" in text
    assert "Every session you have open ends now" in text
    assert "You can still log in to see your balance and withdraw" in text
    assert "cannot be ended early" in text
    await watched.shot("time-out-consequences")
    await page.click("#dialog button[data-value='no']")
    assert (await rg_state(casino, player["token"]))["exclusion"] is None

    await page.click("#take-time-out")
    await expect(page.locator("#dialog[data-name='time-out-confirm']")).to_be_visible()
    await page.click("#dialog button[data-value='yes']")
    ended = await dialog_text(page, "forced-logout")
    assert "You started a time-out: you cannot play or deposit until it ends." in ended
    await screen(page, "login")
    exclusion = (await rg_state(casino, player["token"]))["exclusion"]
    assert exclusion["kind"] == "time_out"


async def test_self_exclusion_states_it_cannot_be_undone_and_cancel_changes_nothing(
    casino: ServerProcess, browser: Browser
) -> None:
    watched, player = await player_page(browser, casino, "rg-exclusion", viewport=PHONE)
    page = watched.page
    await open_safer(page)
    await page.select_option("select[name='self-exclusion-length']", "6")
    await page.click("#self-exclude")
    text = await dialog_text(page, "self-exclusion-confirm")
    assert "Exclude yourself for 6 months?" in text
    assert "cannot be undone early, for any reason" in text
    assert "we send you no marketing" in text
    await watched.shot("self-exclusion-consequences")
    await page.keyboard.press("Escape")  # Escape is the last action: cancel
    await expect(page.locator("#dialog")).not_to_be_visible()
    assert (await rg_state(casino, player["token"]))["exclusion"] is None
    watched.assert_clean()


async def test_a_reality_check_holds_the_page_until_the_player_answers_and_is_acknowledged(
    casino: ServerProcess, browser: Browser
) -> None:
    watched, player = await player_page(browser, casino, "rg-reality-check")
    page = watched.page
    sent: list[Any] = []  # every frame the page sends, decoded (MessagePack or JSON)
    page.on("websocket", lambda socket: socket.on("framesent", lambda frame: sent.append(
        msgspec.msgpack.decode(frame) if isinstance(frame, bytes) else json.loads(frame)
    )))  # fmt: skip
    await page.reload()  # a socket opened after the listener
    await screen(page, "lobby")
    redis = connect_redis(casino.redis.url)
    try:
        await push.publish(
            redis,
            int(player["player_id"]),
            {"type": "reality_check", "elapsed_ms": 3_725_000, "net": -1_250, "currency": "EUR"},
        )
    finally:
        await redis.aclose()
    text = await dialog_text(page, "reality-check")
    assert "You have been playing for 1 h 02 min." in text
    assert "Your net position this session: -12.50 EUR (wins minus stakes)." in text
    assert "Your bets are on hold until you choose." in text
    await watched.shot("reality-check")
    await page.click("#dialog button[data-value='continue']")
    await expect(page.locator("#dialog")).not_to_be_visible()
    for _ in range(100):  # the acknowledgement leaves once the dialog is answered
        if any(message.get("type") == "reality_check_ack" for message in sent):
            break
        await page.wait_for_timeout(50)
    assert any(message.get("type") == "reality_check_ack" for message in sent), sent


async def test_the_servers_own_reality_check_shows_the_dialog_and_play_resumes_after_ok(
    casino: ServerProcess, browser: Browser
) -> None:
    watched, player = await player_page(browser, casino, "rg-reality-check-live")
    page = watched.page
    headers = {"Authorization": f"Bearer {player['token']}"}
    async with httpx.AsyncClient(base_url=casino.base_url, timeout=30) as http:
        deposited = await http.post(
            "/api/sandbox/deposits", json={"amount": 1_000},
            headers={**headers, "Idempotency-Key": unique("d")},
        )  # fmt: skip
        assert deposited.status_code == 201, deposited.text
        interval = await http.put(
            "/api/rg/limits/reality_check_seconds", json={"value": 5}, headers=headers
        )
        assert interval.status_code == 200, interval.text
    await page.reload()  # a new play session: its clock reads the interval at hello
    await open_game(page, "classic-sevens")
    dialog = page.locator("#dialog[data-name='reality-check']")
    await expect(dialog).to_be_visible(timeout=30_000)  # the server's timer, not the test's
    text = await dialog.inner_text()
    assert "Your net position this session: 0.00 EUR (wins minus stakes)." in text
    assert "Your bets are on hold until you choose." in text
    await page.click("#dialog button[data-value='continue']")
    await expect(page.locator("#dialog")).not_to_be_visible()
    await spin_slot(page, "classic-sevens")
    await balance_matches_server(page, casino.base_url)
    watched.assert_clean()


async def test_deposit_limits_chosen_in_the_registration_form_apply_at_once(
    casino: ServerProcess, browser: Browser
) -> None:
    watched = await open_page(browser, casino.base_url, "rg-register-limits", DESKTOP)
    page = watched.page
    await screen(page, "login")
    await page.click("[data-tab='register']")
    name = unique("wl_")
    await page.fill("[name=username]", name)
    await page.fill("[name=email]", f"{name}@example.com")
    await page.fill("[name=password]", STRONG_PASSWORD)
    await page.fill("[name=date_of_birth]", "1988-02-29")
    await page.select_option("[name=country]", "DE")
    await expect(page.locator("#register-limits legend")).to_have_text("Deposit limits (optional)")
    await page.fill("#register-limits [name=deposit_24h]", "50.00")
    await page.fill("#register-limits [name=deposit_30d]", "200")
    await watched.shot("register-limits")
    await page.click("#register-form button[type=submit]")
    await screen(page, "lobby")
    token = await page.evaluate("sessionStorage.getItem('casino.token')")
    limits = (await rg_state(casino, token))["limits"]
    assert {kind: limit["value"] for kind, limit in limits.items()} == {
        "deposit_24h": 5_000,
        "deposit_30d": 20_000,
    }
    await page.fill("#deposit-form [name=amount]", "60.00")
    await page.click("#deposit-form button[type=submit]")
    await expect(page.locator(".notice.error")).to_contain_text(
        "Your deposit limit is 50.00 EUR a day: you can still deposit 50.00 EUR."
    )
    await expect(page.locator("#balance")).to_have_attribute("data-minor", "0")
    # The one refusal is the limit's (DEPOSIT_LIMIT_REACHED is a 403).
    assert watched.errors == [
        "Failed to load resource: the server responded with a status of 403 (Forbidden)"
    ]


async def test_a_registration_limit_that_is_not_an_amount_is_named_and_nothing_is_sent(
    casino: ServerProcess, browser: Browser
) -> None:
    watched = await open_page(browser, casino.base_url, "rg-register-bad-limit", DESKTOP)
    page = watched.page
    await screen(page, "login")
    await page.click("[data-tab='register']")
    name = unique("wl_")
    await page.fill("[name=username]", name)
    await page.fill("[name=email]", f"{name}@example.com")
    await page.fill("[name=password]", STRONG_PASSWORD)
    await page.fill("[name=date_of_birth]", "1988-02-29")
    await page.fill("#register-limits [name=deposit_7d]", "lots")
    await page.click("#register-form button[type=submit]")
    await expect(page.locator(".notice.error")).to_contain_text(
        "Deposits per 7 days: enter an amount such as 50.00, or leave it empty"
    )
    await screen(page, "login")
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        login = await http.post("/api/sessions", json={"login": name, "password": STRONG_PASSWORD})
    assert login.json()["error"]["code"] == "INVALID_CREDENTIALS"
    watched.assert_clean()


async def test_a_uk_player_sees_session_time_and_net_position_in_the_top_bar(
    casino: ServerProcess, browser: Browser
) -> None:
    watched, player = await player_page(browser, casino, "rg-figures", country="GB")
    page = watched.page
    assert (await rg_state(casino, player["token"]))["profile"]["show_session_figures"] is True
    figures = page.locator("#session-figures")
    await expect(figures).to_be_visible()
    await expect(figures).to_contain_text("Session")
    await expect(figures.locator(".net")).to_have_text("0.00 GBP")
    await watched.shot("session-figures")
    watched.assert_clean()


async def test_a_uk_players_first_deposit_offers_a_deposit_limit(
    casino: ServerProcess, browser: Browser
) -> None:
    watched, _ = await player_page(browser, casino, "rg-prompt", country="GB")
    page = watched.page
    await page.click("#deposit-form button[type=submit]")
    offer = page.locator("#limit-prompt")
    await expect(offer).to_contain_text("This was your first deposit.")
    await expect(page.locator("#dialog")).not_to_be_visible()  # it offers, it does not block
    await watched.shot("limit-prompt")
    await offer.locator("button[data-value='set']").click()
    await screen(page, "safer")
    await expect(page.locator("input[name='deposit_24h']")).to_be_focused()
    await expect(offer).to_have_count(0)
    watched.assert_clean()
