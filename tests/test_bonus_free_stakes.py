"""A free stake is the promotion's, not the player's: our free spins and a provider's free
rounds are recorded durably as free (`rounds.free`, `provider_transactions.free`), their
events say so (version 2 of `round_settled` and `provider`), and so they earn no loyalty points
and are no loss for cashback. The ledger reconciles after each test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from clients.api import CasinoClient
from tests.conftest import ServerProcess, new_player, settled_report, unique
from tests.support.kyc import STAFF_TOKEN
from tests.support.provider import FRUITS, SANDBOX, Table, db_query, seat

SLOT = "classic-sevens"  # stakes in steps of 5
STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}


async def define(casino: ServerProcess, **terms: Any) -> int:
    async with CasinoClient(casino.base_url) as staff:
        found = await staff.call(
            "POST", "/api/staff/bonus/definitions",
            {"name": unique("promo "), "currency": "EUR", "trigger": "manual", **terms},
            headers=STAFF,
        )  # fmt: skip
    return int(found["id"])


@pytest.fixture
async def client(casino: ServerProcess) -> AsyncIterator[CasinoClient]:
    """A player with 50.00 of cash; the ledger reconciles once the test is done."""
    player, _ = await new_player(casino.base_url, deposit=5_000)
    async with player:
        yield player
    report = await settled_report(casino)
    assert report.ok, "\n".join(report.lines())


@pytest.fixture
async def free_table(casino: ServerProcess) -> AsyncIterator[Table]:
    """A seated player (cash 5_000) holding 3 free rounds of sandbox-fruits at 1.00."""
    seated = await seat(casino, deposit=5_000)
    rounds = await define(casino, kind="free_spins", provider=SANDBOX, game=FRUITS, spins=3,
                          spin_stake=100, wagering=10, weights={"slots": 100})  # fmt: skip
    await seated.player.call("POST", "/api/bonus/claim", {"definition_id": rounds})
    yield seated
    await seated.provider.aclose()
    await seated.player.http.aclose()
    report = await settled_report(casino)
    assert report.ok, "\n".join(report.lines())


async def spins(client: CasinoClient, stake: int, count: int) -> list[dict[str, Any]]:
    assert client.token is not None
    async with client.socket() as sock:
        await sock.hello(client.token)
        return [await sock.spin(SLOT, stake) for _ in range(count)]


async def points_once_earned(player: CasinoClient) -> int:
    """The loyalty points once the loyalty group has counted something (a bounded wait: it
    reads each shard's stream in order, so the last stake's points come after the others)."""
    for _ in range(100):
        points = int((await player.call("GET", "/api/bonus"))["loyalty_points"])
        if points:
            return points
        await asyncio.sleep(0.05)
    return 0


async def cashback(casino: ServerProcess, definition_id: int, player_id: int) -> int:
    report = await settled_report(casino)  # durable before cashback reads them
    assert report.stream_backlog == 0
    async with CasinoClient(casino.base_url) as staff:
        paid = await staff.call(
            "POST", "/api/staff/bonus/cashback",
            {"definition_id": definition_id, "player_id": player_id, "since": 0,
             "until": 2**62},
            headers=STAFF,
        )  # fmt: skip
    return int(paid["paid"])


async def test_a_free_spin_is_recorded_as_free_and_a_paid_spin_is_not(
    casino: ServerProcess, client: CasinoClient
) -> None:
    await client.call("POST", "/api/bonus/claim", {"definition_id": await define(
        casino, kind="free_spins", game=SLOT, spins=2, spin_stake=100, wagering=10,
    )})  # fmt: skip
    await spins(client, 100, 2)
    await spins(client, 105, 1)
    await settled_report(casino)
    me = await client.call("GET", "/api/me")
    rows = db_query(
        casino, "SELECT stake, free FROM rounds WHERE player_id = ? ORDER BY settled_at",
        (int(me["player_id"]),),
    )  # fmt: skip
    assert rows == [(100, 1), (100, 1), (105, 0)]


async def test_free_spins_earn_no_loyalty_points(
    casino: ServerProcess, client: CasinoClient
) -> None:
    programme = await define(casino, kind="loyalty", redeem_rate=10, weights={"slot": 100})
    await client.call("POST", "/api/bonus/claim", {"definition_id": programme})
    await client.call("POST", "/api/bonus/claim", {"definition_id": await define(
        casino, kind="free_spins", game=SLOT, spins=3, spin_stake=100, wagering=10,
    )})  # fmt: skip
    await spins(client, 100, 3)  # the three free spins
    await spins(client, 105, 1)  # paid from cash: 105 points
    assert await points_once_earned(client) == 105


async def test_free_spins_are_no_loss_for_cashback(
    casino: ServerProcess, client: CasinoClient
) -> None:
    back = await define(casino, kind="cashback", percent=10, wagering=0)
    await client.call("POST", "/api/bonus/claim", {"definition_id": back})
    await client.call("POST", "/api/bonus/claim", {"definition_id": await define(
        casino, kind="free_spins", game=SLOT, spins=3, spin_stake=100, wagering=10,
    )})  # fmt: skip
    await spins(client, 100, 3)
    paid = await spins(client, 500, 4)
    loss = sum(500 - spin["payout"] for spin in paid)
    me = await client.call("GET", "/api/me")
    assert await cashback(casino, back, int(me["player_id"])) == max(loss, 0) * 10 // 100


async def test_a_free_round_is_recorded_as_free_and_earns_no_loyalty_points(
    casino: ServerProcess, free_table: Table
) -> None:
    # Loyalty weighs a provider game by its code (or `*`), not its category.
    programme = await define(casino, kind="loyalty", redeem_rate=10, weights={FRUITS: 100})
    await free_table.player.call("POST", "/api/bonus/claim", {"definition_id": programme})
    free = free_table.body(currency="EUR", amount=100, is_free=True)
    assert (await free_table.send("bet", free))["status"] == "RS_OK"
    assert (await free_table.bet(300))["status"] == "RS_OK"
    assert await points_once_earned(free_table.player) == 300
    await settled_report(casino)
    rows = db_query(
        casino, "SELECT amount, free FROM provider_transactions WHERE player_id = ?"
        " AND kind = 'bet' ORDER BY id", (int(free_table.user),),
    )  # fmt: skip
    assert rows == [(100, 1), (300, 0)]


async def test_a_free_round_and_its_win_are_no_loss_for_cashback(
    casino: ServerProcess, free_table: Table
) -> None:
    back = await define(casino, kind="cashback", percent=10, wagering=0)
    await free_table.player.call("POST", "/api/bonus/claim", {"definition_id": back})
    free = free_table.body(currency="EUR", amount=100, is_free=True)
    assert (await free_table.send("bet", free))["status"] == "RS_OK"
    assert (await free_table.win(free["transaction_uuid"], 40))["status"] == "RS_OK"
    paid = free_table.body(currency="EUR", amount=1_000)
    assert (await free_table.send("bet", paid))["status"] == "RS_OK"
    assert (await free_table.win(paid["transaction_uuid"], 300))["status"] == "RS_OK"
    assert await cashback(casino, back, int(free_table.user)) == (1_000 - 300) * 10 // 100
