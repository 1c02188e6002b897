"""The browser client end to end: Debian's chromium, headless, driven by Playwright,
against a real server process.

A new player registers in the page, deposits through the page's sandbox cashier,
plays every game, and the balance on screen is checked against the server's
wallet after each; a round is verified provably fair in the page. The same runs at
a phone's viewport; pushes (a deposit elsewhere, a forced logout, a notice) and an
unfinished blackjack hand are answered through the page's dialogs. Each screen is
kept as a PNG in test-artifacts/. The page's own algorithm and slot data are held
equal to the Python ones.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from clients.api import CasinoClient
from games import classic_slot, video_slot
from rng.fair import FairGenerator
from server.events import push
from server.storage.redis_child import RedisChild
from server.storage.redis_client import connect as connect_redis
from tests.conftest import (
    STRONG_PASSWORD,
    ServerProcess,
    new_player,
    settled_report,
    start_server,
    stop_server,
)

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 10_000
DEALT = re.compile("^(playing|finished)$")
SETTLED = """() => document.getAnimations().every(
    (a) => a.playState !== "running" || ["pulse", "flash"].includes(a.animationName))"""
NEXT_FRAMES = "new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is needed (run.py test installs it with apt-get)"
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture(scope="module")
def patient_casino(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server that waits a minute before standing an unattended hand.

    It has a Redis of its own: player ids start at 1 in every database, so two servers
    on one Redis would share wallets.
    """
    workdir = tmp_path_factory.mktemp("patient")
    redis = RedisChild(workdir / "redis")
    redis.start()
    server = start_server(workdir, redis, {"CASINO_ROUND_TIMEOUT_SECONDS": "60"})
    yield server
    stop_server(server)
    redis.stop()


class Watched:
    """A page with its console errors and uncaught exceptions collected."""

    def __init__(self, page: Page, name: str) -> None:
        self.page = page
        self.name = name
        self.errors: list[str] = []
        self.shots = 0
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.set_default_timeout(TIMEOUT_MS)

    async def shot(self, label: str) -> None:
        """A full-page PNG once cards have landed (a win's glow may still pulse)."""
        await self.page.evaluate("window.scrollTo(0, 0)")
        await self.page.wait_for_function(SETTLED)
        await self.page.evaluate(NEXT_FRAMES)  # a frame drawn after the animations ended
        self.shots += 1
        path = ARTIFACTS / f"web-{self.name}-{self.shots:02d}-{label}.png"
        await self.page.screenshot(path=str(path), full_page=True)

    def assert_clean(self) -> None:
        assert self.errors == [], self.errors


async def open_page(browser: Browser, base_url: str, name: str, viewport: Any) -> Watched:
    context = await browser.new_context(
        viewport=viewport,
        device_scale_factor=1,
        is_mobile=viewport is PHONE,
        has_touch=viewport is PHONE,
        reduced_motion="reduce" if viewport is PHONE else "no-preference",
    )
    watched = Watched(await context.new_page(), name)
    await watched.page.goto(base_url)
    await expect(watched.page.locator("body[data-ready]")).to_be_attached()
    return watched


async def screen(page: Page, name: str) -> None:
    await expect(page.locator(f"#screen[data-screen='{name}']")).to_be_attached()


async def token_of(page: Page) -> str:
    token = await page.evaluate("sessionStorage.getItem('casino.token')")
    assert isinstance(token, str) and token
    return token


async def server_balance(base_url: str, token: str) -> int:
    async with httpx.AsyncClient(base_url=base_url) as http:
        reply = await http.get("/api/wallet", headers={"Authorization": f"Bearer {token}"})
        reply.raise_for_status()
        return int(reply.json()["balance"])


async def balance_matches_server(page: Page, base_url: str) -> int:
    """The balance on screen once it settles equals the wallet's; returns it."""
    balance = await server_balance(base_url, await token_of(page))
    await expect(page.locator("#balance")).to_have_attribute("data-minor", str(balance))
    return balance


async def open_game(page: Page, game: str) -> None:
    await page.goto(page.url.split("#")[0] + f"#/game/{game}")
    await screen(page, f"game-{game}")


async def settle(page: Page, selector: str, before: str | None) -> str:
    """Wait until the game section is idle with a round id other than `before`."""
    section = page.locator(selector)
    await expect(section).to_have_attribute("data-state", "idle")
    if before is not None:
        await expect(section).not_to_have_attribute("data-round-id", before)
    round_id = await section.get_attribute("data-round-id")
    assert round_id
    return round_id


async def spin_slot(page: Page, game: str) -> str:
    section = f"section.slot[data-game='{game}']"
    before = await page.locator(section).get_attribute("data-round-id") or ""
    await page.click("#spin")
    return await settle(page, section, before)


async def play_roulette(page: Page) -> str:
    await page.click("[data-chip='100']")
    for bet in ("straight:17", "red", "dozen:2"):
        await page.click(f"[data-bet='{bet}']")
    await expect(page.locator(".bet-total")).to_have_attribute("data-minor", "300")
    await page.click("#spin")
    return await settle(page, "section.roulette", "")


async def play_blackjack(page: Page) -> str:
    section = page.locator("section.blackjack")
    await page.click("#deal")
    await expect(section).to_have_attribute("data-state", DEALT)
    await finish_hand(page)
    round_id = await section.get_attribute("data-round-id")
    assert round_id
    return round_id


async def finish_hand(page: Page) -> None:
    """Decline insurance and stand on every hand until the round is settled."""
    section = page.locator("section.blackjack")
    for _ in range(8):
        if await section.get_attribute("data-state") == "finished":
            return
        actions = page.locator(".actions button:enabled")
        await expect(actions.first).to_be_visible()
        names = [await b.get_attribute("data-action") for b in await actions.all()]
        await page.click(
            f"[data-action='{'no_insurance' if 'no_insurance' in names else 'stand'}']"
        )
        await expect(page.locator(".actions button:disabled")).to_have_count(0)
    await expect(section).to_have_attribute("data-state", "finished")


async def deal(page: Page) -> str:
    """Deal a new hand and wait for the server's reply; "playing" or "finished"."""
    section = page.locator("section.blackjack")
    before = await section.get_attribute("data-round-id")
    await page.click("#deal")
    if before:
        await expect(section).not_to_have_attribute("data-round-id", before)
    await expect(section).to_have_attribute("data-state", DEALT)
    return str(await section.get_attribute("data-state"))


async def offered(page: Page) -> list[str]:
    buttons = await page.locator(".actions button:enabled").all()
    return [str(await button.get_attribute("data-action")) for button in buttons]


async def take(page: Page, action: str) -> None:
    """Click one of the offered actions and wait until the reply is drawn."""
    await page.click(f"[data-action='{action}']")
    await expect(page.locator(".actions button:disabled")).to_have_count(0)


async def deal_until_a_move(page: Page) -> tuple[int, list[str]]:
    """Deal until a hand waits for a move (insurance declined): (rounds dealt, offered)."""
    section = page.locator("section.blackjack")
    for dealt in range(1, 11):
        if await deal(page) == "finished":
            continue  # a natural settles at once
        if "no_insurance" in await offered(page):
            await take(page, "no_insurance")
        if await section.get_attribute("data-state") == "playing":
            return dealt, await offered(page)
    raise AssertionError("ten blackjack deals all settled at once")


async def play_blackjack_moves(page: Page) -> int:
    """One hand hit, then one doubled (split when it is a pair); returns the rounds dealt."""
    first_hand = page.locator(".hands .hand[data-hand='0']")
    dealt, actions = await deal_until_a_move(page)
    assert actions[:3] == ["hit", "stand", "double"], actions
    await take(page, "hit")
    await expect(first_hand.locator(".card")).to_have_count(3)
    await finish_hand(page)
    more, actions = await deal_until_a_move(page)
    if "split" in actions:
        await take(page, "split")
        await expect(page.locator(".hands .hand")).to_have_count(2)
        await expect(first_hand.locator(".badge", has_text="split")).to_be_visible()
    else:
        await take(page, "double")
        await expect(first_hand.locator(".card")).to_have_count(3)
        await expect(first_hand.locator(".badge", has_text="doubled")).to_be_visible()
    await finish_hand(page)
    return dealt + more


async def play_baccarat(page: Page) -> str:
    await page.click("[data-bet='banker']")
    await page.click("#deal")
    return await settle(page, "section.baccarat", "")


async def no_sideways_scroll(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{await page.title()}: page is {width}px wide"


async def test_desktop_register_deposit_play_every_game_and_verify(
    casino: ServerProcess, browser: Browser
) -> None:
    watched = await open_page(browser, casino.base_url, "desktop", DESKTOP)
    page = watched.page
    await screen(page, "login")
    await watched.shot("login")

    await page.click("[data-tab='register']")
    name = f"web_{casino.port}"
    await page.fill("[name=username]", name)
    await page.fill("[name=email]", f"{name}@example.com")
    await page.fill("[name=password]", STRONG_PASSWORD)
    await page.fill("[name=date_of_birth]", "1988-02-29")
    await page.select_option("[name=country]", "MT")
    await watched.shot("register")
    await page.click("#register-form button[type=submit]")
    await screen(page, "lobby")
    await expect(page.locator("#balance")).to_have_attribute("data-minor", "0")

    await page.fill("#deposit-form [name=amount]", "150.00")
    await page.click("#deposit-form button[type=submit]")
    await expect(page.locator("#balance")).to_have_attribute("data-minor", "15000")
    assert await balance_matches_server(page, casino.base_url) == 15_000
    await expect(page.locator(".game-tile")).to_have_count(5)
    await watched.shot("lobby")

    # The player's own client seed, so the verification below covers a seed they chose.
    await page.click("a[data-nav='fair']")
    await expect(page.locator("#client-seed")).not_to_be_empty()
    await page.fill("[name=client_seed]", "browser-e2e-seed")
    await page.click("form.row-form button[type=submit]")
    await expect(page.locator("#client-seed")).to_have_text("browser-e2e-seed")

    await open_game(page, "classic-sevens")
    for _ in range(3):
        await spin_slot(page, "classic-sevens")
    await balance_matches_server(page, casino.base_url)
    await watched.shot("classic-slot")

    await open_game(page, "crown-jewels")
    await spin_slot(page, "crown-jewels")
    await balance_matches_server(page, casino.base_url)
    await watched.shot("video-slot")

    await open_game(page, "european-roulette")
    await play_roulette(page)
    await expect(page.locator(".board .cell.landed")).to_have_count(1)
    await balance_matches_server(page, casino.base_url)
    await watched.shot("roulette")

    await open_game(page, "blackjack")
    blackjack_rounds = await play_blackjack_moves(page)
    await balance_matches_server(page, casino.base_url)
    await watched.shot("blackjack")

    await open_game(page, "punto-banco")
    await play_baccarat(page)
    await balance_matches_server(page, casino.base_url)
    await watched.shot("baccarat")

    await page.click("a[data-nav='history']")
    await screen(page, "history")
    await expect(page.locator("li.round")).to_have_count(6 + blackjack_rounds)
    await page.locator("li.round[data-game='classic-sevens'] .round-row").first.click()
    await expect(page.locator(".round-detail .proof")).to_be_visible()
    await watched.shot("history")

    await page.click("a[data-nav='fair']")
    await screen(page, "fair")
    await page.click("#rotate")
    await expect(page.locator("#revealed-seed")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    await page.click("#verify-all")
    verdicts = page.locator("#verify-results .verdict[data-verdict]")
    await expect(verdicts).to_have_count(6 + blackjack_rounds)
    # Every round of every game is replayed by the page's own code, blackjack's actions too.
    for verdict in await verdicts.all():
        await expect(verdict).to_have_attribute("data-verdict", "match")
    await expect(page.locator("#verify-summary")).to_have_text(
        f"{6 + blackjack_rounds} verified, 0 failed"
    )
    await expect(page.locator("#verify-results details[open]")).to_have_count(0)  # collapsed
    await watched.shot("fair-play")

    # The history's export, checked by the stand-alone verifier the server also serves.
    await page.click("a[data-nav='history']")
    async with page.expect_download() as download_info:
        await page.click("#export-rounds")
    exported = await (await download_info.value).path()
    assert json.loads(exported.read_text())["format"] == "casino-rounds/1"
    verifier = await page.context.new_page()
    await verifier.goto(f"{casino.base_url}/verify.html")
    await verifier.set_input_files("#export-file", str(exported))
    await verifier.click("#verify-file")
    await expect(verifier.locator("#verify-summary")).to_have_text(
        f"{6 + blackjack_rounds} verified, 0 failed"
    )
    await verifier.close()
    await page.click("a[data-nav='fair']")
    await screen(page, "fair")

    # Garbage clears the previous results and says why.
    await page.fill("[name=server_seed]", "not a seed")
    await page.click("#verify-all")
    await expect(page.locator("#verify-error")).to_have_text(
        "a server seed is written in hex digits"
    )
    await expect(page.locator("#verify-results .verdict")).to_have_count(0)

    # A seed that is not the revealed one commits to no round of this player.
    await page.fill("[name=server_seed]", "00" * 32)
    await page.click("#verify-all")
    await expect(page.locator("#no-rounds")).to_be_visible()

    await balance_matches_server(page, casino.base_url)
    watched.assert_clean()


async def test_phone_viewport_plays_every_game(casino: ServerProcess, browser: Browser) -> None:
    client, player = await new_player(casino.base_url, deposit=20_000)
    await client.http.aclose()
    watched = await open_page(browser, casino.base_url, "phone", PHONE)
    page = watched.page
    await no_sideways_scroll(page)
    await watched.shot("login")
    await page.fill("[name=login]", str(player["username"]))
    await page.fill("[name=password]", STRONG_PASSWORD)
    await page.click("#login-form button[type=submit]")
    await screen(page, "lobby")
    assert await balance_matches_server(page, casino.base_url) == 20_000
    await no_sideways_scroll(page)
    await watched.shot("lobby")

    await page.click("#topbar a[data-nav='cashier']")
    await screen(page, "cashier")
    await page.click("#deposit-form button:text-is('10.00')")
    await page.click("#deposit-form button[type=submit]")
    await expect(page.locator("#balance")).to_have_attribute("data-minor", "21000")
    assert await balance_matches_server(page, casino.base_url) == 21_000
    await no_sideways_scroll(page)
    await watched.shot("cashier")

    await open_game(page, "classic-sevens")
    await spin_slot(page, "classic-sevens")
    await no_sideways_scroll(page)
    await watched.shot("classic-slot")

    await open_game(page, "crown-jewels")
    await spin_slot(page, "crown-jewels")
    await no_sideways_scroll(page)
    await watched.shot("video-slot")

    await open_game(page, "european-roulette")
    await play_roulette(page)
    await no_sideways_scroll(page)
    await watched.shot("roulette")

    await open_game(page, "blackjack")
    await play_blackjack(page)
    await no_sideways_scroll(page)
    await watched.shot("blackjack")

    await open_game(page, "punto-banco")
    await play_baccarat(page)
    await no_sideways_scroll(page)
    await watched.shot("baccarat")
    await balance_matches_server(page, casino.base_url)

    await page.click("a[data-nav='history']")
    await expect(page.locator("li.round")).to_have_count(5)
    await page.locator("li.round .round-row").first.click()
    await no_sideways_scroll(page)
    await watched.shot("history")

    await page.click("a[data-nav='fair']")
    await page.click("#rotate")
    await page.click("#verify-all")
    await expect(page.locator("#verify-results .verdict[data-verdict='match']")).to_have_count(5)
    await expect(page.locator("#verify-summary")).to_have_text("5 verified, 0 failed")
    await no_sideways_scroll(page)
    await watched.shot("fair-play")
    watched.assert_clean()


async def test_pushes_and_an_unfinished_hand_need_the_player(
    patient_casino: ServerProcess, browser: Browser
) -> None:
    base_url = patient_casino.base_url
    client, player = await new_player(base_url, deposit=10_000)
    watched = await open_page(browser, base_url, "dialogs", DESKTOP)
    page = watched.page
    await page.fill("[name=login]", str(player["username"]))
    await page.fill("[name=password]", STRONG_PASSWORD)
    await page.click("#login-form button[type=submit]")
    await screen(page, "lobby")

    # A hand left open, then the page reloaded: welcome lists it and a dialog offers it.
    await open_game(page, "blackjack")
    section = page.locator("section.blackjack")
    for _ in range(10):
        # After a hand that ended on the deal (a natural), wait for the new hand, not the old.
        previous = await section.get_attribute("data-round-id") or ""
        await page.click("#deal")
        await expect(section).not_to_have_attribute("data-round-id", previous)
        await expect(section).to_have_attribute("data-state", DEALT)
        if await section.get_attribute("data-state") == "playing":
            break
    open_round = await section.get_attribute("data-round-id")
    await page.goto(base_url + "/#/lobby")
    await page.reload()
    dialog = page.locator("dialog[data-name='open-round']")
    await expect(dialog).to_be_visible()
    await watched.shot("unfinished-hand")
    await dialog.locator("button[data-value='resume']").click()
    await screen(page, "game-blackjack")
    await expect(section).to_have_attribute("data-round-id", str(open_round))
    await finish_hand(page)
    await balance_matches_server(page, base_url)

    async with client.socket() as sock:
        assert client.token is not None
        welcome = await sock.hello(client.token)
    assert "push" in welcome["capabilities"], welcome

    # A deposit made elsewhere reaches the page as a balance_changed push.
    before = int(await page.get_attribute("#balance", "data-minor") or "0")
    await client.deposit(2_500, idempotency_key=f"elsewhere-{patient_casino.port}")
    await client.http.aclose()
    await expect(page.locator("#balance")).to_have_attribute("data-minor", str(before + 2_500))
    await expect(page.locator(".notice", has_text="deposit")).to_be_visible()

    # A dropped connection comes back by itself, and pushes reach the new one.
    await page.evaluate("async () => (await import('/js/session.js')).session.socket.ws.close()")
    await expect(page.locator(".notice", has_text="Reconnected")).to_be_visible()
    await expect(page.locator("#connection")).to_be_hidden()

    redis = connect_redis(patient_casino.redis.url)
    try:
        player_id = int(str(player["player_id"]))
        notice = {"type": "notice", "message": "You have played for an hour"}
        await push.publish(redis, player_id, notice)
        await expect(page.locator(".notice", has_text="played for an hour")).to_be_visible()
        await watched.shot("notice")
        await push.publish(redis, player_id, {"type": "forced_logout", "reason": "Test logout"})
    finally:
        await redis.aclose()
    dialog = page.locator("dialog[data-name='forced-logout']")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text("Test logout")
    await watched.shot("forced-logout")
    await dialog.locator("button").click()
    await screen(page, "login")
    assert await page.evaluate("sessionStorage.getItem('casino.token')") is None
    watched.assert_clean()
    report = await settled_report(patient_casino)
    assert report.ok, "\n".join(report.lines())


async def test_page_algorithm_and_slot_data_equal_the_servers(
    casino: ServerProcess, browser: Browser
) -> None:
    watched = await open_page(browser, casino.base_url, "algorithm", DESKTOP)
    seed = bytes(range(32))
    # Bounds of one to five bytes, some with heavy rejection (256 needs 8 bits, 255 too).
    bounds = [2, 24, 37, 100, 255, 256, 1000, 65_537, 2**31 - 1, 2**40 + 3, 1, 24]
    page = await watched.page.evaluate(
        """async ([seedHex, bounds]) => {
            const fair = await import("/js/fair.js");
            const seed = fair.hexToBytes(seedHex);
            const stream = new fair.FairStream(seed, "player-seed", 7);
            const draws = [];
            for (const n of bounds) draws.push(await stream.randbelow(n));
            const stops = await fair.replayClassicStops(seed, "abc", 0);
            return {draws, stops, hash: await fair.sha256Hex(seed)};
        }""",
        [seed.hex(), bounds],
    )
    stream = FairGenerator(seed, "player-seed", 7)
    assert page["draws"] == [stream.randbelow(n) for n in bounds]
    slot = FairGenerator(seed, "abc", 0)
    assert page["stops"] == [slot.randbelow(len(reel)) for reel in classic_slot.REELS]
    assert page["hash"] == hashlib.sha256(seed).hexdigest()

    machines = await watched.page.evaluate("async () => (await import('/js/machines.js')).MACHINES")
    for game, module in (("classic-sevens", classic_slot), ("crown-jewels", video_slot)):
        assert machines[game]["strips"] == json.loads(json.dumps(module.REELS))
        assert machines[game]["paylines"] == json.loads(json.dumps(module.PAYLINES))
    watched.assert_clean()


async def test_static_pages_carry_security_headers(casino: ServerProcess) -> None:
    async with CasinoClient(casino.base_url) as client:
        page = await client.http.get("/")
        script = await client.http.get("/js/app.js")
        missing = await client.http.get("/api/no-such-thing")
    assert page.status_code == 200 and '<main id="screen"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert script.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"
