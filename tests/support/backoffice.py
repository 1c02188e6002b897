"""The staff web app in Chromium for tests: a page with its console errors collected (a
CSP violation is one), logged in through the real login form with a real staff member's
TOTP code, and a screenshot of each page into the test's own tmp directory."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from tests.support.staff import PASSWORD, Member

TIMEOUT_MS = 15_000
# What Chromium logs for an HTTP error reply the page expected (a refusal it shows).
EXPECTED_HTTP = "Failed to load resource: the server responded with a status of"


@dataclass
class Office:
    page: Page
    shots_dir: Path
    errors: list[str] = field(default_factory=list)
    shots: int = 0

    async def shot(self, label: str) -> Path:
        self.shots += 1
        path = self.shots_dir / f"backoffice-{self.shots:02d}-{label}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        return path

    def unexpected_errors(self, allowed_statuses: tuple[int, ...] = ()) -> list[str]:
        """Console errors and uncaught exceptions, but for HTTP replies of `allowed_statuses`."""
        allowed = tuple(f"{EXPECTED_HTTP} {status}" for status in allowed_statuses)
        return [e for e in self.errors if not (allowed and e.startswith(allowed))]

    async def token(self) -> str:
        held = await self.page.evaluate("JSON.parse(sessionStorage.getItem('backoffice.session'))")
        return str(held["token"])


async def open_office(browser: Browser, base_url: str, shots_dir: Path) -> Office:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    office = Office(page, shots_dir)
    page.on("console", lambda m: office.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: office.errors.append(str(e)))
    await page.goto(f"{base_url}/backoffice/")
    await expect(page.locator("#login-form")).to_be_visible()
    return office


async def log_in(office: Office, member: Member, code: str | None = None) -> None:
    page = office.page
    await page.fill("#login-name", member.name)
    await page.fill("#login-password", PASSWORD)
    await page.fill("#login-code", code or member.code())
    await page.click("#login-form button[type=submit]")
    await expect(page.locator("#topbar")).to_be_visible()
    await expect(page.locator("#who")).to_have_text(f"{member.name} ({member.role})")


async def nav_labels(office: Office) -> list[str]:
    return [text.strip() for text in await office.page.locator("#nav a:visible").all_inner_texts()]


async def open_profile(office: Office, player_id: int | str) -> None:
    await office.page.evaluate(f"location.hash = '#/player/{player_id}'")
    await expect(office.page.locator("#profile-title")).to_contain_text(f"#{player_id}")
