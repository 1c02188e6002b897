"""Conformance of the seamless wallet's money semantics, driven over HTTP like a provider:
bets, wins, rollbacks, rounds, and what a repeated or conflicting transaction id gets."""

from __future__ import annotations

import pytest

from clients.provider_sim import new_uuid
from tests.conftest import ServerProcess
from tests.support.provider import DICE, Table, db_execute, seat, table

__all__ = ["table"]


async def test_user_info_and_balance_describe_the_session(table: Table) -> None:
    info = await table.provider.user_info(table.token)
    assert info["status"] == "RS_OK"
    assert (info["user"], info["currency"], info["balance"]) == (table.user, "EUR", 10_000)
    assert (info["country"], info["game_code"]) == ("DE", "sandbox-fruits")
    balance = await table.provider.balance(table.token, table.user)
    assert (balance["status"], balance["balance"], balance["currency"]) == ("RS_OK", 10_000, "EUR")
    assert balance["request_uuid"] and balance["request_uuid"] != info["request_uuid"]


async def test_a_bet_and_a_win_move_money_and_echo_the_ids(table: Table) -> None:
    body = table.body(currency="EUR", amount=300)
    bet = await table.send("bet", body)
    assert (bet["status"], bet["balance"], bet["currency"]) == ("RS_OK", 9_700, "EUR")
    assert bet["transaction_uuid"] == body["transaction_uuid"]
    win = await table.win(body["transaction_uuid"], 1_000, round_closed=True)
    assert (win["status"], win["balance"]) == ("RS_OK", 10_700)
    assert await table.balance() == 10_700


async def test_a_closed_round_refuses_bets_and_wins(table: Table) -> None:
    bet = await table.bet(100)
    assert (await table.win(bet["transaction_uuid"], 0, round_closed=True))["status"] == "RS_OK"
    late_bet = await table.bet(100)
    assert (late_bet["status"], late_bet["balance"]) == ("RS_ERROR_ROUND_CLOSED", 9_900)
    late_win = await table.win(bet["transaction_uuid"], 500)
    assert late_win["status"] == "RS_ERROR_ROUND_CLOSED"
    assert await table.balance() == 9_900


async def test_several_bets_and_wins_share_an_open_round(table: Table) -> None:
    first, second = await table.bet(100), await table.bet(200)
    assert (first["status"], second["status"], second["balance"]) == ("RS_OK", "RS_OK", 9_700)
    assert (await table.win(first["transaction_uuid"], 50))["balance"] == 9_750
    closing = await table.win(second["transaction_uuid"], 400, round_closed=True)
    assert (closing["status"], closing["balance"]) == ("RS_OK", 10_150)


async def test_the_same_bet_again_gets_the_original_result_and_moves_nothing(
    table: Table,
) -> None:
    body = table.body(currency="EUR", amount=400)
    first = await table.send("bet", body)
    await table.bet(100)  # the balance moves on; a retry still shows the original result
    again = await table.send("bet", {**body, "request_uuid": new_uuid()})
    assert (again["status"], again["balance"]) == ("RS_OK", first["balance"])
    assert await table.balance() == 10_000 - 400 - 100


async def test_the_same_win_again_pays_once(table: Table) -> None:
    bet = await table.bet(100)
    body = table.body(
        currency="EUR", amount=700, reference_transaction_uuid=bet["transaction_uuid"]
    )
    first = await table.send("win", body)
    again = await table.send("win", body)
    assert (first["status"], again["status"], again["balance"]) == ("RS_OK", "RS_OK", 10_600)
    assert await table.balance() == 10_600


@pytest.mark.parametrize(
    "change",
    [
        {"amount": 301},
        {"currency": "USD"},
        {"round": "another-round"},
        {"game_code": DICE},
    ],
    ids=["amount", "currency", "round", "game"],
)
async def test_a_bet_id_reused_with_other_terms_is_a_duplicate(
    table: Table, change: dict[str, object]
) -> None:
    body = table.body(currency="EUR", amount=300)
    assert (await table.send("bet", body))["status"] == "RS_OK"
    reused = await table.send("bet", {**body, **change})
    assert reused["status"] == "RS_ERROR_DUPLICATE_TRANSACTION"
    assert await table.balance() == 9_700


async def test_a_bet_id_reused_by_another_user_is_a_duplicate(
    casino: ServerProcess, table: Table
) -> None:
    other = await seat(casino)
    try:
        body = table.body(currency="EUR", amount=300)
        assert (await table.send("bet", body))["status"] == "RS_OK"
        theirs = other.body(
            currency="EUR", amount=300, round=body["round"],
            transaction_uuid=body["transaction_uuid"],
        )  # fmt: skip
        assert (await other.send("bet", theirs))["status"] == "RS_ERROR_DUPLICATE_TRANSACTION"
        assert (await table.balance(), await other.balance()) == (9_700, 10_000)
    finally:
        await other.provider.aclose()
        await other.player.http.aclose()


async def test_a_win_id_reused_with_another_reference_or_amount_is_a_duplicate(
    table: Table,
) -> None:
    first, second = await table.bet(100), await table.bet(100)
    body = table.body(
        currency="EUR", amount=500, reference_transaction_uuid=first["transaction_uuid"]
    )
    assert (await table.send("win", body))["status"] == "RS_OK"
    other_ref = {**body, "reference_transaction_uuid": second["transaction_uuid"]}
    assert (await table.send("win", other_ref))["status"] == "RS_ERROR_DUPLICATE_TRANSACTION"
    other_amount = {**body, "amount": 501}
    assert (await table.send("win", other_amount))["status"] == "RS_ERROR_DUPLICATE_TRANSACTION"
    assert await table.balance() == 10_000 - 200 + 500


async def test_an_id_used_for_a_bet_cannot_be_a_win_or_rollback(table: Table) -> None:
    first, second = await table.bet(100), await table.bet(100)
    tx, other = first["transaction_uuid"], second["transaction_uuid"]
    as_win = await table.win(other, 100, transaction_uuid=tx)
    as_rollback = await table.rollback(other, transaction_uuid=tx)
    assert as_win["status"] == as_rollback["status"] == "RS_ERROR_DUPLICATE_TRANSACTION"
    assert await table.balance() == 9_800


async def test_a_win_or_rollback_referencing_itself_is_malformed(table: Table) -> None:
    tx = new_uuid()
    assert (await table.win(tx, 100, transaction_uuid=tx))["status"] == "RS_ERROR_WRONG_SYNTAX"
    assert (await table.rollback(tx, transaction_uuid=tx))["status"] == "RS_ERROR_WRONG_SYNTAX"
    assert (await table.bet(100, transaction_uuid=tx))["status"] == "RS_OK"


async def test_a_rollback_returns_the_stake_once(table: Table) -> None:
    bet = await table.bet(600)
    body = table.body(reference_transaction_uuid=bet["transaction_uuid"])
    first = await table.send("rollback", body)
    again = await table.send("rollback", body)
    assert (first["status"], first["balance"]) == ("RS_OK", 10_000)
    assert (again["status"], again["balance"]) == ("RS_OK", 10_000)
    another = await table.rollback(bet["transaction_uuid"])  # a second rollback id: no more
    assert (another["status"], another["balance"]) == ("RS_OK", 10_000)
    assert await table.balance() == 10_000


async def test_a_rollback_id_reused_for_another_bet_is_a_duplicate(table: Table) -> None:
    first, second = await table.bet(100), await table.bet(100)
    body = table.body(reference_transaction_uuid=first["transaction_uuid"])
    assert (await table.send("rollback", body))["status"] == "RS_OK"
    other = {**body, "reference_transaction_uuid": second["transaction_uuid"]}
    assert (await table.send("rollback", other))["status"] == "RS_ERROR_DUPLICATE_TRANSACTION"
    assert await table.balance() == 9_900


async def test_a_rollback_that_overtakes_its_bet_leaves_a_tombstone(table: Table) -> None:
    bet_body = table.body(currency="EUR", amount=500)
    rolled = await table.rollback(bet_body["transaction_uuid"])
    assert (rolled["status"], rolled["balance"]) == ("RS_OK", 10_000)
    late = await table.send("bet", bet_body)
    assert late["status"] == "RS_ERROR_TRANSACTION_ROLLED_BACK"
    win = await table.win(bet_body["transaction_uuid"], 100)
    assert win["status"] == "RS_ERROR_TRANSACTION_ROLLED_BACK"
    assert await table.balance() == 10_000


async def test_a_late_retry_of_a_rolled_back_bet_is_refused(table: Table) -> None:
    body = table.body(currency="EUR", amount=500)
    await table.send("bet", body)
    await table.rollback(body["transaction_uuid"])
    assert (await table.send("bet", body))["status"] == "RS_ERROR_TRANSACTION_ROLLED_BACK"
    assert (await table.win(body["transaction_uuid"], 10))["status"] == (
        "RS_ERROR_TRANSACTION_ROLLED_BACK"
    )
    assert await table.balance() == 10_000


async def test_a_rollback_after_the_bets_win_is_refused(table: Table) -> None:
    bet = await table.bet(500)
    await table.win(bet["transaction_uuid"], 200)
    refused = await table.rollback(bet["transaction_uuid"])
    assert refused["status"] == "RS_ERROR_BET_ALREADY_SETTLED"
    assert await table.balance() == 10_000 - 500 + 200


async def test_a_rollback_is_accepted_on_a_closed_round(table: Table) -> None:
    first, second = await table.bet(100), await table.bet(200)
    await table.win(first["transaction_uuid"], 0, round_closed=True)
    rolled = await table.rollback(second["transaction_uuid"])
    assert (rolled["status"], rolled["balance"]) == ("RS_OK", 9_900)


async def test_a_win_for_an_unknown_bet_does_not_exist(table: Table) -> None:
    win = await table.win(new_uuid(), 500)
    assert win["status"] == "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"
    bet = await table.bet(100)
    elsewhere = await table.win(bet["transaction_uuid"], 500, round="another-round")
    assert elsewhere["status"] == "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"
    assert await table.balance() == 9_900


async def test_a_bet_above_the_balance_is_refused_with_the_balance(table: Table) -> None:
    refused = await table.bet(10_001, game_code="sandbox-fruits")
    assert refused["status"] == "RS_ERROR_LIMIT_REACHED"  # above the game's maximum stake
    await table.bet(9_000)
    short = await table.bet(1_001)
    assert (short["status"], short["balance"]) == ("RS_ERROR_NOT_ENOUGH_MONEY", 1_000)
    assert (await table.bet(1_000))["balance"] == 0


async def test_a_bet_in_another_currency_is_refused(table: Table) -> None:
    refused = await table.bet(100, currency="USD")
    assert refused["status"] == "RS_ERROR_WRONG_CURRENCY"
    bet = await table.bet(100)
    win = await table.win(bet["transaction_uuid"], 100, currency="USD")
    assert win["status"] == "RS_ERROR_WRONG_CURRENCY"
    assert await table.balance() == 9_900


async def test_a_bet_for_another_game_than_launched_is_refused(table: Table) -> None:
    assert (await table.bet(100, game_code=DICE))["status"] == "RS_ERROR_INVALID_GAME"
    assert (await table.bet(100, game_code="no-such-game"))["status"] == "RS_ERROR_INVALID_GAME"
    assert await table.balance() == 10_000


async def test_a_disabled_player_may_not_bet_but_is_still_paid(
    casino: ServerProcess, table: Table
) -> None:
    bet = await table.bet(100)
    db_execute(casino, "UPDATE players SET status = 'disabled' WHERE id = ?", (int(table.user),))
    try:
        assert (await table.bet(100))["status"] == "RS_ERROR_USER_DISABLED"
        assert (await table.win(bet["transaction_uuid"], 300))["status"] == "RS_OK"
    finally:
        db_execute(casino, "UPDATE players SET status = 'active' WHERE id = ?", (int(table.user),))
    assert await table.balance() == 10_200


async def test_a_free_bet_of_zero_moves_nothing_but_opens_the_round(table: Table) -> None:
    free = await table.bet(0, is_free=True)
    assert (free["status"], free["balance"]) == ("RS_OK", 10_000)
    win = await table.win(free["transaction_uuid"], 250, round_closed=True)
    assert (win["status"], win["balance"]) == ("RS_OK", 10_250)
