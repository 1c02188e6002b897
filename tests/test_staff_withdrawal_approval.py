"""Four eyes on large withdrawals, on the real withdrawal path (the real server, the sandbox
gateway process, Redis): above CASINO_WITHDRAWAL_APPROVAL_ABOVE a withdrawal is held with
nothing moved, one staff member proposes its approval, another approves it, and the
player's next withdrawal of that amount is paid, using the approval up. The ledger
reconciles after each test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, expect

from clients.api import CasinoClient
from server.storage.redis_child import RedisChild, free_port
from tests.conftest import settled_report, start_server, stop_server, unique
from tests.support.payments import SERVER_ENV, Gateway, Paying, balance, pay, player
from tests.support.staff import add_staff, bearer, login
from tests.test_compliance_web import login_at_the_cashier
from tests.test_web_client import PHONE, browser, no_sideways_scroll, open_page

__all__ = ["browser"]

THRESHOLD = 20_000  # EUR 200.00


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Paying]:
    workdir = tmp_path_factory.mktemp("approvals")
    policy = workdir / "aml-policy.json"
    policy.write_text('{"rules": []}')  # no AML hold: these tests are about staff approval
    redis = RedisChild(workdir / "redis")
    redis.start()
    gateway = Gateway(free_port(), workdir / "gateway.db", workdir / "gateway.log")
    try:
        gateway.start()
        env = {**SERVER_ENV, "CASINO_PAYMENT_GATEWAY_URL": gateway.url,
               "CASINO_WITHDRAWAL_APPROVAL_ABOVE": str(THRESHOLD),
               "CASINO_AML_POLICY_FILE": str(policy)}  # fmt: skip
        paying = Paying(start_server(workdir, redis, env), gateway, workdir, redis)
    except BaseException:
        gateway.stop()
        redis.stop()
        raise
    try:
        yield paying
    finally:
        stop_server(paying.server)
        gateway.stop()
        redis.stop()


@pytest.fixture(scope="module")
def staff(world: Paying) -> tuple[str, str]:
    """Two finance staff members' sessions: (proposer, approver)."""
    first, second = (add_staff(world.server.database_path, "finance") for _ in range(2))
    return login(world.server.base_url, first), login(world.server.base_url, second)


@pytest.fixture
async def client(world: Paying) -> AsyncIterator[CasinoClient]:
    async with await player(world.server.base_url, verified=True) as logged_in:
        status, body = await pay(logged_in, "deposits", 50_000)
        assert (status, body["status"]) == (201, "completed")
        yield logged_in
    report = await settled_report(world.server)
    assert report.ok, "\n".join(report.lines())


def _decide(world: Paying, token: str, proposal_id: int, decision: str) -> httpx.Response:
    return httpx.post(
        f"{world.server.base_url}/api/staff/proposals/{proposal_id}/{decision}",
        json={"reason": "source of funds seen"},
        headers=bearer(token),
    )


async def test_a_withdrawal_at_the_threshold_is_paid_at_once(client: CasinoClient) -> None:
    status, body = await pay(client, "withdrawals", THRESHOLD)
    assert (status, body["status"], body["balance"]) == (201, "completed", 30_000)


async def test_a_withdrawal_above_the_threshold_is_held_with_nothing_moved(
    client: CasinoClient,
) -> None:
    status, body = await pay(client, "withdrawals", THRESHOLD + 1)
    assert (status, body["error"]["code"], body["error"]["status"]) == (
        409, "WITHDRAWAL_APPROVAL_REQUIRED", "held",
    )  # fmt: skip
    assert await balance(client) == 50_000


async def test_two_staff_members_approve_and_the_same_withdrawal_retried_is_paid(
    world: Paying, staff: tuple[str, str], client: CasinoClient
) -> None:
    key = unique("wd-")
    _, held = await pay(client, "withdrawals", 30_000, key)
    proposal_id = held["error"]["proposal_id"]
    proposed = _decide(world, staff[0], proposal_id, "propose")
    own = _decide(world, staff[0], proposal_id, "approve")
    _, still = await pay(client, "withdrawals", 30_000, key)
    approved = _decide(world, staff[1], proposal_id, "approve")
    status, paid = await pay(client, "withdrawals", 30_000, key)
    assert proposed.json()["status"] == "pending"
    assert (own.status_code, own.json()["error"]["code"]) == (409, "FOUR_EYES_REQUIRED")
    assert (still["error"]["code"], still["error"]["status"]) == (
        "WITHDRAWAL_APPROVAL_REQUIRED", "pending",
    )  # fmt: skip
    assert approved.json()["status"] == "approved"
    assert (status, paid["status"], paid["balance"]) == (201, "completed", 20_000)


async def test_asking_again_answers_the_same_held_proposal(client: CasinoClient) -> None:
    _, first = await pay(client, "withdrawals", 30_000)
    _, again = await pay(client, "withdrawals", 30_000)  # a new key, as a browser sends
    assert again["error"]["proposal_id"] == first["error"]["proposal_id"]


async def test_an_approval_pays_one_withdrawal_of_its_amount_whatever_its_key(
    world: Paying, staff: tuple[str, str], client: CasinoClient
) -> None:
    _, held = await pay(client, "withdrawals", 25_000)
    proposal_id = held["error"]["proposal_id"]
    _decide(world, staff[0], proposal_id, "propose")
    _decide(world, staff[1], proposal_id, "approve")
    status, paid = await pay(client, "withdrawals", 25_000)  # a new key
    _, next_one = await pay(client, "withdrawals", 25_000)
    assert (status, paid["status"], paid["balance"]) == (201, "completed", 25_000)
    assert next_one["error"]["code"] == "WITHDRAWAL_APPROVAL_REQUIRED"
    assert next_one["error"]["proposal_id"] != proposal_id


async def test_a_rejected_withdrawal_is_refused_when_retried(
    world: Paying, staff: tuple[str, str], client: CasinoClient
) -> None:
    key = unique("wd-")
    _, held = await pay(client, "withdrawals", 30_000, key)
    rejected = _decide(world, staff[0], held["error"]["proposal_id"], "reject")
    status, again = await pay(client, "withdrawals", 30_000, key)
    assert rejected.json()["status"] == "rejected"
    assert (status, again["error"]["code"]) == (409, "WITHDRAWAL_REFUSED")
    assert await balance(client) == 50_000


def _held(world: Paying, token: str) -> list[dict[str, Any]]:
    reply = httpx.get(
        f"{world.server.base_url}/api/staff/proposals", params={"status": "held"},
        headers=bearer(token),
    )  # fmt: skip
    found: list[dict[str, Any]] = reply.json()["proposals"]
    return found


def test_held_withdrawals_are_listed_for_staff(world: Paying, staff: tuple[str, str]) -> None:
    listed = _held(world, staff[0])
    assert listed and {p["kind"] for p in listed} == {"withdrawal"}


async def test_the_browser_explains_the_hold_and_pays_once_approved(
    world: Paying, staff: tuple[str, str], client: CasinoClient, browser: Browser
) -> None:
    username = str((await client.call("GET", "/api/me"))["username"])
    watched = await open_page(browser, world.server.base_url, "withdrawal-approval", PHONE)
    page = watched.page
    await login_at_the_cashier(page, world.server.base_url, username)
    await page.fill("#pay-withdraw [name='withdrawal amount']", "300.00")
    await page.click("#pay-withdraw button[type=submit]")
    refusal = page.locator(".refusal[data-code='WITHDRAWAL_APPROVAL_REQUIRED']")
    await expect(refusal).to_have_text(
        "A withdrawal of this size is checked by two members of our payments team before it"
        " is paid. Nothing has been taken from your balance; once it is approved, withdraw the"
        " same amount again."
    )
    await expect(page.locator("#balance")).to_have_attribute("data-minor", "50000")
    await no_sideways_scroll(page)
    await watched.shot("withdrawal-approval-held")
    held = _held(world, staff[0])[-1]
    assert (held["amount"], held["player_id"]) == (30_000, await _me(client))
    _decide(world, staff[0], held["proposal_id"], "propose")
    _decide(world, staff[1], held["proposal_id"], "approve")
    await page.click("#pay-withdraw button[type=submit]")
    await expect(page.locator("#balance")).to_have_attribute("data-minor", "20000")
    await expect(refusal).to_have_count(0)
    # The held request itself is the one error the browser logs.
    assert [e for e in watched.errors if "status of 409" not in e] == []


async def _me(client: CasinoClient) -> int:
    return int((await client.call("GET", "/api/me"))["player_id"])
