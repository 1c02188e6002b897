"""The staff web app's reports and audit viewer in Chromium against the real server: a
report's table, SVG chart and CSV download agree with the JSON API to the cent; the audit
trail pages back in time and "verify chain" shows the verdict, an edited entry included.
Each role sees only its pages in the nav. Screenshots go to the test's tmp directory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from server.storage.redis_child import RedisChild
from tests.conftest import ServerProcess, new_player, start_server, stop_server
from tests.support import db as test_db
from tests.support.backoffice import Office, log_in, nav_labels, open_office
from tests.support.kyc import STAFF_TOKEN
from tests.support.staff import add_staff, bearer
from tests.test_web_client import browser

__all__ = ["browser"]

STAFF = bearer(STAFF_TOKEN)


@pytest.fixture
async def http(casino: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=casino.base_url, timeout=30) as client:
        yield client


@pytest.fixture
async def office(browser: Browser, casino: ServerProcess, tmp_path: Path) -> AsyncIterator[Office]:
    opened = await open_office(browser, casino.base_url, tmp_path)
    yield opened
    await opened.page.context.close()


def today() -> str:
    return datetime.now(UTC).date().isoformat()


async def deposited_player(http: httpx.AsyncClient, base_url: str, amount: int) -> int:
    """A player with one deposit of `amount`, once the reporting store has it (the feeder
    reads the event stream in order, so everything before it is in as well)."""
    client, player = await new_player(base_url, deposit=amount)
    await client.http.aclose()
    player_id = int(str(player["player_id"]))
    for _ in range(150):
        found = (await http.get(f"/api/staff/reports/players/{player_id}/statement",
                                params={"from": today()}, headers=STAFF)).json()  # fmt: skip
        if found["lines"]:
            return player_id
        await asyncio.sleep(0.1)
    raise AssertionError("the deposit never reached the reporting store")


def cents(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100}.{abs(minor) % 100:02d}"


async def show(office: Office, kind: str) -> None:
    page = office.page
    await page.evaluate(f"location.hash = '#/reports/{kind}'")
    await expect(page.locator("#report-kind")).to_have_value(kind)


async def test_the_daily_report_table_chart_and_csv_match_the_api(
    office: Office, casino: ServerProcess, http: httpx.AsyncClient
) -> None:
    await deposited_player(http, casino.base_url, 4_321)
    await log_in(office, add_staff(casino.database_path, "finance"))
    await show(office, "daily")
    page = office.page
    await page.fill("#report-currency", "EUR")
    await page.click("#report-form button")
    await expect(page.locator("#report-table")).to_be_visible()
    query = {"from": today(), "to": today(), "currency": "EUR"}
    api = (await http.get("/api/staff/reports/daily", params=query, headers=STAFF)).json()
    (total,) = api["totals"]
    rows = page.locator("#report-table tbody tr")
    await expect(rows).to_have_count(len(api["rows"]) + 1)
    header = await page.locator("#report-table thead th").all_inner_texts()
    last = rows.last.locator("td")
    assert await last.nth(header.index("day")).inner_text() == "total"
    assert await last.nth(header.index("deposits")).inner_text() == cents(total["deposits"])
    assert await last.nth(header.index("ggr")).inner_text() == cents(total["ggr"])
    bars = page.locator("svg.chart rect.bar")
    await expect(bars).to_have_count(len(api["rows"]))
    assert await bars.first.get_attribute("data-value") == str(api["rows"][0]["ggr"])
    await page.select_option("#report-measure", "deposits")
    await expect(bars.first).to_have_attribute("data-value", str(api["rows"][0]["deposits"]))
    await office.shot("daily-report")
    async with page.expect_download() as waiting:
        await page.click("#report-csv")
    download = await waiting.value
    csv = (await http.get("/api/staff/reports/daily", params={**query, "format": "csv"},
                          headers=STAFF)).text  # fmt: skip
    saved = Path(str(await download.path()))
    assert await asyncio.to_thread(saved.read_text) == csv
    assert download.suggested_filename == "daily.csv"
    assert office.unexpected_errors() == []


async def test_the_liabilities_report_shows_each_currency_balanced(
    office: Office, casino: ServerProcess, http: httpx.AsyncClient
) -> None:
    await log_in(office, add_staff(casino.database_path, "finance"))
    await show(office, "liabilities")
    await office.page.click("#report-form button")
    api = (await http.get("/api/staff/reports/liabilities", headers=STAFF)).json()
    rows = office.page.locator("#report-table tbody tr")
    await expect(rows).to_have_count(len(api["rows"]))
    header = await office.page.locator("#report-table thead th").all_inner_texts()
    cells = rows.first.locator("td")
    assert await cells.nth(header.index("owed")).inner_text() == cents(api["rows"][0]["owed"])
    assert await cells.nth(header.index("balanced")).inner_text() == "yes"
    await expect(office.page.locator("svg.chart rect.bar")).to_have_count(len(api["rows"]))
    await office.shot("liabilities")
    assert office.unexpected_errors() == []


async def test_support_gets_only_the_statement_and_sees_a_players_deposit(
    office: Office, casino: ServerProcess, http: httpx.AsyncClient
) -> None:
    player_id = await deposited_player(http, casino.base_url, 2_500)
    await log_in(office, add_staff(casino.database_path, "support"))
    page = office.page
    await page.click("#nav a[data-page=reports]")
    options = await page.locator("#report-kind option").all_inner_texts()
    assert options == ["Player statement"]
    await page.fill("#report-player", str(player_id))
    await page.click("#report-form button")
    rows = page.locator("#report-table tbody tr")
    await expect(rows).to_have_count(1)
    header = await page.locator("#report-table thead th").all_inner_texts()
    assert await rows.first.locator("td").nth(header.index("amount")).inner_text() == "25.00"
    assert await rows.first.locator("td").nth(header.index("kind")).inner_text() == "deposit"
    await office.shot("statement")
    assert office.unexpected_errors() == []


async def note(http: httpx.AsyncClient, player_id: int, text: str) -> None:
    reply = await http.post(f"/api/staff/players/{player_id}/notes", json={"text": text},
                            headers=STAFF)  # fmt: skip
    assert reply.status_code == 201


async def newest_ids(http: httpx.AsyncClient, limit: int) -> list[int]:
    found = (await http.get("/api/staff/audit", params={"limit": limit}, headers=STAFF)).json()
    return [int(entry["id"]) for entry in found["entries"]]


async def test_the_audit_viewer_pages_back_from_the_newest_entry(
    office: Office, casino: ServerProcess, http: httpx.AsyncClient
) -> None:
    client, player = await new_player(casino.base_url)
    await client.http.aclose()
    for n in range(25):
        await note(http, int(str(player["player_id"])), f"note {n}")
    await log_in(office, add_staff(casino.database_path, "compliance"))
    expected = await newest_ids(http, 40)
    page = office.page
    await page.click("#nav a[data-page=audit]")
    ids = page.locator("#audit-table tbody tr td:first-child")
    await expect(ids).to_have_count(20)
    assert [int(t) for t in await ids.all_inner_texts()] == expected[:20]
    await office.shot("audit")
    await page.click("#audit-older")
    await expect(ids.first).to_have_text(str(expected[20]))
    assert [int(t) for t in await ids.all_inner_texts()] == expected[20:40]
    assert office.unexpected_errors() == []


async def test_verify_chain_shows_an_intact_chain(
    office: Office, casino: ServerProcess, http: httpx.AsyncClient
) -> None:
    await log_in(office, add_staff(casino.database_path, "admin"))
    page = office.page
    await page.click("#nav a[data-page=audit]")
    await page.click("#audit-verify")
    await expect(page.locator("#audit-verdict")).to_contain_text("Chain intact: ")
    verdict = (await http.get("/api/staff/audit/verify", headers=STAFF)).json()
    await expect(page.locator("#audit-verdict")).to_have_text(
        f"Chain intact: {verdict['entries']} entries, head {verdict['head']}"
    )
    assert office.unexpected_errors() == []


@pytest.fixture
def tampered(tmp_path: Path, private_redis: RedisChild) -> Iterator[ServerProcess]:
    workdir = tmp_path / "tampered"
    workdir.mkdir()
    server = start_server(workdir, private_redis)
    yield server
    stop_server(server)


async def test_verify_chain_names_an_edited_entry(
    browser: Browser, tampered: ServerProcess, tmp_path: Path
) -> None:
    member = add_staff(tampered.database_path, "compliance")
    office = await open_office(browser, tampered.base_url, tmp_path)
    await log_in(office, member)  # the login is an entry; so is every one before it
    with test_db.connect(tampered.database_path) as db:
        (first,) = db.query("SELECT MIN(id) FROM audit_trail")[0]
        db.execute("UPDATE audit_trail SET reason = 'nothing happened' WHERE id = ?", (first,))
    await office.page.click("#nav a[data-page=audit]")
    await office.page.click("#audit-verify")
    await expect(office.page.locator("#audit-verdict")).to_have_text(
        f"Chain broken at entry {first}: its content does not match its hash"
    )
    await office.shot("audit-broken")
    assert office.unexpected_errors() == []
    await office.page.context.close()


NAV = {
    "support": ["Players", "Reports"],
    "compliance": ["Players", "KYC queue", "AML cases", "Reports", "Audit"],
    "finance": ["Players", "Withdrawals", "Reports"],
    "risk": ["Players", "Alerts"],
    "admin": ["Players", "KYC queue", "Withdrawals", "Alerts", "AML cases", "Reports", "Audit"],
}


@pytest.mark.parametrize("role", list(NAV))
async def test_each_role_sees_only_its_pages(
    office: Office, casino: ServerProcess, role: str
) -> None:
    await log_in(office, add_staff(casino.database_path, role))
    assert await nav_labels(office) == NAV[role]
    await office.shot(f"nav-{role}")
    assert office.unexpected_errors() == []


async def test_a_page_the_role_may_not_use_says_so(office: Office, casino: ServerProcess) -> None:
    await log_in(office, add_staff(casino.database_path, "risk"))
    await office.page.evaluate("location.hash = '#/audit'")
    await expect(office.page.locator("#page h1")).to_have_text("Not available")
    assert office.unexpected_errors() == []
