"""The provider wallet under stress: retries answered after Redis forgot a transaction
(the durable fallback), concurrent bets on one session, racing win and rollback, balance
pushes, an RSA-signing provider, and the ledger entries behind it all."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
import redis.asyncio as aioredis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from clients.provider_sim import ProviderClient, Signer, new_uuid
from server.events import push
from server.money import keys
from server.provider import catalogue, registry
from server.provider.signatures import Scheme
from server.storage.database import Database
from server.storage.redis_client import connect as connect_redis
from tests.conftest import ServerProcess, new_player
from tests.support.provider import (
    SANDBOX,
    Table,
    db_query,
    durable_row,
    launch,
    seat,
    table,
)

__all__ = ["table"]


@pytest.fixture
async def casino_redis(casino: ServerProcess) -> AsyncIterator[aioredis.Redis]:
    client = connect_redis(casino.redis.url)
    yield client
    await client.aclose()


async def forget(client: aioredis.Redis, table: Table, *transaction_uuids: str) -> None:
    """Drop what Redis keeps about these transactions and the table's round, as the
    retention period would."""
    pid = int(table.user)
    doomed = [keys.provider_round(pid, SANDBOX, table.round)]
    for tx in transaction_uuids:
        doomed += [keys.provider_tx(pid, SANDBOX, tx), keys.provider_claim(SANDBOX, tx)]
    await client.delete(*doomed)


async def test_a_retry_after_redis_forgot_the_bet_gets_the_original_result(
    casino: ServerProcess, table: Table, casino_redis: aioredis.Redis
) -> None:
    body = table.body(currency="EUR", amount=400)
    first = await table.send("bet", body)
    assert await durable_row(casino, body["transaction_uuid"]) == (
        "bet", 400, "open", int(table.user),
    )  # fmt: skip
    await forget(casino_redis, table, body["transaction_uuid"])
    again = await table.send("bet", body)
    assert (again["status"], again["balance"]) == ("RS_OK", first["balance"])
    await forget(casino_redis, table, body["transaction_uuid"])
    changed = await table.send("bet", {**body, "amount": 401})
    assert changed["status"] == "RS_ERROR_DUPLICATE_TRANSACTION"
    assert await table.balance() == 9_600


async def test_a_tombstone_outlives_redis(
    casino: ServerProcess, table: Table, casino_redis: aioredis.Redis
) -> None:
    bet_body = table.body(currency="EUR", amount=500)
    rollback = await table.rollback(bet_body["transaction_uuid"])
    await durable_row(casino, rollback["transaction_uuid"])
    assert (await durable_row(casino, bet_body["transaction_uuid"]))[:3] == (
        "tombstone", 0, "rolled_back",
    )  # fmt: skip
    await forget(casino_redis, table, bet_body["transaction_uuid"], rollback["transaction_uuid"])
    late = await table.send("bet", bet_body)
    assert late["status"] == "RS_ERROR_TRANSACTION_ROLLED_BACK"
    assert await table.balance() == 10_000


async def test_a_closed_round_stays_closed_after_redis_forgot_it(
    casino: ServerProcess, table: Table, casino_redis: aioredis.Redis
) -> None:
    bet = await table.bet(100)
    win = await table.win(bet["transaction_uuid"], 0, round_closed=True)
    await durable_row(casino, win["transaction_uuid"])
    await forget(casino_redis, table, bet["transaction_uuid"], win["transaction_uuid"])
    assert (await table.bet(100))["status"] == "RS_ERROR_ROUND_CLOSED"
    assert await table.balance() == 9_900


async def test_a_win_for_a_bet_redis_forgot_is_paid_and_settles_it(
    casino: ServerProcess, table: Table, casino_redis: aioredis.Redis
) -> None:
    bet = await table.bet(300)
    await durable_row(casino, bet["transaction_uuid"])
    await forget(casino_redis, table, bet["transaction_uuid"])
    win = await table.win(bet["transaction_uuid"], 900)
    assert (win["status"], win["balance"]) == ("RS_OK", 10_600)
    assert (await durable_row(casino, win["transaction_uuid"]))[0] == "win"
    for _ in range(100):  # the bet's row turns 'won' when the win is flushed
        if (await durable_row(casino, bet["transaction_uuid"]))[2] == "won":
            break
        await asyncio.sleep(0.02)
    await forget(casino_redis, table, bet["transaction_uuid"])
    refused = await table.rollback(bet["transaction_uuid"])
    assert refused["status"] == "RS_ERROR_BET_ALREADY_SETTLED"
    assert await table.balance() == 10_600


async def test_another_players_old_bet_id_is_still_a_duplicate(
    casino: ServerProcess, table: Table, casino_redis: aioredis.Redis
) -> None:
    body = table.body(currency="EUR", amount=100)
    await table.send("bet", body)
    await durable_row(casino, body["transaction_uuid"])
    await forget(casino_redis, table, body["transaction_uuid"])
    other = await seat(casino)
    try:
        theirs = other.body(currency="EUR", amount=100, transaction_uuid=body["transaction_uuid"])
        assert (await other.send("bet", theirs))["status"] == "RS_ERROR_DUPLICATE_TRANSACTION"
        assert await other.balance() == 10_000
    finally:
        await other.provider.aclose()
        await other.player.http.aclose()


async def test_another_players_old_bet_cannot_be_rolled_back_or_won(
    casino: ServerProcess, table: Table, casino_redis: aioredis.Redis
) -> None:
    bet = await table.bet(100)
    await durable_row(casino, bet["transaction_uuid"])
    await forget(casino_redis, table, bet["transaction_uuid"])
    other = await seat(casino)
    try:
        other.round = table.round
        rolled = await other.rollback(bet["transaction_uuid"])
        won = await other.win(bet["transaction_uuid"], 500)
        assert rolled["status"] == won["status"] == "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"
        assert (await other.balance(), await table.balance()) == (10_000, 9_900)
    finally:
        await other.provider.aclose()
        await other.player.http.aclose()


async def test_concurrent_bets_on_one_session_never_overdraw(casino: ServerProcess) -> None:
    table = await seat(casino, deposit=1_000)
    try:
        replies = await asyncio.gather(*(table.bet(100) for _ in range(25)))
        statuses = sorted(reply["status"] for reply in replies)
        assert statuses.count("RS_OK") == 10
        assert statuses.count("RS_ERROR_NOT_ENOUGH_MONEY") == 15
        assert all(reply["balance"] >= 0 for reply in replies)
        assert await table.balance() == 0
    finally:
        await table.provider.aclose()
        await table.player.http.aclose()


async def test_concurrent_retries_of_one_bet_debit_once(table: Table) -> None:
    body = table.body(currency="EUR", amount=700)
    replies = await asyncio.gather(*(table.send("bet", body) for _ in range(20)))
    assert {(reply["status"], reply["balance"]) for reply in replies} == {("RS_OK", 9_300)}
    assert await table.balance() == 9_300


async def test_a_racing_win_and_rollback_resolve_the_bet_once(table: Table) -> None:
    for _ in range(5):
        bet = await table.bet(100)
        before = await table.balance()
        win, rolled = await asyncio.gather(
            table.win(bet["transaction_uuid"], 250), table.rollback(bet["transaction_uuid"])
        )
        outcome = (win["status"], rolled["status"])
        assert outcome in {
            ("RS_OK", "RS_ERROR_BET_ALREADY_SETTLED"),
            ("RS_ERROR_TRANSACTION_ROLLED_BACK", "RS_OK"),
        }
        expected = before + (250 if outcome[0] == "RS_OK" else 100)
        assert await table.balance() == expected


async def test_every_balance_change_is_pushed_to_the_players_sessions(
    table: Table, casino_redis: aioredis.Redis
) -> None:
    async with casino_redis.pubsub() as pubsub:
        await pubsub.subscribe(push.channel(int(table.user)))
        await pubsub.get_message(timeout=1)  # the subscription confirmation
        bet = await table.bet(250)
        await table.send("bet", table.body(currency="EUR", amount=250,
                                           transaction_uuid=bet["transaction_uuid"]))  # fmt: skip
        await table.win(bet["transaction_uuid"], 1_000)
        pushed = []
        for wait_s in (2.0, 2.0, 0.2):  # the third read proves there is no third push
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=wait_s)
            if message is not None:
                pushed.append(json.loads(message["data"]))
    assert pushed == [
        {"type": "balance_changed", "balance": 9_750, "currency": "EUR", "reason": "provider"},
        {"type": "balance_changed", "balance": 10_750, "currency": "EUR", "reason": "provider"},
    ]  # the repeated bet moved nothing and pushed nothing


async def test_an_rsa_provider_signs_with_its_key_and_verifies_ours(
    casino: ServerProcess,
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    name = f"rsa{new_uuid()[:8]}"
    db = Database(casino.database_path)
    await db.open()
    try:
        secret = await registry.add(
            db, name, "RSA studio", Scheme.RSA_SHA256, "https://rsa.invalid/play", public_pem
        )
        assert secret is None
        await catalogue.add_game(
            db, catalogue.ProviderGame(name, "rsa-roulette", "RSA Roulette", ("table-games",),
                                       97_300, 10, 5_000, True),
        )  # fmt: skip
    finally:
        await db.close()
    player, _ = await new_player(casino.base_url, deposit=2_000)
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        operator_key = serialization.load_pem_public_key(
            (await http.get("/provider/public-key")).content
        )
    assert isinstance(operator_key, rsa.RSAPublicKey)
    provider = ProviderClient(
        casino.base_url, name, Signer(private_key=key, casino_public_key=operator_key)
    )
    try:
        launched = await launch(player, name, "rsa-roulette")
        session = await provider.open_session(launched)  # the reply's RSA signature verified
        table = Table(provider, player, session)
        bet = await table.bet(500)
        assert (bet["status"], bet["balance"]) == ("RS_OK", 1_500)
        win = await table.win(bet["transaction_uuid"], 1_800, round_closed=True)
        assert (win["status"], win["balance"]) == ("RS_OK", 3_300)
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        impostor = ProviderClient(
            casino.base_url, name, Signer(private_key=stranger, casino_public_key=operator_key)
        )
        try:
            refused = await impostor.user_info(session["token"])
            assert refused["status"] == "RS_ERROR_INVALID_SIGNATURE"
        finally:
            await impostor.aclose()
    finally:
        await provider.aclose()
        await player.http.aclose()


async def test_provider_money_is_in_the_ledger_against_the_providers_account(
    casino: ServerProcess, table: Table
) -> None:
    bet = await table.bet(400)
    win = await table.win(bet["transaction_uuid"], 100, round_closed=True)
    await durable_row(casino, win["transaction_uuid"])
    transfers = db_query(
        casino,
        "SELECT t.amount, d.code, c.code FROM ledger_transfers t"
        " JOIN ledger_accounts d ON d.id = t.debit_account_id"
        " JOIN ledger_accounts c ON c.id = t.credit_account_id"
        " WHERE t.idempotency_key IN (?, ?) ORDER BY t.id",
        (f"provider:{SANDBOX}:{bet['transaction_uuid']}",
         f"provider:{SANDBOX}:{win['transaction_uuid']}"),
    )  # fmt: skip
    player_account = f"player:{table.user}:cash:EUR"
    assert transfers == [
        (400, player_account, "provider:sandbox:EUR"),
        (100, "provider:sandbox:EUR", player_account),
    ]
