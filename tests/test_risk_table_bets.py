"""A settled table round's bets reach the fraud rules as a `RoundBets` event that the flusher
appends from the round's journal entry: against a real redis-server and the test database
(SQLite, or PostgreSQL in a PostgreSQL pass), through the real flusher and the real monitor."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from server.events import stream
from server.events.catalogue import Event, RoundBets
from server.money import keys, ledger
from server.money.journal.flusher import Flusher
from server.risk.geoip import NoGeoIp
from server.risk.monitor import Monitor
from server.risk.policy import Policy
from server.storage.database import Database
from server.storage.slots import shard
from tests.support import db as test_db

PLAYER = 5
BETS = [{"type": "red", "amount": 100}, {"type": "black", "amount": 100}]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(test_db.target_for(tmp_path))
    await database.open()
    async with database.transaction() as tx:
        await tx.execute(
            "INSERT INTO players (id, email, username, password_hash, date_of_birth, country,"
            " currency, created_at) VALUES (?, 'p5@example.com', 'p5', 'x', '1990-01-01', 'DE',"
            " 'EUR', 0)",
            (PLAYER,),
        )
        # Cash for the stakes' cash parts, a bonus award for their bonus parts.
        await ledger.post(
            tx, "deposit:5", ledger.gateway_clearing("sandbox", "EUR"),
            ledger.player_cash(PLAYER, "EUR"), 1_000, kind="deposit", reference="deposit:5",
        )  # fmt: skip
        await ledger.post(
            tx, "bonus:5", ledger.bonus_cost("EUR"), ledger.player_bonus(PLAYER, "EUR"), 1_000,
            kind="bonus", reference="bonus:5",
        )  # fmt: skip
    yield database
    await database.close()


def settled(round_id: str, game: str, options: Any, stake_bonus: int = 0) -> dict[str, str]:
    """A settled round as the spin script writes it to the journal."""
    return {
        "kind": "settle", "round_id": round_id, "player_id": str(PLAYER), "game": game,
        "currency": "EUR", "stake": "200", "payout": "0", "balance_before": "1000",
        "balance_after": "800", "outcome": "{}", "reserved_at": "1700000000000",
        "settled_at": "1700000000005", "inputs": json.dumps({"stake": 200, "options": options}),
        "stake_bonus": str(stake_bonus), "payout_bonus": "0", "free": "0",
    }  # fmt: skip


async def flushed_events(
    client: aioredis.Redis, db: Database, *entries: dict[str, str]
) -> list[Event]:
    flusher = Flusher(client, db, batch=100, block_ms=10)
    await flusher.ensure_group()
    for fields in entries:
        await client.xadd(keys.journal_of(PLAYER), fields)  # type: ignore[arg-type]
    await flusher.drain()
    return [entry.event for entry in await stream.replay(client, shard(PLAYER))]


async def test_a_settled_roulette_round_becomes_a_round_bets_event_with_its_bets(
    own_redis_client: aioredis.Redis, db: Database
) -> None:
    found = await flushed_events(
        own_redis_client, db, settled("t1", "european-roulette", {"bets": BETS}, stake_bonus=80)
    )
    assert found == [
        RoundBets(
            id="bets:t1", player_id=PLAYER, at_ms=1_700_000_000_005, round_id="t1",
            game="european-roulette", currency="EUR", stake=200, stake_bonus=80,
            options={"bets": BETS},
        )
    ]  # fmt: skip


async def test_slot_rounds_and_free_rounds_make_no_round_bets_event(
    own_redis_client: aioredis.Redis, db: Database
) -> None:
    free = {**settled("t3", "european-roulette", {"bets": BETS}), "free": "1"}
    found = await flushed_events(own_redis_client, db, settled("t2", "classic-sevens", None), free)
    assert found == []


async def test_the_monitor_flags_a_hedged_bonus_round_the_flusher_wrote(
    own_redis_client: aioredis.Redis, db: Database
) -> None:
    monitor = Monitor(own_redis_client, db, Policy(), NoGeoIp(), name="test")
    await monitor.join("0")
    await flushed_events(
        own_redis_client, db, settled("t4", "european-roulette", {"bets": BETS}, stake_bonus=80)
    )
    raised = await monitor.once(block_ms=100)
    assert [(a.rule, a.player_id, a.event_ids) for a in raised] == [
        ("hedged_bets", PLAYER, ["bets:t4"]),
        ("bonus_low_risk", PLAYER, ["bets:t4"]),
    ]
