"""Money end to end: deposits, reconciliation after concurrent play, and reservations that
are never settled."""

from __future__ import annotations

import asyncio
import time

import pytest

from clients.api import ApiFailure
from games.classic_slot import INFO as CLASSIC
from rng import fair
from server.money.hot import HotWallet, Reserved
from server.storage.redis_client import connect as connect_redis
from tests.conftest import ServerProcess, new_player, settled_report, unique
from tests.support import db as test_db


async def test_a_sandbox_deposit_credits_the_balance(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        deposit = await client.deposit(2500, idempotency_key="first")
        assert (deposit["gateway"], deposit["amount"], deposit["balance"]) == (
            "sandbox",
            2500,
            2500,
        )
        assert (deposit["currency"], deposit["replayed"]) == ("EUR", False)
        assert await client.call("GET", "/api/wallet") == {"balance": 2500, "currency": "EUR"}


async def test_repeating_a_deposit_key_credits_once(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        first = await client.deposit(2500, idempotency_key="same")
        again = await client.deposit(2500, idempotency_key="same")
        assert (again["deposit_id"], again["replayed"]) == (first["deposit_id"], True)
        assert (await client.call("GET", "/api/wallet"))["balance"] == 2500


async def test_reusing_a_deposit_key_for_another_amount_is_a_conflict(
    casino: ServerProcess,
) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        await client.deposit(2500, idempotency_key="same")
        with pytest.raises(ApiFailure) as caught:
            await client.deposit(9999, idempotency_key="same")
        assert (caught.value.status, caught.value.code) == (409, "IDEMPOTENCY_CONFLICT")
        assert (await client.call("GET", "/api/wallet"))["balance"] == 2500


@pytest.mark.parametrize("amount", [0, -100, 12.5, "100", True, None, 10**12])
async def test_an_invalid_deposit_amount_is_refused(casino: ServerProcess, amount: object) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        with pytest.raises(ApiFailure) as caught:
            await client.call(
                "POST",
                "/api/sandbox/deposits",
                {"amount": amount},
                {"Idempotency-Key": unique("k")},
            )
        assert (caught.value.status, caught.value.code) == (422, "INVALID_AMOUNT")
        assert (await client.call("GET", "/api/wallet"))["balance"] == 0


async def test_a_deposit_in_another_currency_is_refused(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        with pytest.raises(ApiFailure) as caught:
            await client.call(
                "POST", "/api/sandbox/deposits", {"amount": 100, "currency": "USD"},
                {"Idempotency-Key": "k"},
            )  # fmt: skip
        assert caught.value.code == "WRONG_CURRENCY"


async def test_a_deposit_without_an_idempotency_key_is_refused(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        with pytest.raises(ApiFailure) as caught:
            await client.call("POST", "/api/sandbox/deposits", {"amount": 100})
        assert caught.value.code == "VALIDATION_FAILED"


async def test_200_spins_by_5_concurrent_players_reconcile_exactly(casino: ServerProcess) -> None:
    async def play(spins: int) -> int:
        client, player = await new_player(casino.base_url, deposit=50_000)
        async with client, client.socket() as sock:
            assert client.token is not None
            await sock.hello(client.token)
            for _ in range(spins):
                reply = await sock.spin(CLASSIC.id, 100)
                assert reply["type"] == "spin", reply
        return int(str(player["player_id"]))

    players = await asyncio.gather(*(play(40) for _ in range(5)))
    report = await settled_report(casino)
    assert report.ok, "\n".join(report.lines())
    checks = {w.player_id: w for w in report.wallets if w.player_id in players}
    assert len(checks) == 5
    for check in checks.values():
        assert check.redis_cash == check.ledger == check.from_history
    counts: dict[int, int] = dict(
        test_db.query(
            casino.database_path,
            f"SELECT player_id, COUNT(*) FROM rounds WHERE player_id IN ({','.join('?' * 5)})"
            " GROUP BY player_id",
            players,
        )
    )
    assert counts == {player_id: 40 for player_id in players}


async def test_a_reservation_never_settled_is_voided_by_the_sweeper(casino: ServerProcess) -> None:
    """A server that dies between reserve and settle leaves a hold; the sweeper gives it back."""
    client, player = await new_player(casino.base_url, deposit=1000)
    await client.__aexit__(None, None, None)
    player_id = int(str(player["player_id"]))
    redis_client = connect_redis(casino.redis.url)
    try:
        hot = HotWallet(redis_client, reservation_ttl_ms=1000)
        round_id = unique("orphan")
        await hot.install_seed(player_id, False, bytes(32), fair.seed_hash(bytes(32)), "t", 0)
        held = await hot.reserve(player_id, "EUR", round_id, CLASSIC.id, 400)
        assert isinstance(held, Reserved) and held.cash == 600
        deadline = time.monotonic() + 15
        while await hot.held(player_id, "EUR") and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert (await hot.balance(player_id, "EUR"), await hot.held(player_id, "EUR")) == (1000, 0)
        await hot.aclose()
    finally:
        await redis_client.aclose()
    await settled_report(casino)
    row = test_db.one(
        casino.database_path,
        "SELECT status, stake, payout FROM rounds WHERE round_id = ?",
        (round_id,),
    )
    assert row == ("expired", 400, 0)
