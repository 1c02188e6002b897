"""A player's transactions (`GET /api/transactions`, server/money/transactions.py): the
ledger's movements of their money other than stakes and wins, newest first, a page at a
time, each with what it did to the spendable balance; and the Transactions page in Debian's
chromium."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, expect

from clients.api import ApiFailure, CasinoClient
from tests.conftest import ServerProcess, new_player, settled_report, unique
from tests.support.kyc import STAFF_TOKEN
from tests.support.staff import add_staff, bearer, login
from tests.test_accounts_web import log_in
from tests.test_web_client import DESKTOP, browser, open_page, screen

__all__ = ["browser"]


@pytest.fixture(scope="module")
def approver(casino: ServerProcess) -> str:
    """A finance staff member's session: approves what the automation key proposes."""
    return login(casino.base_url, add_staff(casino.database_path, "finance"))


def adjust(server: ServerProcess, approver: str, player_id: int, amount: int) -> int:
    proposed = httpx.post(
        f"{server.base_url}/api/staff/adjustments",
        json={"player_id": player_id, "amount": amount, "reason": "goodwill for outage"},
        headers={**bearer(STAFF_TOKEN), "Idempotency-Key": unique("adj-")},
    ).json()["proposal_id"]
    approved = httpx.post(
        f"{server.base_url}/api/staff/proposals/{proposed}/approve",
        json={"reason": "checked the ticket"},
        headers=bearer(approver),
    )
    assert approved.json()["status"] == "approved", approved.text
    return int(proposed)


async def transactions(client: CasinoClient, query: str = "") -> dict[str, Any]:
    reply: dict[str, Any] = await client.call("GET", f"/api/transactions{query}")
    return reply


async def played_deposited_and_adjusted(
    server: ServerProcess, approver: str
) -> tuple[CasinoClient, dict[str, object], int]:
    client, player = await new_player(server.base_url, deposit=5_000)
    await client.deposit(2_500, idempotency_key=unique("dep-"))
    async with client.socket() as sock:
        assert client.token is not None
        await sock.hello(client.token)
        await sock.spin("classic-sevens", 100)
    adjustment = adjust(server, approver, int(str(player["player_id"])), 1_500)
    await settled_report(server)  # the flusher has written the spin and the adjustment
    return client, player, adjustment


async def test_the_transactions_are_the_ledgers_movements_other_than_stakes_and_wins(
    casino: ServerProcess, approver: str
) -> None:
    client, _, adjustment = await played_deposited_and_adjusted(casino, approver)
    async with client:
        found = await transactions(client)
    lines = [
        (t["kind"], t["amount"], t["from"], t["to"], t["change"], t["reference"])
        for t in found["transactions"]
    ]
    assert lines[0] == ("adjustment", 1_500, "outside", "cash", 1_500, f"adjustment:{adjustment}")
    assert [line[:5] for line in lines[1:]] == [
        ("deposit", 2_500, "outside", "cash", 2_500),
        ("deposit", 5_000, "outside", "cash", 5_000),
    ]
    assert found["next_cursor"] is None


async def test_pages_follow_the_cursor_to_the_first_transaction(
    casino: ServerProcess, approver: str
) -> None:
    client, _, _ = await played_deposited_and_adjusted(casino, approver)
    async with client:
        first = await transactions(client, "?limit=2")
        assert first["next_cursor"] is not None
        rest = await transactions(client, f"?limit=2&cursor={first['next_cursor']}")
    kinds = [t["kind"] for t in first["transactions"] + rest["transactions"]]
    assert (kinds, rest["next_cursor"]) == (["adjustment", "deposit", "deposit"], None)


@pytest.mark.parametrize("query", ["?cursor=abc", "?limit=0", "?limit=101", "?cursor=-1"])
async def test_a_bad_limit_or_cursor_is_refused(casino: ServerProcess, query: str) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        with pytest.raises(ApiFailure) as refused:
            await transactions(client, query)
    assert refused.value.code == "VALIDATION_FAILED"


async def test_a_new_player_sees_none_of_anyone_elses(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        assert await transactions(client) == {"transactions": [], "next_cursor": None}


async def test_the_transactions_page_lists_deposits_and_adjustments(
    casino: ServerProcess, approver: str, browser: Browser
) -> None:
    client, player, _ = await played_deposited_and_adjusted(casino, approver)
    await client.http.aclose()
    watched = await open_page(browser, casino.base_url, "transactions", DESKTOP)
    page = watched.page
    await log_in(page, str(player["username"]))
    await screen(page, "lobby")
    await page.click("a[data-nav='transactions']")
    await screen(page, "transactions")
    rows = page.locator("li.tx-row")
    await expect(rows).to_have_count(3)
    await expect(rows.nth(0)).to_have_attribute("data-kind", "adjustment")
    await expect(rows.nth(0)).to_contain_text("Adjustment by our team")
    await expect(rows.nth(0).locator(".change")).to_have_text("+15.00 EUR")
    await expect(rows.nth(2)).to_contain_text("Deposit")
    await expect(page.locator("#transactions-more")).to_be_hidden()
    await watched.shot("transactions")
    watched.assert_clean()
