"""The staff web app's queues in Chromium against the real server: a KYC review with the
uploaded document shown in the page, claimed by one reviewer while the others see who
holds it; four-eyes proposals where the proposer gets no approve button; risk alerts
assigned and resolved with a reason. Screenshots go to the test's tmp directory; no page
logs a console error."""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.conftest import ServerProcess, new_player
from tests.support.accounts import login as player_login
from tests.support.accounts import register
from tests.support.backoffice import Office, log_in, open_office
from tests.support.kyc import STAFF_TOKEN
from tests.support.staff import add_staff, bearer, login
from tests.test_web_client import browser

__all__ = ["browser"]


def png(width: int, height: int) -> bytes:
    """A real PNG (grey pixels) that Chromium decodes: the reviewer's <img> must show it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))  # fmt: skip


@pytest.fixture
async def http(casino: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=casino.base_url, timeout=30) as client:
        yield client


@pytest.fixture
async def office(browser: Browser, casino: ServerProcess, tmp_path: Path) -> AsyncIterator[Office]:
    opened = await open_office(browser, casino.base_url, tmp_path)
    yield opened
    await opened.page.context.close()


async def pending_player(base_url: str) -> int:
    """A player waiting in the KYC queue with one identity document, a 40x30 PNG."""
    client, player = await new_player(base_url)
    reply = await client.http.post(
        "/api/kyc/documents", params={"kind": "id", "filename": "passport.png"},
        content=png(40, 30), headers={"Authorization": f"Bearer {client.token}"},
    )  # fmt: skip
    await client.http.aclose()
    assert reply.status_code == 201, reply.text
    return int(str(player["player_id"]))


def kyc_level(base_url: str, player_id: int) -> int:
    found = httpx.get(f"{base_url}/api/staff/players/{player_id}", headers=bearer(STAFF_TOKEN))
    return int(found.json()["kyc_level"])


async def test_a_reviewer_claims_sees_the_document_and_approves(
    office: Office, casino: ServerProcess
) -> None:
    player_id = await pending_player(casino.base_url)
    await log_in(office, add_staff(casino.database_path, "compliance"))
    page = office.page
    await page.click("#nav a[data-page=kyc]")
    row = page.locator(f"#kyc-table tr[data-item='{player_id}']")
    await row.locator("button.claim").click()
    image = page.locator(f"#kyc-review-{player_id} img.doc-view")
    await expect(image).to_be_visible()
    await page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=await image.element_handle()
    )
    assert await image.evaluate("(img) => [img.naturalWidth, img.naturalHeight]") == [40, 30]
    await office.shot("kyc-review")
    await page.fill(f"#kyc-decide-{player_id} input[name=reason]", "passport matches")
    await page.click(f"#kyc-decide-{player_id} button[value=approve]")
    await expect(page.locator(f"#kyc-review-{player_id}")).to_have_count(0)
    assert kyc_level(casino.base_url, player_id) == 1
    assert office.unexpected_errors() == []


async def test_an_item_another_reviewer_holds_shows_the_holder_and_no_review(
    office: Office, casino: ServerProcess, http: httpx.AsyncClient
) -> None:
    player_id = await pending_player(casino.base_url)
    other = add_staff(casino.database_path, "compliance")
    held = await http.post(f"/api/staff/queues/kyc/{player_id}/claim",
                      headers=bearer(login(casino.base_url, other)))  # fmt: skip
    assert held.status_code == 200
    await log_in(office, add_staff(casino.database_path, "compliance"))
    page = office.page
    await page.click("#nav a[data-page=kyc]")
    row = page.locator(f"#kyc-table tr[data-item='{player_id}']")
    await expect(row.locator(".holder")).to_have_text(f"held by {other.name}")
    assert await page.locator(f"#kyc-review-{player_id}").count() == 0
    await office.shot("kyc-held")
    assert office.unexpected_errors() == []


async def test_a_claim_held_by_another_is_refused_naming_the_holder(
    casino: ServerProcess, http: httpx.AsyncClient
) -> None:
    first, second = (add_staff(casino.database_path, "finance") for _ in range(2))
    url = "/api/staff/queues/withdrawals/987654/claim"
    assert (await http.post(url, headers=bearer(login(casino.base_url, first)))).status_code == 200
    refused = await http.post(url, headers=bearer(login(casino.base_url, second)))
    assert refused.status_code == 409
    assert (refused.json()["error"]["code"], refused.json()["error"]["holder"]) == (
        "QUEUE_ITEM_CLAIMED", first.name,
    )  # fmt: skip


async def test_a_view_ticket_streams_the_document_once_with_no_store(
    casino: ServerProcess, http: httpx.AsyncClient
) -> None:
    player_id = await pending_player(casino.base_url)
    listed = (
        await http.get(f"/api/staff/kyc/{player_id}/documents", headers=bearer(STAFF_TOKEN))
    ).json()
    (document,) = listed["documents"]
    ticket = (
        await http.post(
            f"/api/staff/kyc/documents/{document['document_id']}/view", headers=bearer(STAFF_TOKEN)
        )
    ).json()
    first = await http.get(ticket["url"])
    assert (first.status_code, first.content) == (200, png(40, 30))
    assert first.headers["content-type"] == "image/png"
    assert first.headers["cache-control"] == "no-store"
    assert first.headers["x-content-type-options"] == "nosniff"
    assert (await http.get(ticket["url"])).status_code == 404


def _propose(base_url: str, token: str, player_id: int, amount: int) -> int:
    reply = httpx.post(
        f"{base_url}/api/staff/adjustments",
        json={"player_id": player_id, "amount": amount, "reason": "goodwill"},
        headers={**bearer(token), "Idempotency-Key": f"adj-{player_id}-{amount}"},
    )
    assert reply.status_code == 201, reply.text
    return int(reply.json()["proposal_id"])


async def test_the_proposer_gets_no_approve_button_on_their_own_proposal(
    office: Office, casino: ServerProcess
) -> None:
    client, player = await new_player(casino.base_url)
    await client.http.aclose()
    proposer = add_staff(casino.database_path, "finance")
    await log_in(office, proposer)
    proposal_id = _propose(
        casino.base_url, await office.token(), int(str(player["player_id"])), 500
    )
    page = office.page
    await page.click("#nav a[data-page=withdrawals]")
    row = page.locator(f"#withdrawals-table tr[data-item='{proposal_id}']")
    await row.locator("button.claim").click()
    form = page.locator(f"#proposal-decide-{proposal_id}")
    await expect(form.locator("button[value=reject]")).to_be_visible()
    assert await form.locator("button[value=approve]").count() == 0
    await office.shot("own-proposal")
    assert office.unexpected_errors() == []


async def test_another_finance_member_approves_an_adjustment_with_a_reason(
    office: Office, casino: ServerProcess, http: httpx.AsyncClient
) -> None:
    client, player = await new_player(casino.base_url)
    await client.http.aclose()
    player_id = int(str(player["player_id"]))
    proposal_id = _propose(casino.base_url, login(casino.base_url, add_staff(
        casino.database_path, "finance")), player_id, 700)  # fmt: skip
    await log_in(office, add_staff(casino.database_path, "finance"))
    page = office.page
    await page.click("#nav a[data-page=withdrawals]")
    row = page.locator(f"#withdrawals-table tr[data-item='{proposal_id}']")
    await row.locator("button.claim").click()
    form = page.locator(f"#proposal-decide-{proposal_id}")
    await form.locator("input[name=reason]").fill("outage confirmed by ops")
    await form.locator("button[value=approve]").click()
    await expect(page.locator(f"#proposal-{proposal_id}")).to_have_count(0)
    done = (
        await http.get(f"/api/staff/proposals/{proposal_id}", headers=bearer(STAFF_TOKEN))
    ).json()
    assert (done["status"], done["decided_reason"]) == ("approved", "outage confirmed by ops")
    profile = (
        await http.get(f"/api/staff/players/{player_id}", headers=bearer(STAFF_TOKEN))
    ).json()
    assert profile["balances"]["cash"] == 700
    assert office.unexpected_errors() == []


async def test_a_risk_analyst_assigns_an_alert_and_dismisses_it_with_a_reason(
    office: Office, casino: ServerProcess, http: httpx.AsyncClient
) -> None:
    name, _ = await register(http)
    assert (await player_login(http, name, device="phone-1")).status_code == 201
    assert (await player_login(http, name, device="laptop-2")).status_code == 201
    alert = None
    for _ in range(100):  # the monitor judges the login once the outbox relays it
        found = (await http.get("/api/staff/risk/alerts", params={"rule": "new_device"},
                                headers=bearer(STAFF_TOKEN))).json()["alerts"]  # fmt: skip
        alert = next((a for a in found if a["evidence"]["device_id"] == "laptop-2"
                      and a["assignee"] is None), None)  # fmt: skip
        if alert is not None:
            break
        await asyncio.sleep(0.1)
    assert alert is not None
    await log_in(office, add_staff(casino.database_path, "risk"))
    page = office.page
    await page.click("#nav a[data-page=alerts]")
    row = page.locator(f"#alerts-table tr[data-item='{alert['id']}']")
    await row.locator("button.claim").click()
    form = page.locator(f"#alert-resolve-{alert['id']}")
    await form.locator("input[name=reason]").fill("player bought a laptop")
    await office.shot("alert")
    await form.locator("button[value=dismissed]").click()
    await expect(page.locator(f"#alert-{alert['id']}")).to_have_count(0)
    query = {"status": "dismissed", "player_id": alert["player_id"]}
    after = (
        await http.get("/api/staff/risk/alerts", params=query, headers=bearer(STAFF_TOKEN))
    ).json()["alerts"]
    assert [(a["id"], a["resolved_reason"]) for a in after] == [
        (alert["id"], "player bought a laptop")
    ]
    assert office.unexpected_errors() == []


async def test_a_pdf_ticket_is_served_as_an_attachment_of_its_type(
    casino: ServerProcess, http: httpx.AsyncClient
) -> None:
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    client, _ = await new_player(casino.base_url)
    uploaded = await client.http.post(
        "/api/kyc/documents", params={"kind": "address", "filename": "bill.pdf"}, content=pdf,
        headers={"Authorization": f"Bearer {client.token}"},
    )  # fmt: skip
    await client.http.aclose()
    document_id = uploaded.json()["document_id"]
    ticket = (
        await http.post(f"/api/staff/kyc/documents/{document_id}/view", headers=bearer(STAFF_TOKEN))
    ).json()
    served = await http.get(ticket["url"])
    assert (served.status_code, served.content) == (200, pdf)
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["content-disposition"] == f'attachment; filename="kyc-{document_id}.pdf"'
    assert ticket["content_type"] == "application/pdf"


async def test_a_support_session_gets_no_view_ticket(
    casino: ServerProcess, http: httpx.AsyncClient
) -> None:
    token = login(casino.base_url, add_staff(casino.database_path, "support"))
    refused = await http.post("/api/staff/kyc/documents/1/view", headers=bearer(token))
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "STAFF_ROLE_REFUSED")
