"""The start-up key migration: a Redis written in the one-stream layout (issue 15's `before`)
ends in the sharded layout, once, with every cent where it was.

The old data is written the way the code before issue 15 wrote it: by the wallet's own Lua
scripts, under the key names of that code, frozen below (`Old`), since `server/money/keys.py`
no longer knows them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from rng import fair
from server.money import key_migration, keys, ledger, lua
from server.money.hot import HotWallet
from server.money.journal.flusher import Flusher
from server.money.key_migration import KeyMigrationError, migrate
from server.money.reconcile import reconcile
from server.storage.database import Database
from server.wiring import histories
from tests.support import db as test_db

SPINNER = 3  # shard 3: one settled spin, flushed by nobody yet
HOLDER = 20  # shard 4: one stake held by a pending reservation
SEED = bytes(range(32))
DUE_AT = 1_700_000_000_000
REPLY_CACHE = f"{{p:{SPINNER}}}:req:session-1:i:7:00ff"


class Old:
    """The key names of the code before issue 15 (server/money/keys.py at that time)."""

    STREAM = "casino:rounds"
    DUE = "casino:reservations:due"

    @staticmethod
    def wallet(player_id: int) -> str:
        return f"{{p:{player_id}}}:wallet:EUR"

    @staticmethod
    def fair_seed(player_id: int) -> str:
        return f"{{p:{player_id}}}:fair"

    @staticmethod
    def done(player_id: int, round_id: str) -> str:
        return f"{{p:{player_id}}}:done:{round_id}"

    @staticmethod
    def reservation(player_id: int, round_id: str) -> str:
        return f"{{p:{player_id}}}:resv:{round_id}"

    @staticmethod
    def open_rounds(player_id: int) -> str:
        return f"{{p:{player_id}}}:open"

    @staticmethod
    def sessions(player_id: int) -> str:
        return f"{{p:{player_id}}}:sessions"

    @staticmethod
    def claim(provider_id: str, transaction_uuid: str) -> str:
        return f"casino:ptxowner:{provider_id}:{transaction_uuid}"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(test_db.target_for(tmp_path))
    await database.open()
    for player_id in (SPINNER, HOLDER):
        await deposited(database, player_id, 1_000)
    yield database
    await database.close()


async def deposited(db: Database, player_id: int, amount: int) -> None:
    """A player with one completed, credited deposit, in the tables and the ledger."""
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO players (id, email, username, password_hash, date_of_birth, country,"
            " currency, created_at) VALUES (?, ?, ?, 'x', '1990-01-01', 'DE', 'EUR', 0)",
            (player_id, f"p{player_id}@example.com", f"p{player_id}"),
        )
        await tx.execute(
            "INSERT INTO deposits (player_id, idempotency_key, gateway, amount, currency,"
            " status, created_at, credited_at) VALUES (?, 'd', 'sandbox', ?, 'EUR',"
            " 'completed', 1, 1)",
            (player_id, amount),
        )
        await ledger.post(
            tx,
            f"deposit:{player_id}",
            ledger.gateway_clearing("sandbox", "EUR"),
            ledger.player_cash(player_id, "EUR"),
            amount,
            kind="deposit",
            reference=f"deposit:{player_id}",
        )


# Today's scripts write the old layout's keys (the moves are the same); their events land here,
# and they read a responsible-gambling and a bonus hash that the old server never had.
SCRATCH_EVENTS = "scratch:events"
SCRATCH_RG = "scratch:rg"
SCRATCH_BONUS = "scratch:bonus"


async def write_old_layout(client: aioredis.Redis) -> None:
    """What a server before issue 15 left: wallets, seeds, a settled spin in the stream (read
    by a consumer that died before acknowledging it), a pending reservation in the due
    index, a provider id claim, a sessions set and a cached reply."""
    await client.xgroup_create(Old.STREAM, "flusher", id="0", mkstream=True)
    for player_id in (SPINNER, HOLDER):
        await lua.register(client, "hydrate")(keys=[Old.wallet(player_id)], args=[1_000, 0])
        await lua.register(client, "seeds")(
            keys=[Old.fair_seed(player_id)],
            args=["create", SEED.hex(), fair.seed_hash(SEED), "client", 0],
        )
    await client.zadd(Old.sessions(SPINNER), {"session-1": 2_000_000_000})
    spun = await lua.register(client, "spin")(
        keys=[
            Old.wallet(SPINNER), Old.done(SPINNER, "spin-1"), Old.fair_seed(SPINNER),
            SCRATCH_EVENTS, Old.STREAM, SCRATCH_RG, SCRATCH_BONUS,
        ],
        args=[
            100, 250, "{}", 60_000, SPINNER, "classic-sevens", "EUR", "spin-1", "{}",
            fair.seed_hash(SEED), "client", 0, 50_000, 5_000,
        ],
    )  # fmt: skip
    assert spun[0] == "OK"
    await client.xreadgroup("flusher", "dead-host:1", {Old.STREAM: ">"}, count=10)
    await client.zadd(Old.DUE, {keys.due_member(HOLDER, "EUR", "held-1"): DUE_AT})
    reserved = await lua.register(client, "reserve")(
        keys=[
            Old.wallet(HOLDER), Old.reservation(HOLDER, "held-1"), Old.fair_seed(HOLDER),
            Old.open_rounds(HOLDER), Old.STREAM, SCRATCH_EVENTS, SCRATCH_RG, SCRATCH_BONUS,
        ],
        args=[100, 60_000, HOLDER, "european-roulette", "EUR", "held-1", "{}", 50_000, 5_000],
    )  # fmt: skip
    assert reserved[0] == "OK"
    await client.delete(SCRATCH_EVENTS)  # today's scripts emit events; that server had none
    owner = await lua.register(client, "provider_claim")(
        keys=[Old.claim("sandbox", "tx-1")], args=[HOLDER, 60_000]
    )
    assert [str(part) for part in owner] == ["OK", str(HOLDER)]
    await client.set(REPLY_CACHE, "{}")


@pytest.fixture
async def old(own_redis_client: aioredis.Redis) -> aioredis.Redis:
    await write_old_layout(own_redis_client)
    return own_redis_client


async def all_keys(client: aioredis.Redis) -> set[str]:
    return {str(key) async for key in client.scan_iter(count=1000)}


async def test_every_money_key_moves_to_its_sharded_name(old: aioredis.Redis) -> None:
    assert await migrate(old) == 10
    assert await all_keys(old) == {
        key_migration.MARKER,
        REPLY_CACHE,
        "{s:3}:p:3:wallet:EUR",
        "{s:3}:p:3:fair",
        "{s:3}:p:3:done:spin-1",
        "{s:3}:p:3:sessions",
        "{s:4}:p:20:wallet:EUR",
        "{s:4}:p:20:fair",
        "{s:4}:p:20:resv:held-1",
        keys.provider_claim("sandbox", "tx-1"),
        "{s:0}:journal",
        "{s:4}:due",
    }


async def test_balances_and_holds_keep_their_values(old: aioredis.Redis) -> None:
    hot = HotWallet(old, 60_000)
    await migrate(old)
    assert [await hot.balance(SPINNER, "EUR"), await hot.balance(HOLDER, "EUR")] == [1_150, 900]
    assert await hot.held(HOLDER, "EUR") == 100
    assert (await hot.reservation(HOLDER, "held-1"))["state"] == "pending"


async def test_the_old_stream_moves_whole_with_its_group_and_unacknowledged_entry(
    old: aioredis.Redis,
) -> None:
    await migrate(old)
    [group] = await old.xinfo_groups(keys.journal(0))
    assert (group["name"], group["pending"]) == ("flusher", 1)
    [(_, fields)] = await old.xrange(keys.journal(0))  # type: ignore[misc]
    assert fields is not None
    assert (fields["round_id"], fields["payout"]) == ("spin-1", "250")


async def test_the_due_index_entry_moves_to_its_players_shard_with_its_due_time(
    old: aioredis.Redis,
) -> None:
    await migrate(old)
    member = keys.due_member(HOLDER, "EUR", "held-1")
    assert await old.zscore(keys.due_of(HOLDER), member) == DUE_AT


async def test_the_provider_id_claim_still_names_its_owner(old: aioredis.Redis) -> None:
    await migrate(old)
    assert await old.get(keys.provider_claim("sandbox", "tx-1")) == str(HOLDER)


async def test_a_second_start_moves_nothing(old: aioredis.Redis) -> None:
    await migrate(old)
    await old.set(Old.wallet(99), "stray")  # even an old-looking key: the marker is set
    assert await migrate(old) == 0
    assert await old.exists(Old.wallet(99)) == 1


async def test_a_fresh_redis_is_only_marked(own_redis_client: aioredis.Redis) -> None:
    assert await migrate(own_redis_client) == 0
    assert await all_keys(own_redis_client) == {key_migration.MARKER}


async def test_a_key_held_under_both_names_stops_the_migration_before_the_marker(
    old: aioredis.Redis,
) -> None:
    await old.hset("{s:3}:p:3:wallet:EUR", "cash", 5)
    with pytest.raises(KeyMigrationError, match="both"):
        await migrate(old)
    assert await old.exists(key_migration.MARKER) == 0
    assert await old.hget("{s:3}:p:3:wallet:EUR", "cash") == "5"
    assert await old.hget(Old.wallet(SPINNER), "cash") == "1150"


async def test_after_the_migration_the_money_is_flushed_released_and_reconciles(
    old: aioredis.Redis, db: Database
) -> None:
    hot = HotWallet(old, 60_000)
    await migrate(old)
    await hot.release(HOLDER, "EUR", "held-1", "voided", only_if_due=False)
    assert await Flusher(old, db, batch=100, block_ms=10).drain() == 2
    report = await reconcile(db, hot, histories())
    assert report.ok, "\n".join(report.lines())
    assert [(w.player_id, w.redis_cash) for w in report.wallets] == [
        (SPINNER, 1_150),
        (HOLDER, 1_000),
    ]
