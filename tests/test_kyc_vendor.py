"""KYC through the vendor, the automated decisions and the staff queue, on a real server with
the sandbox KYC vendor as its own process: each answer arrives by a signed webhook, is applied
once and in order, and every decision leaves its event and audit entry."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from playwright.async_api import Browser, expect

import rng
from clients.api import CasinoClient
from server.kyc import rules
from server.kyc.vendor_child import SandboxKycChild
from server.storage.database import Database
from server.storage.redis_child import RedisChild
from tests.conftest import (
    STRONG_PASSWORD,
    ServerProcess,
    new_player,
    settled_report,
    start_server,
    stop_server,
    unique,
)
from tests.test_terminal_client import play as play_terminal
from tests.test_web_client import DESKTOP, browser, open_page

__all__ = ["browser"]  # the fixture, used by name below

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"
STAFF_TOKEN = rng.token_urlsafe(24)


@pytest.fixture(scope="module")
def vendor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxKycChild]:
    # "late" documents stay pending for a minute: the staff queue's players.
    child = SandboxKycChild(tmp_path_factory.mktemp("kyc-vendor"), delay_ms=50, late_ms=60_000)
    child.start()
    yield child
    child.stop()


@pytest.fixture(scope="module")
def kyc_casino(
    tmp_path_factory: pytest.TempPathFactory, own_redis: RedisChild, vendor: SandboxKycChild
) -> Iterator[ServerProcess]:
    server = start_server(
        tmp_path_factory.mktemp("kyc-casino"),
        own_redis,
        {
            "CASINO_KYC_VENDOR_URL": vendor.url,
            "CASINO_KYC_VENDOR_KEY": vendor.token,
            "CASINO_KYC_WEBHOOK_SECRET": vendor.secret,
            "CASINO_STAFF_TOKEN": STAFF_TOKEN,
        },
    )
    yield server
    stop_server(server)


@pytest.fixture
async def db(kyc_casino: ServerProcess) -> AsyncIterator[Database]:
    database = Database(kyc_casino.database_path)
    await database.open()
    yield database
    await database.close()


async def player(
    server: ServerProcess, country: str = "DE", born: str = "1985-06-15", deposit: int = 0
) -> tuple[CasinoClient, int]:
    if country == "DE" and born == "1985-06-15":
        client, registered = await new_player(server.base_url, deposit=deposit)
        return client, int(str(registered["player_id"]))
    client = CasinoClient(server.base_url)
    name = unique("k_")
    registered = await client.register(
        email=f"{name}@example.com", username=name, password=STRONG_PASSWORD,
        date_of_birth=born, country=country, currency="EUR",
    )  # fmt: skip
    await client.login(name, STRONG_PASSWORD)
    return client, int(str(registered["player_id"]))


async def upload(client: CasinoClient, kind: str, filename: str, **params: str) -> Any:
    response = await client.http.post(
        "/api/kyc/documents",
        params={"kind": kind, "filename": filename, **params},
        content=PDF,
        headers={"Authorization": f"Bearer {client.token}"},
    )
    assert response.status_code == 201, response.text
    return response.json()


async def status(client: CasinoClient) -> dict[str, Any]:
    found: dict[str, Any] = await client.call("GET", "/api/kyc/status")
    return found


async def settles(client: CasinoClient, wanted: str, timeout_s: float = 15.0) -> dict[str, Any]:
    """The status once it is `wanted` (the webhook arrives on the vendor's time)."""
    for _ in range(int(timeout_s / 0.05)):
        found = await status(client)
        if found["kyc_status"] == wanted:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"KYC status never became {wanted}: {found}")


async def vendor_events(db: Database, player_id: int) -> list[tuple[Any, ...]]:
    rows = await db.fetchall(
        "SELECT e.review_seq, e.answer, e.applied FROM kyc_vendor_events e"
        " JOIN kyc_applicants a ON a.applicant_id = e.applicant_id WHERE a.player_id = ?"
        " ORDER BY e.received_at, e.review_seq",
        (player_id,),
    )
    return [tuple(row) for row in rows]


async def kyc_events(db: Database, player_id: int) -> list[dict[str, Any]]:
    rows = await db.fetchall(
        "SELECT payload FROM event_outbox WHERE player_id = ? AND kind = 'kyc' AND version = 2"
        " ORDER BY id",
        (player_id,),
    )
    return [msgspec.json.decode(str(row[0])) for row in rows]


async def audit_actions(db: Database, player_id: int) -> list[tuple[str, str]]:
    rows = await db.fetchall(
        "SELECT actor, action FROM audit_trail WHERE subject = ? AND action LIKE 'kyc.%'"
        " ORDER BY id",
        (f"player:{player_id}",),
    )
    return [(str(row[0]), str(row[1])) for row in rows]


async def applicant_id(db: Database, player_id: int) -> str:
    row = await db.fetchone(
        "SELECT applicant_id FROM kyc_applicants WHERE player_id = ?", (player_id,)
    )
    assert row is not None
    return str(row[0])


def signed(secret: str, body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    raw = msgspec.json.encode(body)
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"X-Payload-Digest": digest, "Content-Type": "application/json"}


def review(applicant: str, seq: int, answer: str, reject_type: str = "") -> dict[str, Any]:
    return {
        "eventId": f"evt_{rng.token_urlsafe(9)}", "type": "applicantReviewed",
        "applicantId": applicant, "level": 1, "reviewSeq": seq,
        "reviewResult": {"reviewAnswer": answer, "reviewRejectType": reject_type,
                         "rejectLabels": [], "moderationComment": ""},
    }  # fmt: skip


async def post_webhook(server: ServerProcess, raw: bytes, headers: dict[str, str]) -> Any:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        return await http.post("/api/kyc/vendor/webhook", content=raw, headers=headers)


async def redeliver(vendor: SandboxKycChild, applicant: str) -> None:
    async with httpx.AsyncClient(base_url=vendor.url) as http:
        reply = await http.post(
            f"/admin/redeliver/{applicant}", headers={"Authorization": f"Bearer {vendor.token}"}
        )
        assert reply.status_code == 200


def staff(server: ServerProcess, token: str = STAFF_TOKEN) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(base_url=server.base_url, headers=headers)


# -- the vendor's answers -----------------------------------------------------------------------
async def test_a_withdrawal_blocked_by_kyc_is_allowed_after_the_vendors_green(
    kyc_casino: ServerProcess, db: Database
) -> None:
    client, player_id = await player(kyc_casino)
    async with client:
        refused = await rules.withdrawal_refusal(db, player_id, 1_000)
        assert refused is not None
        assert (refused.code, refused.extra) == ("KYC_REQUIRED", {"required": 1, "level": 0})
        await upload(client, "id", "passport.pdf", name="Ada Lovelace")
        found = await settles(client, "verified")
    assert (found["level"], found["reject_type"]) == (1, "")
    assert await rules.withdrawal_refusal(db, player_id, 1_000) is None


async def test_a_red_final_answer_rejects_with_labels_and_a_message_for_the_player(
    kyc_casino: ServerProcess,
) -> None:
    client, _ = await player(kyc_casino)
    async with client:
        await upload(client, "id", "passport-red-final.pdf")
        found = await settles(client, "rejected")
    assert (found["level"], found["reject_type"], found["reject_labels"], found["message"]) == (
        0, "FINAL", ["FORGERY"], "We could not verify your identity.",
    )  # fmt: skip


async def test_a_red_retry_answer_asks_for_better_documents(kyc_casino: ServerProcess) -> None:
    client, _ = await player(kyc_casino)
    async with client:
        await upload(client, "id", "blurred-red-retry.pdf")
        found = await settles(client, "rejected")
    assert (found["reject_type"], found["reject_labels"]) == ("RETRY", ["BAD_QUALITY"])


async def test_a_webhook_delivered_twice_is_applied_once(
    kyc_casino: ServerProcess, vendor: SandboxKycChild, db: Database
) -> None:
    client, player_id = await player(kyc_casino)
    async with client:
        await upload(client, "id", "passport-twice.pdf")
        await settles(client, "verified")
        await redeliver(vendor, await applicant_id(db, player_id))
        assert (await status(client))["level"] == 1
    assert await vendor_events(db, player_id) == [(1, "GREEN", 1)]
    assert [event["status"] for event in await kyc_events(db, player_id)] == [
        "pending", "verified",
    ]  # fmt: skip
    assert await audit_actions(db, player_id) == [("vendor", "kyc.green")]


async def test_a_change_after_a_final_answer_is_applied_once_and_redelivery_changes_nothing(
    kyc_casino: ServerProcess, vendor: SandboxKycChild, db: Database
) -> None:
    client, player_id = await player(kyc_casino)
    async with client:
        await upload(client, "id", "passport-flip.pdf")
        await settles(client, "verified")
        found = await settles(client, "rejected")
        await redeliver(vendor, await applicant_id(db, player_id))
        assert await status(client) == found
    assert (found["level"], found["reject_labels"]) == (0, ["FRAUDULENT_PATTERNS"])
    assert await vendor_events(db, player_id) == [(1, "GREEN", 1), (2, "RED", 1)]
    assert await rules.withdrawal_refusal(db, player_id, 1_000) is not None


async def test_a_late_answer_older_than_the_applied_one_changes_nothing(
    kyc_casino: ServerProcess, vendor: SandboxKycChild, db: Database
) -> None:
    client, player_id = await player(kyc_casino)
    async with client:
        await upload(client, "id", "passport.pdf")
        await settles(client, "verified")
        applicant = await applicant_id(db, player_id)
        newer = await post_webhook(
            kyc_casino, *signed(vendor.secret, review(applicant, 3, "GREEN"))
        )
        older = await post_webhook(
            kyc_casino, *signed(vendor.secret, review(applicant, 2, "RED", "FINAL"))
        )
        assert (newer.json(), older.json()) == ({"outcome": "applied"}, {"outcome": "stale"})
        assert ((await status(client))["kyc_status"], (await status(client))["level"]) == (
            "verified", 1,
        )  # fmt: skip
    assert await vendor_events(db, player_id) == [(1, "GREEN", 1), (3, "GREEN", 1), (2, "RED", 0)]


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "unsigned webhook"),
        ({"X-Payload-Digest": "0" * 64}, "webhook signature does not match its body"),
    ],
)
async def test_an_unsigned_or_forged_webhook_is_logged_refused_and_changes_nothing(
    kyc_casino: ServerProcess, vendor: SandboxKycChild, db: Database,
    headers: dict[str, str], reason: str,
) -> None:  # fmt: skip
    client, player_id = await player(kyc_casino)
    async with client:
        await upload(client, "id", "passport-late.pdf")  # pending for a minute
        raw = msgspec.json.encode(review(await applicant_id(db, player_id), 1, "GREEN"))
        reply = await post_webhook(kyc_casino, raw, {"Content-Type": "application/json", **headers})
        assert reply.status_code == 401
        assert reply.json()["error"]["code"] == "KYC_WEBHOOK_REFUSED"
        assert (await status(client))["kyc_status"] == "pending"
    assert await vendor_events(db, player_id) == []
    assert f"kyc webhook refused from 127.0.0.1: {reason}" in kyc_casino.log()


async def test_a_webhook_signed_with_another_secret_is_refused(
    kyc_casino: ServerProcess, db: Database
) -> None:
    client, player_id = await player(kyc_casino)
    async with client:
        await upload(client, "id", "passport-late.pdf")
        body = review(await applicant_id(db, player_id), 1, "GREEN")
        reply = await post_webhook(kyc_casino, *signed("not-the-secret", body))
        assert reply.status_code == 401
    assert await vendor_events(db, player_id) == []


# -- automated decisions ------------------------------------------------------------------------
async def test_a_player_under_their_countrys_minimum_age_is_red_final(
    kyc_casino: ServerProcess, db: Database
) -> None:
    today = date.today()
    born = date(today.year - 19, 1, 1).isoformat()  # 19: an adult, but Estonia asks 21
    client, player_id = await player(kyc_casino, "EE", born)
    async with client:
        found = (await upload(client, "id", "passport.pdf"), await status(client))[1]
    assert (found["kyc_status"], found["reject_type"], found["reject_labels"]) == (
        "rejected", "FINAL", ["UNDERAGE"],
    )  # fmt: skip
    assert await audit_actions(db, player_id) == [("auto:age", "kyc.red")]


async def test_a_player_of_a_blocked_country_is_red_final(kyc_casino: ServerProcess) -> None:
    client, _ = await player(kyc_casino, "US")
    async with client:
        await upload(client, "id", "passport.pdf")
        found = await status(client)
    assert (found["kyc_status"], found["reject_labels"]) == ("rejected", ["BLOCKED_COUNTRY"])


async def test_a_payment_method_in_another_name_is_red_retry(kyc_casino: ServerProcess) -> None:
    client, _ = await player(kyc_casino)
    async with client:
        await upload(client, "id", "passport.pdf", name="Ada Lovelace")
        await settles(client, "verified")
        await upload(client, "payment", "card.pdf", holder="Charles Babbage")
        found = await status(client)
    assert (found["kyc_status"], found["reject_type"], found["reject_labels"], found["level"]) == (
        "rejected", "RETRY", ["PAYMENT_NAME_MISMATCH"], 1,
    )  # fmt: skip


async def test_a_payment_method_in_the_players_name_goes_to_the_vendor(
    kyc_casino: ServerProcess,
) -> None:
    client, _ = await player(kyc_casino)
    async with client:
        await upload(client, "id", "passport.pdf", name="Ada Lovelace")
        await settles(client, "verified")
        await upload(client, "payment", "card.pdf", holder="LOVELACE, ada")
        await asyncio.sleep(0.5)  # let the level-2 review come back
        found = await settles(client, "verified")
    assert found["level"] == 2


# -- the staff queue ----------------------------------------------------------------------------
async def test_staff_approval_allows_the_withdrawal(
    kyc_casino: ServerProcess, db: Database
) -> None:
    client, player_id = await player(kyc_casino)
    async with client, staff(kyc_casino) as http:
        await upload(client, "id", "passport-late.pdf")
        queue = (await http.get("/api/staff/kyc/queue")).json()["pending"]
        assert player_id in [entry["player_id"] for entry in queue]
        reply = await http.post(f"/api/staff/kyc/{player_id}/approve")
        assert (reply.status_code, reply.json()["kyc_status"], reply.json()["level"]) == (
            200, "verified", 1,
        )  # fmt: skip
    assert await rules.withdrawal_refusal(db, player_id, 1_000) is None
    assert await audit_actions(db, player_id) == [("staff:automation", "kyc.green")]


async def test_staff_asking_for_more_shows_the_reason_to_the_player(
    kyc_casino: ServerProcess,
) -> None:
    client, player_id = await player(kyc_casino)
    async with client, staff(kyc_casino) as http:
        await upload(client, "id", "passport-late.pdf")
        reply = await http.post(
            f"/api/staff/kyc/{player_id}/more", json={"reason": "Please add the back side."}
        )
        assert reply.status_code == 200
        found = await status(client)
    assert (found["kyc_status"], found["reject_type"], found["message"]) == (
        "rejected", "RETRY", "Please add the back side.",
    )  # fmt: skip


async def test_staff_rejection_needs_a_reason(kyc_casino: ServerProcess) -> None:
    client, player_id = await player(kyc_casino)
    async with client, staff(kyc_casino) as http:
        await upload(client, "id", "passport-late.pdf")
        reply = await http.post(f"/api/staff/kyc/{player_id}/reject", json={})
        assert (reply.status_code, reply.json()["error"]["code"]) == (422, "VALIDATION_FAILED")
        assert (await status(client))["kyc_status"] == "pending"


async def test_staff_cannot_review_a_player_who_is_not_pending(kyc_casino: ServerProcess) -> None:
    client, player_id = await player(kyc_casino)
    async with client, staff(kyc_casino) as http:
        reply = await http.post(f"/api/staff/kyc/{player_id}/approve")
    assert (reply.status_code, reply.json()["error"]["code"]) == (409, "KYC_REVIEW_REFUSED")


@pytest.mark.parametrize("token", ["", "wrong-token-of-some-length"])
async def test_the_staff_api_refuses_without_the_staff_token(
    kyc_casino: ServerProcess, token: str
) -> None:
    async with staff(kyc_casino, token) as http:
        reply = await http.get("/api/staff/kyc/queue")
    assert (reply.status_code, reply.json()["error"]["code"]) == (401, "STAFF_ONLY")


# -- documents at rest, money ------------------------------------------------------------------
async def test_a_document_is_encrypted_on_disk_and_reads_back_by_its_hash(
    kyc_casino: ServerProcess, db: Database
) -> None:
    marker = b"%PDF-1.7\nPLAINTEXT-MARKER-" + rng.token_urlsafe(8).encode()
    client, _ = await player(kyc_casino)
    async with client:
        response = await client.http.post(
            "/api/kyc/documents", params={"kind": "address", "filename": "bill-late.pdf"},
            content=marker, headers={"Authorization": f"Bearer {client.token}"},
        )  # fmt: skip
        document = response.json()
        download = await client.http.get(
            f"/api/kyc/documents/{document['document_id']}",
            headers={"Authorization": f"Bearer {client.token}"},
        )
    row = await db.fetchone(
        "SELECT storage_name, encrypted FROM kyc_documents WHERE id = ?",
        (document["document_id"],),
    )
    assert row is not None and row[1] == 1
    on_disk = (kyc_casino.workdir / "kyc" / str(row[0])).read_bytes()
    assert marker not in on_disk and b"PLAINTEXT-MARKER" not in on_disk
    assert document["sha256"] == hashlib.sha256(marker).hexdigest()
    assert download.content == marker


async def test_the_ledger_reconciles_after_kyc_decisions(kyc_casino: ServerProcess) -> None:
    client, _ = await player(kyc_casino, deposit=5_000)
    async with client:
        await upload(client, "id", "passport.pdf")
        await settles(client, "verified")
    report = await settled_report(kyc_casino)
    assert report.ok, "\n".join(report.lines())


# -- the browser --------------------------------------------------------------------------------
async def test_the_browser_shows_the_level_takes_a_document_and_shows_the_vendors_answer(
    kyc_casino: ServerProcess, browser: Browser, tmp_path: Path
) -> None:
    client, registered = await new_player(kyc_casino.base_url)
    await client.http.aclose()
    watched = await open_page(browser, kyc_casino.base_url, "kyc", DESKTOP)
    page = watched.page
    await page.fill("#login-form [name=login]", str(registered["username"]))
    await page.fill("#login-form [name=password]", STRONG_PASSWORD)
    await page.click("#login-form button[type=submit]")
    await page.click("#topbar a[data-nav=kyc]")
    await expect(page.locator("#kyc-state")).to_have_attribute("data-level", "0")
    await expect(page.locator("#kyc-needs li").first).to_have_text(
        "Withdrawals need level 1 (identity verified) in DE: any withdrawal."
    )
    await watched.shot("kyc-before")
    scan = tmp_path / "passport.pdf"
    scan.write_bytes(PDF)
    await page.select_option("#kyc-upload [name=kind]", "id")
    await page.set_input_files("#kyc-upload [name=file]", str(scan))
    await page.fill("#kyc-upload [name=name]", "Ada Lovelace")
    await page.click("#kyc-upload button[type=submit]")
    await expect(page.locator("#kyc-state")).to_have_attribute("data-status", "verified")
    await expect(page.locator("#kyc-level")).to_have_text("1 · identity verified")
    bill = tmp_path / "bill-red-retry.pdf"  # the vendor asks for a better proof of address
    bill.write_bytes(PDF)
    await page.select_option("#kyc-upload [name=kind]", "address")
    await page.set_input_files("#kyc-upload [name=file]", str(bill))
    await page.click("#kyc-upload button[type=submit]")
    await expect(page.locator("#kyc-state")).to_have_attribute("data-status", "rejected")
    await expect(page.locator("#kyc-message")).to_have_text(
        "The photo is blurred: upload a sharper one."
    )
    await expect(page.locator("#kyc-level")).to_have_text("1 · identity verified")
    await watched.shot("kyc-after")
    watched.assert_clean()


async def test_the_terminal_client_shows_the_level_status_and_needs(
    kyc_casino: ServerProcess,
) -> None:
    client, registered = await new_player(kyc_casino.base_url)
    async with client:
        await upload(client, "id", "passport.pdf")
        await settles(client, "verified")
    login = ["--url", kyc_casino.base_url, "--user", str(registered["username"])]
    code, output = await play_terminal(*login, stdin="k\nq\n", password=STRONG_PASSWORD)
    assert code == 0, output
    assert "verification: level 1 (identity verified), verified" in output
    assert "withdrawals need level 1: ok" in output
    assert "deposits above 2000.00 need level 2: needed" in output
