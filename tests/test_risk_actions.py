"""The fraud monitor's `require_kyc` and `block_bonuses` actions, and its multi-accounting
links, on a real server, its sandbox gateway, Redis and SQLite: a hit's action applies at
once (the next request meets it), an ordinary player is not stopped, accounts sharing a card
or an address are linked, and the ledger reconciles after every test.

The policy makes a login from a new device demand KYC level 2 and a device shared by two
accounts block the second account's bonuses, so a test reaches each action by logging in.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from clients.api import ApiFailure, CasinoClient
from server.events import stream
from server.storage.redis_child import RedisChild, free_port
from server.storage.redis_client import connect as connect_redis
from tests.conftest import ServerProcess, settled_report, start_server, stop_server, unique
from tests.support import db as test_db
from tests.support.kyc import STAFF_TOKEN, verify_address
from tests.support.payment_webhooks import CARD_OK
from tests.support.payments import SERVER_ENV, Gateway, pay, player

POLICY = {
    "rules": {
        "new_device": {"action": "require_kyc", "kyc_level": 2},
        "shared_device": {"action": "block_bonuses"},
    }
}
STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}


@pytest.fixture(scope="module")
def risky(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("risk-actions")
    policy = workdir / "risk-policy.json"
    policy.write_text(json.dumps(POLICY))
    redis = RedisChild(workdir / "redis")
    redis.start()
    gateway = Gateway(free_port(), workdir / "gateway.db", workdir / "gateway.log")
    try:
        gateway.start()
        env = {**SERVER_ENV, "CASINO_PAYMENT_GATEWAY_URL": gateway.url,
               "CASINO_RISK_POLICY_FILE": str(policy)}  # fmt: skip
        server = start_server(workdir, redis, env)
    except BaseException:
        gateway.stop()
        redis.stop()
        raise
    try:
        yield server
    finally:
        stop_server(server)
        gateway.stop()
        redis.stop()


@pytest.fixture
async def server(risky: ServerProcess) -> AsyncIterator[ServerProcess]:
    yield risky
    report = await settled_report(risky)
    assert report.ok, "\n".join(report.lines())


async def player_id(client: CasinoClient) -> int:
    return int((await client.call("GET", "/api/me"))["player_id"])


async def login_on(client: CasinoClient, device: str | None = None) -> None:
    """Log the client's player in again, from the device `device` (None: the client sends no
    device id, as at registration, and the server tells it apart by its user agent)."""
    me = await client.call("GET", "/api/me")
    body = {"login": me["username"], "password": "Correct-Horse-42"}
    session = await client.call(
        "POST", "/api/sessions", body if device is None else {**body, "device_id": device}
    )
    client.token = str(session["token"])


async def staff(client: CasinoClient, method: str, path: str, body: Any = None) -> Any:
    """A staff request (the staff token, not the player's session) on the client's server."""
    reply = await client.http.request(method, path, json=body, headers=STAFF)
    assert reply.status_code < 300, reply.text
    return reply.json()


async def alerts_of(client: CasinoClient, player: int) -> list[dict[str, Any]]:
    found = await staff(client, "GET", f"/api/staff/risk/alerts?player_id={player}&status=any")
    return list(found["alerts"])


async def wait_for_alert(client: CasinoClient, player: int, rule: str) -> dict[str, Any]:
    for _ in range(150):  # the monitor reads the login after the outbox relays it
        for alert in await alerts_of(client, player):
            if alert["rule"] == rule:
                return alert
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {rule} alert on player {player}")


async def monitor_caught_up(server: ServerProcess) -> None:
    """Return once every event is relayed and the monitor has read and acknowledged it (it
    acknowledges after raising its alerts): only then does "no alert" mean none."""
    redis = connect_redis(server.redis.url)
    try:
        for _ in range(200):
            [(waiting,)] = test_db.query(
                server.database_path, "SELECT COUNT(*) FROM event_outbox WHERE relayed_at IS NULL"
            )
            behind = 0
            for key in stream.all_keys():
                if not await redis.exists(key):
                    continue
                for group in await redis.xinfo_groups(key):
                    if group["name"] in ("risk", b"risk"):
                        behind += int(group["pending"]) + int(group["lag"] or 0)
            if waiting == 0 and behind == 0:
                return
            await asyncio.sleep(0.1)
    finally:
        await redis.aclose()
    raise AssertionError("the risk monitor did not catch up")


async def deposit(client: CasinoClient, amount: int) -> None:
    status, body = await pay(client, "deposits", amount)
    assert (status, body["status"]) == (201, "completed"), body


async def define(client: CasinoClient, **terms: Any) -> int:
    found = await staff(
        client, "POST", "/api/staff/bonus/definitions",
        {"name": unique("promo "), "currency": "EUR", **terms},
    )  # fmt: skip
    return int(found["id"])


async def test_a_require_kyc_alert_asks_its_level_for_a_withdrawal_until_it_is_reached(
    server: ServerProcess,
) -> None:
    async with await player(server.base_url, verified=True) as client:  # KYC level 1
        await deposit(client, 5_000)
        await login_on(client, "new-phone")
        alert = await wait_for_alert(client, await player_id(client), "new_device")
        assert (alert["action"], alert["kyc_level"], alert["status"]) == ("require_kyc", 2, "open")
        status, body = await pay(client, "withdrawals", 1_000)
        assert (status, body["error"]["code"]) == (403, "KYC_REQUIRED")
        assert (body["error"]["required"], body["error"]["level"]) == (2, 1)
        await verify_address(client)  # level 2 reached: the demand is met, the alert stays
        status, body = await pay(client, "withdrawals", 1_000)
        assert status == 201, body


async def test_an_ordinary_player_at_level_one_withdraws_from_their_usual_device(
    server: ServerProcess,
) -> None:
    async with await player(server.base_url, verified=True) as client:
        await deposit(client, 3_000)  # under quick cash-out's EUR 50: this test is about devices
        await login_on(client)  # the same browser as at the first login
        await login_on(client)
        status, body = await pay(client, "withdrawals", 1_000)
        assert status == 201, body
        await monitor_caught_up(server)
        assert await alerts_of(client, await player_id(client)) == []


async def test_a_block_bonuses_alert_refuses_claims_and_holds_awards_until_it_is_resolved(
    server: ServerProcess,
) -> None:
    async with (
        await player(server.base_url, verified=True) as first,
        await player(server.base_url, verified=True) as second,
    ):
        match = await define(
            first, kind="deposit_match", trigger="deposit", percent=100, cap=5_000, wagering=30
        )
        gift = await define(first, kind="no_deposit", trigger="manual", amount=1_000, wagering=5)
        await second.call("POST", "/api/bonus/claim", {"definition_id": match})  # opted in
        await login_on(first, "family-tablet")
        await login_on(second, "family-tablet")
        alert = await wait_for_alert(second, await player_id(second), "shared_device")
        assert (alert["action"], alert["evidence"]["cluster"]) == (
            "block_bonuses", sorted([await player_id(first), await player_id(second)]),
        )  # fmt: skip
        with pytest.raises(ApiFailure) as refused:
            await second.call("POST", "/api/bonus/claim", {"definition_id": gift})
        assert (refused.value.status, refused.value.code) == (409, "BONUSES_BLOCKED")
        await deposit(second, 5_000)  # the match qualifies, but is not granted while blocked
        page = await second.call("GET", "/api/bonus")
        assert (page["active"], page["bonus_balance"]) == (None, 0)
        await staff(
            second, "POST", f"/api/staff/risk/alerts/{alert['id']}/resolve",
            {"outcome": "dismissed", "reason": "siblings sharing a tablet"},
        )  # fmt: skip
        page = await second.call("GET", "/api/bonus")
        assert (page["active"]["granted"], page["bonus_balance"]) == (5_000, 5_000)


async def test_a_player_without_an_alert_claims_a_bonus_as_usual(server: ServerProcess) -> None:
    async with await player(server.base_url, verified=True) as client:
        gift = await define(client, kind="no_deposit", trigger="manual", amount=1_000, wagering=5)
        await login_on(client)
        await monitor_caught_up(server)
        claimed = await client.call("POST", "/api/bonus/claim", {"definition_id": gift})
        assert claimed["bonus_balance"] == 1_000
        assert await alerts_of(client, await player_id(client)) == []


async def test_two_accounts_paying_with_one_card_and_living_at_one_address_are_one_cluster(
    server: ServerProcess,
) -> None:
    async with (
        await player(server.base_url, verified=True) as first,
        await player(server.base_url, verified=True) as second,
        await player(server.base_url, verified=True) as neighbour,
    ):
        ids = [await player_id(first), await player_id(second)]
        for client in (first, second):  # one card, tokenised twice: two tokens, one card
            reply = await client.http.post(
                "/api/payments/deposits", json={"amount": 1_000, "card_number": CARD_OK},
                headers={"Authorization": f"Bearer {client.token}",
                         "Idempotency-Key": unique("k-")},
            )  # fmt: skip
            assert reply.status_code == 201, reply.text
        card = await wait_for_alert(second, ids[1], "shared_instrument")
        assert (card["evidence"]["type"], card["evidence"]["accounts"]) == ("card", ids)
        for client, postal in (
            (first, "Flat 2, 10 High St., London"),
            (second, "flat 2 10 HIGH ST london"),
            (neighbour, "Flat 3, 10 High St., London"),
        ):
            await client.call("POST", "/api/me/profile", {"postal_address": postal})
        address = await wait_for_alert(second, ids[1], "shared_address")
        assert address["evidence"]["cluster_id"] == f"cluster:{min(ids)}"
        assert [link["kind"] for link in address["evidence"]["links"]] == [
            "address", "instrument",
        ]  # fmt: skip
        await monitor_caught_up(server)
        assert await alerts_of(neighbour, await player_id(neighbour)) == []
