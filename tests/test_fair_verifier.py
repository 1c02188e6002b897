"""The stand-alone verifier, clients/web/verify.html, opened from disk in Chromium with no
server: it reads a round export (the documented "casino-rounds/1" format) and checks every
round with the bundled replay; it asks nothing of the network. Its one script is the
bundle of the page's modules, held equal to what clients/web_verifier.py makes of them.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, ViewportSize, expect

from clients.web_verifier import BUNDLE, bundle
from tests.support.known_rounds import FIXTURE
from tests.test_web_client import TIMEOUT_MS, browser

__all__ = ["browser"]  # the Chromium fixture, shared with the end-to-end tests

KNOWN = json.loads(FIXTURE.read_text())
SEED_HEX: str = KNOWN["server_seed"]
SEED_HASH: str = KNOWN["rounds"][0]["proof"]["server_seed_hash"]
PAGE = Path(__file__).resolve().parent.parent / "clients" / "web" / "verify.html"


def export(rounds: list[dict[str, Any]], seeds: dict[str, str]) -> dict[str, Any]:
    return {
        "format": "casino-rounds/1",
        "exported_at": "2026-01-01T00:00:00Z",
        "rounds": rounds,
        "server_seeds": seeds,
    }


class Offline:
    """verify.html opened from disk; every request it makes is recorded."""

    def __init__(self, page: Page, tmp_path: Path) -> None:
        self.page = page
        self.tmp_path = tmp_path
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    async def verify(self, content: str | dict[str, Any], seeds: str = "") -> None:
        path = self.tmp_path / "rounds.json"
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        await self.page.set_input_files("#export-file", str(path))
        await self.page.fill("#extra-seeds", seeds)
        await self.page.click("#verify-file")

    async def summary(self) -> str:
        summary = self.page.locator("#verify-summary")
        await expect(summary).to_be_visible()
        return await summary.inner_text()


@pytest.fixture
async def offline(browser: Browser, tmp_path: Path) -> AsyncIterator[Offline]:
    context = await browser.new_context(viewport=ViewportSize(width=1280, height=860))
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    watched = Offline(page, tmp_path)
    await page.goto(PAGE.as_uri())
    yield watched
    await context.close()
    assert watched.errors == []
    assert [url for url in watched.requests if not url.startswith("file://")] == []


def test_the_bundle_is_what_the_modules_make() -> None:
    assert BUNDLE.read_text() == bundle(), "run: python -m clients.web_verifier"


async def test_a_saved_export_of_every_game_verifies_from_disk(offline: Offline) -> None:
    await offline.verify(export(KNOWN["rounds"], {SEED_HASH: SEED_HEX}))
    assert await offline.summary() == "21 verified, 0 failed"
    verdicts = offline.page.locator("#verify-results .verdict[data-verdict='match']")
    await expect(verdicts).to_have_count(21)
    await expect(offline.page.locator("#verify-results details[open]")).to_have_count(0)


async def test_a_changed_round_is_the_one_failure_and_is_shown_open(offline: Offline) -> None:
    rounds = copy.deepcopy(KNOWN["rounds"])
    rounds[4]["outcome"]["pocket"] = (rounds[4]["outcome"]["pocket"] + 1) % 37
    await offline.verify(export(rounds, {SEED_HASH: SEED_HEX}))
    assert await offline.summary() == "20 verified, 1 failed"
    opened = offline.page.locator("#verify-results details[open]")
    await expect(opened).to_have_count(1)
    await expect(opened.locator(".verdict")).to_have_attribute("data-verdict", "outcome-mismatch")
    await expect(opened.locator(".verdict-detail")).to_contain_text("pocket: replayed")


async def test_a_seed_missing_from_the_file_can_be_pasted(offline: Offline) -> None:
    await offline.verify(export(KNOWN["rounds"], {}))
    assert await offline.summary() == "0 verified, 0 failed, 21 with a server seed not yet revealed"
    await offline.verify(export(KNOWN["rounds"], {}), seeds=SEED_HEX)
    assert await offline.summary() == "21 verified, 0 failed"


async def test_a_file_that_is_not_an_export_clears_the_results_and_says_why(
    offline: Offline,
) -> None:
    await offline.verify(export(KNOWN["rounds"][:2], {SEED_HASH: SEED_HEX}))
    assert await offline.summary() == "2 verified, 0 failed"
    await offline.verify("{not json")
    await expect(offline.page.locator("#verify-error")).to_have_text("the file is not JSON")
    await expect(offline.page.locator("#verify-results")).to_be_empty()
    await offline.verify({"rounds": []})
    await expect(offline.page.locator("#verify-error")).to_contain_text('format "casino-rounds/1"')
