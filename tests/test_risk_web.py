"""A fraud alert's `block_bonuses` seen by the player in Debian's chromium (Playwright)
against a real server: a login from a device the player never used raises the alert (the
policy file makes `new_device` block bonuses), and opting into an offer in the page is
refused with the sentence the wording table gives BONUSES_BLOCKED."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from server.storage.redis_child import RedisChild
from tests.conftest import ServerProcess, start_server, stop_server, unique
from tests.support.accounts import login, register
from tests.test_accounts_web import log_in
from tests.test_web_client import DESKTOP, browser, open_page, screen

__all__ = ["browser"]

STAFF = {"Authorization": "Bearer risk-web-staff-token-0123456789abcdef"}
WORDING = json.loads((Path(__file__).parent.parent / "clients/web/messages.json").read_text())


@pytest.fixture
def server(tmp_path: Path, private_redis: RedisChild) -> Iterator[ServerProcess]:
    policy = tmp_path / "risk-policy.json"
    policy.write_text(json.dumps({"rules": {"new_device": {"action": "block_bonuses"}}}))
    env = {
        "CASINO_STAFF_TOKEN": STAFF["Authorization"].removeprefix("Bearer "),
        "CASINO_RISK_POLICY_FILE": str(policy),
    }
    running = start_server(tmp_path, private_redis, env)
    yield running
    stop_server(running)


async def test_a_bonus_claim_refused_by_a_fraud_alert_says_why_in_the_page(
    server: ServerProcess, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, headers=STAFF) as http:
        offer = await http.post(
            "/api/staff/bonus/definitions",
            json={"name": unique("promo "), "currency": "EUR", "kind": "no_deposit",
                  "trigger": "manual", "amount": 1_000, "wagering": 5},
        )  # fmt: skip
        assert offer.status_code == 201, offer.text
        name, _ = await register(http)
        assert (await login(http, name, device="phone-1")).status_code == 201
    watched = await open_page(browser, server.base_url, "risk-bonus", DESKTOP)
    page = watched.page
    await log_in(page, name)  # the browser's own device: new
    await screen(page, "lobby")
    async with httpx.AsyncClient(base_url=server.base_url, headers=STAFF) as http:
        deadline = time.monotonic() + 20
        while not (await http.get("/api/staff/risk/alerts", params={"rule": "new_device"})).json()[
            "alerts"
        ]:
            assert time.monotonic() < deadline, "no new_device alert"
            await asyncio.sleep(0.1)

    await page.click("a[data-nav='bonus']")
    await screen(page, "bonus")
    await page.click(f"[data-opt-in='{offer.json()['id']}']")
    sentence = WORDING["codes"]["BONUSES_BLOCKED"][0]
    assert sentence.startswith("Bonuses are paused on your account")
    await expect(page.get_by_text(sentence)).to_be_visible()
    await expect(page.locator("#no-active-bonus")).to_be_visible()
    await watched.shot("bonuses-blocked")
    assert watched.errors == [
        "Failed to load resource: the server responded with a status of 409 (Conflict)"
    ]
