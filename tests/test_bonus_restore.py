"""A bonus hash Redis lost comes back from SQL: the key is deleted from the running server's
Redis (as a data loss would), and the next session, provider launch or bonus page rebuilds it
from the award, its terms and the durable stakes, so the maximum stake and the wagering keep
applying with the progress made before. The ledger reconciles after each test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from clients.api import CasinoClient
from server.money import keys
from server.storage.redis_client import connect as connect_redis
from tests.conftest import ServerProcess, new_player, settled_report, unique
from tests.support.kyc import STAFF_TOKEN
from tests.support.provider import FRUITS, SANDBOX, launch, sandbox_client

SLOT = "classic-sevens"  # stakes in steps of 5


@pytest.fixture
async def client(casino: ServerProcess) -> AsyncIterator[CasinoClient]:
    """A player with 100.00 of cash; the ledger reconciles once the test is done."""
    player, _ = await new_player(casino.base_url, deposit=10_000)
    async with player:
        yield player
    report = await settled_report(casino)
    assert report.ok, "\n".join(report.lines())


async def grant(casino: ServerProcess, client: CasinoClient, **terms: Any) -> int:
    """Define a promotion and let the player claim it; its definition id."""
    async with CasinoClient(casino.base_url) as staff:
        found = await staff.call(
            "POST", "/api/staff/bonus/definitions",
            {"name": unique("promo "), "currency": "EUR", "trigger": "manual", **terms},
            headers={"Authorization": f"Bearer {STAFF_TOKEN}"},
        )  # fmt: skip
    await client.call("POST", "/api/bonus/claim", {"definition_id": found["id"]})
    return int(found["id"])


async def lose_bonus_hash(casino: ServerProcess, client: CasinoClient) -> None:
    """Wait until the flusher wrote every stake, then delete the hash from the live Redis."""
    await settled_report(casino)
    me = await client.call("GET", "/api/me")
    redis = connect_redis(casino.redis.url)
    try:
        assert await redis.delete(keys.bonus(int(me["player_id"]), "EUR")) == 1
    finally:
        await redis.aclose()


async def hash_exists(casino: ServerProcess, client: CasinoClient) -> bool:
    me = await client.call("GET", "/api/me")
    redis = connect_redis(casino.redis.url)
    try:
        return bool(await redis.exists(keys.bonus(int(me["player_id"]), "EUR")))
    finally:
        await redis.aclose()


async def active(client: CasinoClient) -> dict[str, Any]:
    found: dict[str, Any] = (await client.call("GET", "/api/bonus"))["active"]
    return found


async def spins(client: CasinoClient, stake: int, count: int) -> list[dict[str, Any]]:
    assert client.token is not None
    async with client.socket() as sock:
        await sock.hello(client.token)
        return [await sock.spin(SLOT, stake) for _ in range(count)]


async def test_the_bonus_page_rebuilds_a_lost_hash_with_the_wagering_made(
    casino: ServerProcess, client: CasinoClient
) -> None:
    await grant(casino, client, kind="no_deposit", amount=1_000, wagering=30, max_stake=500,
                weights={"slot": 100, "european-roulette": 10})  # fmt: skip
    before = await active(client)
    await spins(client, 100, 3)
    await lose_bonus_hash(casino, client)
    after = await active(client)
    assert (after["wagered"], after["required"], after["max_stake"]) == (300, 30_000, 500)
    assert (after["award_id"], after["expires_at"]) == (before["award_id"], before["expires_at"])


async def test_a_new_session_brings_back_the_maximum_stake_before_its_first_spin(
    casino: ServerProcess, client: CasinoClient
) -> None:
    await grant(casino, client, kind="no_deposit", amount=1_000, wagering=5, max_stake=500,
                weights={"slot": 100})  # fmt: skip
    await lose_bonus_hash(casino, client)
    assert client.token is not None
    async with client.socket() as sock:
        await sock.hello(client.token)
        refused = await sock.spin(SLOT, 505)
        counted = await sock.spin(SLOT, 100)
    assert (refused["type"], refused["code"]) == ("error", "BONUS_MAX_STAKE")
    assert counted["type"] != "error"
    assert (await active(client))["wagered"] == 100


async def test_a_provider_launch_brings_back_the_maximum_stake_before_the_first_bet(
    casino: ServerProcess, client: CasinoClient
) -> None:
    await grant(casino, client, kind="no_deposit", amount=1_000, wagering=5, max_stake=500,
                weights={"slots": 100})  # fmt: skip
    await lose_bonus_hash(casino, client)
    provider = sandbox_client(casino)
    try:
        session = await provider.open_session(await launch(client, SANDBOX, FRUITS))
        assert await hash_exists(casino, client)
        bet = await provider.transaction("bet", {
            "token": session["token"], "user": session["user"], "game_code": FRUITS,
            "round": unique("r"), "transaction_uuid": unique("t"), "currency": "EUR",
            "amount": 501, "round_closed": True,
        })  # fmt: skip
    finally:
        await provider.aclose()
    assert bet["status"] == "RS_ERROR_LIMIT_REACHED"


async def test_a_lost_hash_does_not_let_a_queued_bonus_start_beside_the_active_one(
    casino: ServerProcess, client: CasinoClient
) -> None:
    first = await grant(casino, client, kind="no_deposit", amount=1_000, wagering=5)
    await grant(casino, client, kind="no_deposit", amount=2_000, wagering=5)
    await lose_bonus_hash(casino, client)
    page = await client.call("GET", "/api/bonus")
    statuses = {award["definition_id"]: award["status"] for award in page["awards"]}
    assert statuses[first] == "active"
    assert sorted(statuses.values()) == ["active", "queued"]
    assert page["bonus_balance"] == 1_000


async def test_free_spins_used_before_the_loss_stay_used(
    casino: ServerProcess, client: CasinoClient
) -> None:
    await grant(casino, client, kind="free_spins", game=SLOT, spins=5, spin_stake=100,
                wagering=10)  # fmt: skip
    free = await spins(client, 100, 2)
    won = sum(spin["payout"] for spin in free)
    before = await active(client)
    await lose_bonus_hash(casino, client)
    after = await active(client)
    assert after["free_spins"] == {"left": 3, "game": SLOT, "stake": 100}
    assert (after["required"], after["wagered"]) == (10 * won, 0) == (
        before["required"], before["wagered"],
    )  # fmt: skip


async def test_a_bonus_that_converted_in_the_ledger_is_closed_not_brought_back(
    casino: ServerProcess, client: CasinoClient
) -> None:
    await grant(casino, client, kind="no_deposit", amount=100, wagering=1)
    await spins(client, 100, 1)  # wagering met: converted inside the spin, SQL not told yet
    await lose_bonus_hash(casino, client)
    page = await client.call("GET", "/api/bonus")
    assert page["active"] is None
    assert (page["awards"][0]["status"], page["awards"][0]["outcome"]) == ("ended", "converted")
    assert not await hash_exists(casino, client)
