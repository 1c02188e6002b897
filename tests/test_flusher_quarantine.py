"""A stream entry the database refuses for its content is quarantined, and stops nothing else.

Against a real redis-server of the module's own and a real SQLite file or PostgreSQL
database: the flusher
writes the good entries around a poisoned one, moves the poisoned one to the
dead-letter stream, and writes it once its cause is fixed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from server.money import keys, ledger
from server.money.hot import HotWallet
from server.money.journal.flusher import Flusher
from server.money.reconcile import reconcile
from server.storage.database import Database, DatabaseTarget
from server.wiring import histories
from tests.support.postgres import database_target, postgres_cluster

__all__ = ["database_target", "postgres_cluster"]  # fixtures, used by name

KNOWN_PLAYER = 1
UNKNOWN_PLAYER = 2  # no row in `players`: the rounds table's foreign key refuses it


@pytest.fixture
def redis_client(own_redis_client: aioredis.Redis) -> aioredis.Redis:
    return own_redis_client


@pytest.fixture
async def db(database_target: DatabaseTarget) -> AsyncIterator[Database]:
    """A fresh database of each dialect (tests/support/postgres.py)."""
    database = Database(database_target)
    await database.open()
    await add_player(database, KNOWN_PLAYER)
    yield database
    await database.close()


async def add_player(db: Database, player_id: int) -> None:
    """A player with 1000 deposited in the ledger, enough for the rounds below."""
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO players (id, email, username, password_hash, date_of_birth, country,"
            " currency, created_at) VALUES (?, ?, ?, 'x', '1990-01-01', 'DE', 'EUR', 0)",
            (player_id, f"p{player_id}@example.com", f"p{player_id}"),
        )
        await ledger.post(
            tx,
            f"deposit:{player_id}",
            ledger.gateway_clearing("sandbox", "EUR"),
            ledger.player_cash(player_id, "EUR"),
            1000,
            kind="deposit",
            reference=f"deposit:{player_id}",
        )


def settled(round_id: str, player_id: int) -> dict[Any, Any]:
    return {
        "kind": "settle",
        "round_id": round_id,
        "player_id": str(player_id),
        "game": "classic-sevens",
        "currency": "EUR",
        "stake": "100",
        "payout": "0",
        "balance_before": "1000",
        "balance_after": "900",
        "outcome": "{}",
        "reserved_at": "1",
        "settled_at": "2",
    }


async def stored_rounds(db: Database) -> list[str]:
    return [str(row[0]) for row in await db.fetchall("SELECT round_id FROM rounds ORDER BY 1")]


async def flusher_with_poison(redis_client: aioredis.Redis, db: Database) -> Flusher:
    flusher = Flusher(redis_client, db, batch=100, block_ms=10)
    await flusher.ensure_group()
    await redis_client.xadd(keys.journal_of(KNOWN_PLAYER), settled("good-1", KNOWN_PLAYER))
    await redis_client.xadd(keys.journal_of(UNKNOWN_PLAYER), settled("poison", UNKNOWN_PLAYER))
    await redis_client.xadd(keys.journal_of(KNOWN_PLAYER), settled("good-2", KNOWN_PLAYER))
    return flusher


async def test_the_entries_around_a_refused_one_are_written(
    redis_client: aioredis.Redis, db: Database
) -> None:
    flusher = await flusher_with_poison(redis_client, db)
    assert await flusher.drain() == 3
    assert await stored_rounds(db) == ["good-1", "good-2"]
    assert [await redis_client.xlen(stream) for stream in keys.journals()] == [0] * keys.SHARDS


async def test_the_refused_entry_waits_in_the_dead_letter_stream_with_its_reason(
    redis_client: aioredis.Redis, db: Database
) -> None:
    flusher = await flusher_with_poison(redis_client, db)
    await flusher.drain()
    [(_, fields)] = await redis_client.xrange(keys.dead_letters(keys.shard(UNKNOWN_PLAYER)))  # type: ignore[misc]
    assert fields is not None
    assert fields["round_id"] == "poison"
    assert fields["dead_reason"] == (
        "IntegrityError: FOREIGN KEY constraint failed"
        if db.dialect == "sqlite"
        else 'ForeignKeyViolationError: insert or update on table "rounds" violates foreign key'
        ' constraint "rounds_player_id_fkey"\nDETAIL:  Key (player_id)=(2) is not present in'
        ' table "players".'
    )


async def test_reconciliation_fails_while_an_entry_is_quarantined(
    redis_client: aioredis.Redis, db: Database
) -> None:
    flusher = await flusher_with_poison(redis_client, db)
    await flusher.drain()
    report = await reconcile(db, HotWallet(redis_client, 1), histories())
    assert (report.dead_letters, report.ok) == (1, False)
    assert "quarantined stream entries: 1" in report.lines()


async def test_a_quarantined_entry_is_written_once_its_cause_is_fixed(
    redis_client: aioredis.Redis, db: Database
) -> None:
    flusher = await flusher_with_poison(redis_client, db)
    await flusher.drain()
    await add_player(db, UNKNOWN_PLAYER)
    assert await flusher.drain() == 0  # start-up retries the quarantine before the stream
    assert await stored_rounds(db) == ["good-1", "good-2", "poison"]
    assert await redis_client.xlen(keys.dead_letters(keys.shard(UNKNOWN_PLAYER))) == 0


async def test_a_still_refused_entry_stays_quarantined_on_retry(
    redis_client: aioredis.Redis, db: Database
) -> None:
    flusher = await flusher_with_poison(redis_client, db)
    await flusher.drain()
    assert await flusher.retry_dead_letters() == 0
    assert await redis_client.xlen(keys.dead_letters(keys.shard(UNKNOWN_PLAYER))) == 1
