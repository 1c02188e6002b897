"""The payments API's refusals: a clear code, and nothing written or moved."""

from __future__ import annotations

from clients.api import CasinoClient
from protocol.errors import ErrorCode, Refused
from server.payments.rules import WithdrawalRequest, first_refusal
from tests.conftest import ServerProcess, new_player
from tests.support.payments import Paying, balance, client, get, pay, paying, player, world

__all__ = ["client", "paying", "world"]


async def test_without_a_gateway_the_payments_api_answers_payments_unavailable(
    casino: ServerProcess,
) -> None:
    customer, _ = await new_player(casino.base_url)
    async with customer:
        status, body = await pay(customer, "deposits", 100)
    assert (status, body["error"]["code"]) == (503, "PAYMENTS_UNAVAILABLE")


async def test_an_amount_that_is_not_a_positive_integer_is_invalid(
    world: Paying, client: CasinoClient
) -> None:
    for amount in (0, -5, 1.5, "100", True):
        response = await client.http.post(
            "/api/payments/deposits",
            json={"amount": amount},
            headers={"Authorization": f"Bearer {client.token}", "Idempotency-Key": "k"},
        )
        assert (response.status_code, response.json()["error"]["code"]) == (422, "INVALID_AMOUNT")
    assert (await get(client, "/api/payments"))["payments"] == []


async def test_a_payment_without_an_idempotency_key_is_refused(
    world: Paying, client: CasinoClient
) -> None:
    response = await client.http.post(
        "/api/payments/withdrawals",
        json={"amount": 100},
        headers={"Authorization": f"Bearer {client.token}"},
    )
    assert (response.status_code, response.json()["error"]["code"]) == (422, "VALIDATION_FAILED")


async def test_a_forfeit_flag_or_code_of_the_wrong_type_is_refused_and_nothing_is_written(
    world: Paying, client: CasinoClient
) -> None:
    for kind, field, message in (
        ("deposits", {"forfeit_bonus": [True]}, "forfeit_bonus must be a bool"),
        ("withdrawals", {"forfeit_bonus": "yes"}, "forfeit_bonus must be a bool"),
        ("withdrawals", {"code": 123456}, "code must be a str"),
    ):
        response = await client.http.post(
            f"/api/payments/{kind}",
            json={"amount": 100, **field},
            headers={"Authorization": f"Bearer {client.token}", "Idempotency-Key": "k"},
        )
        error = response.json()["error"]
        assert (response.status_code, error["code"], error["message"]) == (
            422,
            "VALIDATION_FAILED",
            message,
        )
    assert (await get(client, "/api/payments"))["payments"] == []
    assert await balance(client) == 0


async def test_another_players_payment_is_not_found(world: Paying, client: CasinoClient) -> None:
    status, body = await pay(client, "deposits", 100)
    assert status == 201
    async with await player(world.server.base_url) as stranger:
        response = await stranger.http.get(
            f"/api/payments/{body['payment_id']}",
            headers={"Authorization": f"Bearer {stranger.token}"},
        )
        assert (response.status_code, response.json()["error"]["code"]) == (404, "NOT_FOUND")
        assert await balance(stranger) == 0


async def test_the_first_refusing_withdrawal_rule_wins_and_a_passing_rule_refuses_nothing() -> None:
    unverified = Refused(ErrorCode.WITHDRAWAL_REFUSED, "verify your identity first")

    async def passes(request: WithdrawalRequest) -> Refused | None:
        return None

    async def kyc(request: WithdrawalRequest) -> Refused | None:
        return unverified

    async def wagering(request: WithdrawalRequest) -> Refused | None:
        return Refused(ErrorCode.WITHDRAWAL_REFUSED, "wager the bonus first")

    request = WithdrawalRequest(player_id=1, currency="EUR", amount=100)
    assert await first_refusal(request, [passes]) is None
    assert await first_refusal(request, [passes, kyc, wagering]) is unverified
