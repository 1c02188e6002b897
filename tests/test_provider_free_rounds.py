"""Provider conformance: free rounds (Hub88-style free-bet campaigns). A bet flagged `is_free`
plays one of the player's bonus free rounds on that provider game at its stake: nothing comes
from cash, a retry plays nothing twice, a rollback gives the round back, the win lands as bonus
money under the free rounds' wagering, and a free bet no free round pays for is refused with
nothing moved. The ledger reconciles (cash, bonus, bonus cost) after each test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from clients.api import CasinoClient
from tests.conftest import ServerProcess, settled_report, unique
from tests.support.kyc import STAFF_TOKEN
from tests.support.provider import (
    FRUITS,
    SANDBOX,
    Table,
    active_bonus,
    db_query,
    durable_row,
    forget_in_redis,
    seat,
    sub_balances,
)

STAKE = 100  # each free round's stake (sandbox-fruits takes 10..10_000)


@pytest.fixture
async def free_table(casino: ServerProcess) -> AsyncIterator[Table]:
    """A seated player (cash 5_000) holding 3 free rounds of sandbox-fruits at 1.00, 10x."""
    seated = await seat(casino, deposit=5_000)
    async with CasinoClient(casino.base_url) as staff:
        found = await staff.call(
            "POST", "/api/staff/bonus/definitions",
            {"name": unique("rounds "), "currency": "EUR", "kind": "free_spins",
             "trigger": "manual", "provider": SANDBOX, "game": FRUITS, "spins": 3,
             "spin_stake": STAKE, "wagering": 10, "weights": {"slots": 100}},
            headers={"Authorization": f"Bearer {STAFF_TOKEN}"},
        )  # fmt: skip
    await seated.player.call("POST", "/api/bonus/claim", {"definition_id": found["id"]})
    yield seated
    await seated.provider.aclose()
    await seated.player.http.aclose()
    report = await settled_report(casino)
    assert report.ok, "\n".join(report.lines())


async def forgotten_free_bet(casino: ServerProcess, table: Table) -> dict[str, Any]:
    """A free bet at the round's stake, accepted, durable, then forgotten by Redis: its body."""
    body = table.body(currency="EUR", amount=STAKE, is_free=True)
    assert (await table.send("bet", body))["status"] == "RS_OK"
    await durable_row(casino, body["transaction_uuid"])
    await forget_in_redis(casino, table, body["transaction_uuid"])
    return body


async def test_a_free_round_takes_nothing_from_cash(
    casino: ServerProcess, free_table: Table
) -> None:
    placed = await free_table.bet(STAKE, is_free=True)
    assert (placed["status"], placed["balance"]) == ("RS_OK", 5_000)
    assert await sub_balances(casino, free_table) == (5_000, 0)
    assert (await active_bonus(free_table))["free_spins"] == {
        "left": 2, "game": f"{SANDBOX}:{FRUITS}", "stake": STAKE,
    }  # fmt: skip


async def test_a_retried_free_bet_plays_one_round(casino: ServerProcess, free_table: Table) -> None:
    body = free_table.body(currency="EUR", amount=STAKE, is_free=True)
    assert (await free_table.send("bet", body))["status"] == "RS_OK"
    assert (await free_table.send("bet", body))["status"] == "RS_OK"
    assert (await active_bonus(free_table))["free_spins"]["left"] == 2
    await settled_report(casino)  # the flusher has written the journal
    funded = db_query(
        casino, "SELECT COUNT(*), SUM(bonus) FROM bonus_movements WHERE movement = 'free_round'"
        " AND player_id = ?", (int(free_table.user),),
    )  # fmt: skip
    assert funded == [(1, STAKE)]


async def test_the_same_transaction_id_as_a_paid_bet_is_a_duplicate(
    casino: ServerProcess, free_table: Table
) -> None:
    body = free_table.body(currency="EUR", amount=STAKE, is_free=True)
    assert (await free_table.send("bet", body))["status"] == "RS_OK"
    paid = await free_table.send("bet", {**body, "is_free": False})
    assert paid["status"] == "RS_ERROR_DUPLICATE_TRANSACTION"
    assert await sub_balances(casino, free_table) == (5_000, 0)


async def test_a_rolled_back_free_round_is_given_back(
    casino: ServerProcess, free_table: Table
) -> None:
    body = free_table.body(currency="EUR", amount=STAKE, is_free=True)
    assert (await free_table.send("bet", body))["status"] == "RS_OK"
    undone = await free_table.rollback(body["transaction_uuid"])
    assert (undone["status"], undone["balance"]) == ("RS_OK", 5_000)
    assert await sub_balances(casino, free_table) == (5_000, 0)
    assert (await active_bonus(free_table))["free_spins"]["left"] == 3


async def test_a_free_rounds_win_is_bonus_money_under_its_wagering(
    casino: ServerProcess, free_table: Table
) -> None:
    body = free_table.body(currency="EUR", amount=STAKE, is_free=True)
    assert (await free_table.send("bet", body))["status"] == "RS_OK"
    won = await free_table.win(body["transaction_uuid"], 250, round_closed=True)
    assert (won["status"], won["balance"]) == ("RS_OK", 5_000)
    assert await sub_balances(casino, free_table) == (5_000, 250)
    bonus = await active_bonus(free_table)
    assert (bonus["wagered"], bonus["required"]) == (0, 2_500)


async def test_a_retried_free_bet_after_redis_forgot_it_gets_the_original_result(
    casino: ServerProcess, free_table: Table
) -> None:
    body = await forgotten_free_bet(casino, free_table)
    again = await free_table.send("bet", body)
    assert (again["status"], again["balance"]) == ("RS_OK", 5_000)
    assert await sub_balances(casino, free_table) == (5_000, 0)
    assert (await active_bonus(free_table))["free_spins"]["left"] == 2


async def test_a_free_bet_rolled_back_after_redis_forgot_it_gives_the_round_back(
    casino: ServerProcess, free_table: Table
) -> None:
    body = await forgotten_free_bet(casino, free_table)
    undone = await free_table.rollback(body["transaction_uuid"])
    assert (undone["status"], undone["balance"]) == ("RS_OK", 5_000)
    assert await sub_balances(casino, free_table) == (5_000, 0)
    assert (await active_bonus(free_table))["free_spins"]["left"] == 3


async def test_a_win_for_a_free_bet_redis_forgot_is_bonus_money_under_its_wagering(
    casino: ServerProcess, free_table: Table
) -> None:
    body = await forgotten_free_bet(casino, free_table)
    won = await free_table.win(body["transaction_uuid"], 250, round_closed=True)
    assert (won["status"], won["balance"]) == ("RS_OK", 5_000)
    assert await sub_balances(casino, free_table) == (5_000, 250)
    bonus = await active_bonus(free_table)
    assert (bonus["free_spins"]["left"], bonus["wagered"], bonus["required"]) == (2, 0, 2_500)


async def test_a_paid_bet_on_the_game_still_takes_cash_and_counts_wagering(
    casino: ServerProcess, free_table: Table
) -> None:
    assert (await free_table.bet(STAKE))["status"] == "RS_OK"
    assert await sub_balances(casino, free_table) == (5_000 - STAKE, 0)
    bonus = await active_bonus(free_table)
    assert (bonus["free_spins"]["left"], bonus["wagered"]) == (3, STAKE)


async def test_the_last_free_round_waits_for_its_win_before_the_bonus_closes(
    casino: ServerProcess, free_table: Table
) -> None:
    bets = [free_table.body(currency="EUR", amount=STAKE, is_free=True) for _ in range(3)]
    for body in bets:
        assert (await free_table.send("bet", body))["status"] == "RS_OK"
    for body in bets[:2]:
        await free_table.win(body["transaction_uuid"], 0)
    assert (await active_bonus(free_table))["free_spins"][
        "left"
    ] == 0  # still active: a win to come
    await free_table.win(bets[2]["transaction_uuid"], 300, round_closed=True)
    assert await sub_balances(casino, free_table) == (5_000, 300)
    assert (await active_bonus(free_table))["required"] == 3_000


async def test_a_free_bet_at_another_stake_is_refused_and_moves_nothing(
    casino: ServerProcess, free_table: Table
) -> None:
    refused = await free_table.bet(STAKE + 10, is_free=True)
    assert refused["status"] == "RS_ERROR_LIMIT_REACHED"
    assert await sub_balances(casino, free_table) == (5_000, 0)
    assert (await active_bonus(free_table))["free_spins"]["left"] == 3


async def test_a_free_bet_of_zero_is_the_providers_own_and_plays_no_free_round(
    casino: ServerProcess, free_table: Table
) -> None:
    placed = await free_table.bet(0, is_free=True)
    assert (placed["status"], placed["balance"]) == ("RS_OK", 5_000)
    assert await sub_balances(casino, free_table) == (5_000, 0)
    assert (await active_bonus(free_table))["free_spins"]["left"] == 3


async def test_a_free_bet_after_the_last_round_is_refused(
    casino: ServerProcess, free_table: Table
) -> None:
    for _ in range(3):
        assert (await free_table.bet(STAKE, is_free=True))["status"] == "RS_OK"
    assert (await free_table.bet(STAKE, is_free=True))["status"] == "RS_ERROR_LIMIT_REACHED"
    assert await sub_balances(casino, free_table) == (5_000, 0)


async def test_a_free_bet_without_free_rounds_is_refused(casino: ServerProcess) -> None:
    table = await seat(casino, deposit=1_000)
    try:
        refused = await table.bet(STAKE, is_free=True)
        assert (refused["status"], await table.balance()) == ("RS_ERROR_LIMIT_REACHED", 1_000)
    finally:
        await table.provider.aclose()
        await table.player.http.aclose()
