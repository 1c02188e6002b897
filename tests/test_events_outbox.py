"""The SQL outbox and its relay, on a real SQLite file and a real redis-server: an event is
written in the transaction of its change (rolled back with it), and every committed event
reaches its player's shard stream at least once, in order, with an id to dedupe by."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from server.events import outbox, stream
from server.events.catalogue import Deposited, StatusChanged
from server.events.lua import source as lua_source
from server.storage.database import Database
from server.storage.slots import shard
from tests.support import db as test_db


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(test_db.target_for(tmp_path))
    await database.open()
    yield database
    await database.close()


def deposit(player_id: int, deposit_id: int) -> Deposited:
    return Deposited(
        id=f"deposit:{deposit_id}", player_id=player_id, at_ms=1_000 + deposit_id,
        deposit_id=deposit_id, amount=100 * deposit_id, currency="EUR", gateway="sandbox",
    )  # fmt: skip


async def outbox_rows(db: Database) -> list[tuple[str, int, str, int | None]]:
    rows = await db.fetchall(
        "SELECT event_id, player_id, kind, relayed_at IS NOT NULL FROM event_outbox ORDER BY id"
    )
    return [(str(r[0]), int(r[1]), str(r[2]), int(r[3])) for r in rows]


async def test_an_event_emitted_in_a_committed_transaction_is_in_the_outbox(db: Database) -> None:
    async with db.transaction() as tx:
        await outbox.emit(tx, deposit(5, 1))
    assert await outbox_rows(db) == [("deposit:1", 5, "deposit", 0)]


async def test_a_rolled_back_change_emits_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await outbox.emit(tx, deposit(5, 1))
            raise RuntimeError("the change failed after its event was written")
    assert await outbox_rows(db) == []


async def test_emitting_one_event_id_twice_keeps_one_row(db: Database) -> None:
    async with db.transaction() as tx:
        await outbox.emit(tx, deposit(5, 1))
        await outbox.emit(tx, deposit(5, 1))
    assert await outbox_rows(db) == [("deposit:1", 5, "deposit", 0)]


async def test_the_relay_appends_committed_events_to_their_players_shard_and_marks_them(
    db: Database, own_redis_client: aioredis.Redis
) -> None:
    async with db.transaction() as tx:
        await outbox.emit(tx, deposit(5, 1))
        await outbox.emit(tx, deposit(6, 2))
    assert await outbox.Relay(db, own_redis_client).relay_once() == 2
    assert [e.event for e in await stream.replay(own_redis_client, shard(5))] == [deposit(5, 1)]
    assert [e.event for e in await stream.replay(own_redis_client, shard(6))] == [deposit(6, 2)]
    assert stream.key_of(5) == "{s:5}:events"
    assert await outbox_rows(db) == [("deposit:1", 5, "deposit", 1), ("deposit:2", 6, "deposit", 1)]
    assert await outbox.Relay(db, own_redis_client).relay_once() == 0  # nothing left to relay


async def test_one_players_events_reach_the_stream_in_commit_order_across_batches(
    db: Database, own_redis_client: aioredis.Redis
) -> None:
    for deposit_id in range(1, 8):
        async with db.transaction() as tx:
            await outbox.emit(tx, deposit(5, deposit_id))
    relay = outbox.Relay(db, own_redis_client, batch=3)
    assert [await relay.relay_once() for _ in range(4)] == [3, 3, 1, 0]
    found = await stream.replay(own_redis_client, shard(5))
    assert [e.event.id for e in found] == [f"deposit:{n}" for n in range(1, 8)]


async def test_a_row_whose_mark_was_lost_is_relayed_again_with_the_same_event_id(
    db: Database, own_redis_client: aioredis.Redis
) -> None:
    async with db.transaction() as tx:
        await outbox.emit(tx, deposit(5, 1))
    relay = outbox.Relay(db, own_redis_client)
    await relay.relay_once()
    # A crash between the append and the mark: the row is still unmarked when the relay runs.
    async with db.transaction() as tx:
        await tx.execute("UPDATE event_outbox SET relayed_at = NULL")
    assert await relay.relay_once() == 1
    found = await stream.replay(own_redis_client, shard(5))
    assert [e.event.id for e in found] == ["deposit:1", "deposit:1"]
    assert len({e.event.id for e in found}) == 1  # what a consumer deduping by id keeps


async def test_a_relay_with_redis_away_marks_nothing_and_relays_later(
    db: Database, own_redis_client: aioredis.Redis
) -> None:
    async with db.transaction() as tx:
        await outbox.emit(tx, deposit(5, 1))
    nowhere = aioredis.Redis(port=1, socket_connect_timeout=0.2)
    with pytest.raises(aioredis.ConnectionError):
        await outbox.Relay(db, nowhere).relay_once()
    await nowhere.aclose()
    assert await outbox_rows(db) == [("deposit:1", 5, "deposit", 0)]
    assert await outbox.Relay(db, own_redis_client).relay_once() == 1


async def test_the_lua_include_appends_an_event_the_catalogue_decodes(
    own_redis_client: aioredis.Redis,
) -> None:
    script = lua_source() + (
        "return emit_event(KEYS[1], 'restriction', ARGV[1], tonumber(ARGV[2]),"
        " 1700000000123, {'status', 'restricted', 'reason', ARGV[3]})"
    )
    await own_redis_client.eval(script, 1, stream.key_of(9), "status:x", 9, 'say "no"')
    [found] = await stream.replay(own_redis_client, shard(9))
    assert found.event == StatusChanged(
        id="status:x", player_id=9, at_ms=1_700_000_000_123, status="restricted",
        reason='say "no"',
    )  # fmt: skip


async def test_the_lua_include_writes_integers_past_cjsons_14_digits_exactly(
    own_redis_client: aioredis.Redis,
) -> None:
    script = lua_source() + (
        "return emit_event(KEYS[1], 'deposit', 'deposit:1', 9, 1700000000123,"
        " {'deposit_id', 1, 'amount', 900719925474099, 'currency', 'EUR',"
        " 'gateway', 'sandbox'})"
    )
    await own_redis_client.eval(script, 1, stream.key_of(9))
    [found] = await stream.replay(own_redis_client, shard(9))
    assert isinstance(found.event, Deposited)
    assert found.event.amount == 900_719_925_474_099
