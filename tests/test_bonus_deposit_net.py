"""The deposit match is awarded on what a deposit brought to the player's cash: a deposit
that first repays a chargeback debt qualifies with the rest only (real SQLite and Redis)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.bonus import terms as rules
from server.money import ledger
from server.money.hot import HotWallet
from server.money.wallet import Wallet
from server.storage.database import Database
from server.storage.redis_child import RedisChild
from server.storage.redis_client import connect as connect_redis
from tests.support import db as test_db

PLAYER = 1


@pytest.fixture
async def wallet(tmp_path: Path, own_redis: RedisChild) -> AsyncIterator[Wallet]:
    db = Database(test_db.target_for(tmp_path))
    await db.open()
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO players (id, email, username, password_hash, date_of_birth, country,"
            " currency, created_at) VALUES (1, 'a@b.c', 'abc', 'x', '1990-01-01', 'DE', 'EUR', 0)"
        )
    client = connect_redis(own_redis.url)
    await client.flushall()
    yield Wallet(db, HotWallet(client, 60_000))
    await client.aclose()
    await db.close()


async def owe(db: Database, amount: int) -> None:
    """A lost chargeback's debt, as the ledger holds it (the debt account negative)."""
    async with db.transaction() as tx:
        await ledger.post(
            tx, "chargeback:test", ledger.player_debt(PLAYER, "EUR"),
            ledger.chargeback_losses("EUR"), amount, kind="chargeback", reference="test",
        )  # fmt: skip


async def test_the_deposit_hook_is_told_the_deposit_net_of_the_debt_it_repaid(
    wallet: Wallet,
) -> None:
    told: list[int] = []

    async def hook(player_id: int, currency: str, deposit_id: int, amount: int) -> None:
        told.append(amount)

    wallet.on_deposit.append(hook)
    await owe(wallet.db, 3_000)
    made = await wallet.deposit(PLAYER, "EUR", 5_000, "dep-1")
    assert (made.debt_repaid, told) == (3_000, [2_000])
    await wallet.deposit(PLAYER, "EUR", 4_000, "dep-2")  # nothing owed any more
    assert told == [2_000, 4_000]


async def test_a_deposit_that_only_repaid_debt_tells_no_hook(wallet: Wallet) -> None:
    told: list[int] = []

    async def hook(player_id: int, currency: str, deposit_id: int, amount: int) -> None:
        told.append(amount)

    wallet.on_deposit.append(hook)
    await owe(wallet.db, 3_000)
    await wallet.deposit(PLAYER, "EUR", 1_000, "dep-1")
    assert told == []


def test_a_100_percent_match_of_the_net_deposit_grants_the_net() -> None:
    match = rules.parse({"kind": "deposit_match", "percent": 100, "cap": 0, "wagering": 30})
    assert (rules.grant_amount(match, 5_000 - 3_000), rules.grant_amount(match, 0)) == (2_000, 0)
