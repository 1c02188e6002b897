"""The seams the process fills at wiring time (server/wiring.py): reconciliation hears each
registered domain's own figure, and the backlog gauges read exactly the keys handed to them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from server.money import keys, ledger
from server.money.hot import HotWallet
from server.money.reconcile import Movements, WalletCheck, reconcile
from server.observability import backlog
from server.observability.backlog import Watched
from server.payments.history import chargebacks_by_wallet, withdrawals_by_wallet
from server.storage.database import Database
from server.wiring import backlog_keys, histories
from tests.support import db as test_db

PLAYER = 7


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A player who was paid 1000 by some domain and has 200 locked for a withdrawal."""
    database = Database(test_db.target_for(tmp_path))
    await database.open()
    async with database.transaction() as tx:
        await tx.execute(
            "INSERT INTO players (id, email, username, password_hash, date_of_birth, country,"
            " currency, created_at) VALUES (?, 'p7@example.com', 'p7', 'x', '1990-01-01',"
            " 'DE', 'EUR', 0)",
            (PLAYER,),
        )
        await ledger.post(
            tx,
            "paid-in",
            ledger.gateway_clearing("sandbox", "EUR"),
            ledger.player_cash(PLAYER, "EUR"),
            1000,
            kind="deposit",
            reference="paid-in",
        )
        await ledger.post(
            tx,
            "locked",
            ledger.player_cash(PLAYER, "EUR"),
            ledger.player_withdrawal_locked(PLAYER, "EUR"),
            200,
            kind="withdrawal_lock",
            reference="locked",
        )
    yield database
    await database.close()


@pytest.fixture
async def hot(own_redis_client: aioredis.Redis) -> HotWallet:
    await own_redis_client.hset(keys.wallet(PLAYER, "EUR"), mapping={"cash": 800, "locked": 200})
    return HotWallet(own_redis_client, 1)


async def paid_in(db: Database) -> Mapping[tuple[int, str], Movements]:
    return {(PLAYER, "EUR"): Movements(cash=1000)}


async def locked_out(db: Database) -> Mapping[tuple[int, str], Movements]:
    return {(PLAYER, "EUR"): Movements(cash=-200, locked=200)}


async def test_every_registered_history_joins_the_wallets_figure(
    db: Database, hot: HotWallet
) -> None:
    report = await reconcile(db, hot, (paid_in, locked_out))
    assert report.wallets == [
        WalletCheck(
            player_id=PLAYER,
            currency="EUR",
            redis_cash=800,
            redis_held=0,
            ledger=800,
            from_history=800,
            redis_locked=200,
            ledger_locked=200,
            locked_from_history=200,
        )
    ]
    assert report.ok


async def test_a_movement_whose_history_is_not_registered_is_a_mismatch(
    db: Database, hot: HotWallet
) -> None:
    report = await reconcile(db, hot, (paid_in,))
    [wallet] = report.wallets
    assert (wallet.from_history, wallet.locked_from_history, wallet.ok) == (1000, 0, False)
    assert report.lines()[-1] == "MISMATCH"


def test_the_process_registers_the_payments_domains_withdrawals_and_chargebacks() -> None:
    assert histories() == (withdrawals_by_wallet, chargebacks_by_wallet)


def test_the_backlog_watches_moneys_journal_due_and_dead_letter_keys_of_every_shard() -> None:
    watched = backlog_keys()
    assert len(watched) == keys.SHARDS
    assert watched[0] == Watched("{s:0}:journal", "{s:0}:due", "{s:0}:journal:dead")
    assert watched[-1] == Watched(
        keys.journal(keys.SHARDS - 1), keys.due(keys.SHARDS - 1), keys.dead_letters(keys.SHARDS - 1)
    )


async def test_the_backlog_reads_only_the_keys_it_is_handed(
    own_redis_client: aioredis.Redis,
) -> None:
    await own_redis_client.xadd("a:stream", {"n": "1"})
    await own_redis_client.xadd("a:stream", {"n": "2"})
    await own_redis_client.zadd("a:due", {"past": 1, "future": 2**52})
    await own_redis_client.xadd("a:dead", {"n": "3"})
    await own_redis_client.xadd(keys.journal(0), {"n": "not watched"})
    found = await backlog.measure(own_redis_client, [Watched("a:stream", "a:due", "a:dead")])
    assert (
        found.stream_length,
        found.reservations_pending,
        found.reservations_past_due,
        found.dead_letters,
    ) == (2, 2, 1, 1)
    assert await backlog.measure(own_redis_client, []) == backlog.Backlog(0, 0.0, 0, 0, 0)
