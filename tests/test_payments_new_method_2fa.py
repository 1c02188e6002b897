"""A withdrawal to a payment method never withdrawn to before needs the player's two-factor
code when two-factor is on (the accounts rule in payments' withdrawal seam), against the
real server and sandbox gateway: refused without it or with a wrong one, nothing moved; a
method already paid out to needs no code; a player without two-factor is never asked.
The ledger reconciles after each test (the world fixture checks)."""

from __future__ import annotations

from typing import Any

from clients.api import CasinoClient
from tests.support import db as test_db
from tests.support.accounts import code_now, secret_of
from tests.support.payment_webhooks import (
    CARD_OK,
    Processing,
    balance,
    deposit,
    processing,
    verified,
    withdraw,
    world,
)

__all__ = ["processing", "verified", "world"]


async def _two_factor_on(client: CasinoClient) -> bytes:
    """Switch two-factor on; the secret (its first code's step is spent by enabling)."""
    headers = {"Authorization": f"Bearer {client.token}"}
    setup = await client.http.post("/api/me/two-factor/setup", headers=headers)
    assert setup.status_code == 200, setup.text
    secret = secret_of(setup.json())
    enabled = await client.http.post(
        "/api/me/two-factor/enable", json={"code": code_now(secret)}, headers=headers
    )
    assert enabled.status_code == 200, enabled.text
    return secret


def _withdrawals(world: Processing, method_id: int) -> int:
    row = test_db.one(
        world.server.database_path,
        "SELECT COUNT(*) FROM payments WHERE kind = 'withdrawal' AND method_id = ?",
        (method_id,),
    )
    assert row is not None
    return int(row[0])


def _error(reply: tuple[int, dict[str, Any]]) -> tuple[int, str]:
    return reply[0], str(reply[1]["error"]["code"])


async def test_a_withdrawal_to_a_new_method_without_the_code_is_refused_and_moves_nothing(
    world: Processing, verified: CasinoClient
) -> None:
    _, paid = await deposit(verified, 5_000, card_number=CARD_OK)
    await _two_factor_on(verified)
    reply = await withdraw(verified, 1_000, method_id=paid["method_id"])
    assert _error(reply) == (401, "TWO_FACTOR_REQUIRED")
    assert reply[1]["error"]["reason"] == "new_payment_method"
    assert (await balance(verified), _withdrawals(world, paid["method_id"])) == (5_000, 0)


async def test_a_wrong_code_is_refused_and_moves_nothing(
    world: Processing, verified: CasinoClient
) -> None:
    _, paid = await deposit(verified, 5_000, card_number=CARD_OK)
    secret = await _two_factor_on(verified)
    far = code_now(secret, steps_ahead=3)  # three steps away: never accepted
    reply = await withdraw(verified, 1_000, method_id=paid["method_id"], code=far)
    assert _error(reply) == (401, "INVALID_TWO_FACTOR_CODE")
    assert (await balance(verified), _withdrawals(world, paid["method_id"])) == (5_000, 0)


async def test_the_current_code_lets_it_through_and_that_method_needs_no_code_after(
    world: Processing, verified: CasinoClient
) -> None:
    _, paid = await deposit(verified, 5_000, card_number=CARD_OK)
    secret = await _two_factor_on(verified)
    code = code_now(secret, steps_ahead=1)  # enabling spent this step's code
    status, body = await withdraw(verified, 1_000, method_id=paid["method_id"], code=code)
    assert (status, body["status"], body["balance"]) == (201, "completed", 4_000)
    status, body = await withdraw(verified, 500, method_id=paid["method_id"])
    assert (status, body["status"], body["balance"]) == (201, "completed", 3_500)


async def test_a_code_is_taken_once(world: Processing, verified: CasinoClient) -> None:
    _, paid = await deposit(verified, 5_000, card_number=CARD_OK)
    _, other = await deposit(verified, 1_000, card_number=CARD_OK)
    secret = await _two_factor_on(verified)
    code = code_now(secret, steps_ahead=1)
    assert (await withdraw(verified, 5_000, method_id=paid["method_id"], code=code))[0] == 201
    reply = await withdraw(verified, 1_000, method_id=other["method_id"], code=code)
    assert _error(reply) == (401, "INVALID_TWO_FACTOR_CODE")
    assert await balance(verified) == 1_000


async def test_a_player_without_two_factor_is_not_asked_for_a_code(
    world: Processing, verified: CasinoClient
) -> None:
    _, paid = await deposit(verified, 5_000, card_number=CARD_OK)
    status, body = await withdraw(verified, 1_000, method_id=paid["method_id"])
    assert (status, body["status"], body["balance"]) == (201, "completed", 4_000)
