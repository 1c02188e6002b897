"""AML cases in the staff web app, in Chromium against the real server and the sandbox
gateway: a case opened the way production opens one (EUR 3,000 deposited and straight
back out), claimed by a compliance officer and cleared with a reason, after which the
player's withdrawal is paid. The ledger reconciles after the test (the `client` fixture)."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.async_api import Browser, expect

from clients.api import CasinoClient
from tests.support.backoffice import log_in, open_office
from tests.support.payments import Paying, pay
from tests.support.staff import add_staff
from tests.test_aml_staff_api import held
from tests.test_aml_withdrawals import client, screening
from tests.test_web_client import browser

__all__ = ["browser", "client", "screening"]


async def test_a_compliance_officer_claims_and_clears_a_case_with_a_reason(
    browser: Browser, screening: Paying, client: CasinoClient, tmp_path: Path
) -> None:
    case_id = await held(screening, client)
    office = await open_office(browser, screening.server.base_url, tmp_path)
    member = add_staff(screening.server.database_path, "compliance")
    await log_in(office, member)
    page = office.page
    await page.click("#nav a[data-page=aml]")
    await page.locator(f"#aml-table tr[data-item='{case_id}'] button.claim").click()
    form = page.locator(f"#aml-decide-{case_id}")
    await form.locator("input[name=reason]").fill("payslip seen")
    await office.shot("aml-case")
    await form.locator("button[value=clear]").click()
    await expect(page.locator(f"#aml-case-{case_id}")).to_have_count(0)
    await expect(page.locator(f"#aml-table tr[data-item='{case_id}']")).to_have_count(0)
    session = {"Authorization": f"Bearer {await office.token()}"}
    async with httpx.AsyncClient(base_url=screening.server.base_url, headers=session) as http:
        one = (await http.get(f"/api/staff/aml/cases/{case_id}")).json()
    assert (one["status"], one["closed_by"], one["closed_reason"]) == (
        "cleared", member.name, "payslip seen",
    )  # fmt: skip
    status, paid = await pay(client, "withdrawals", 290_000)
    assert (status, paid["status"]) == (201, "completed")
    assert office.unexpected_errors() == []
    await page.context.close()
