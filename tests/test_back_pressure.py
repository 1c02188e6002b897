"""Back-pressure on new stakes, by the age of the oldest round not yet durable as well as by
their count: every script that takes a stake (reserve, spin, provider bet) refuses with BUSY
and takes nothing while the flusher is that far behind. Against a real redis-server of this
module's own (the rounds written here belong to no database)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from rng import fair
from server.money import keys
from server.money.hot import FairState, HotWallet, Reserved, Resolved
from server.money.provider_wallet import ProviderHot
from server.money.scripts import RESERVE, SPIN, ScriptReply

SEED = bytes(range(32))
PLAYER = 7
LAG_BOUND_MS = 2_000


@pytest.fixture
def client(own_redis_client: aioredis.Redis) -> aioredis.Redis:
    return own_redis_client


@pytest.fixture
async def hot(client: aioredis.Redis) -> AsyncIterator[HotWallet]:
    wallet = HotWallet(client, 60_000, max_backlog=100, max_lag_ms=LAG_BOUND_MS)
    await wallet.hydrate(PLAYER, "EUR", 1_000, ledger_mark=0)
    await wallet.install_seed(PLAYER, False, SEED, fair.seed_hash(SEED), "client", nonce=0)
    yield wallet
    await wallet.aclose()


async def unflushed_round_aged(client: aioredis.Redis, age_ms: int) -> str:
    """One stream entry the flusher has not written, added `age_ms` ago by Redis's clock."""
    seconds, micros = await client.time()
    entry_id = f"{seconds * 1000 + micros // 1000 - age_ms}-0"
    await client.xadd(keys.journal_of(PLAYER), {"kind": "filler"}, id=entry_id)
    return entry_id


async def spin(hot: HotWallet, round_id: str) -> Resolved | FairState | ScriptReply:
    state = FairState(SEED, "client", 0, fair.seed_hash(SEED))
    return await hot.spin(
        PLAYER, "EUR", round_id, "classic-sevens", 100, 0, "{}", "{}", state,
    )  # fmt: skip


async def test_a_spin_is_refused_while_the_oldest_unflushed_round_is_too_old(
    client: aioredis.Redis, hot: HotWallet
) -> None:
    await unflushed_round_aged(client, LAG_BOUND_MS + 1_000)
    assert await spin(hot, "r1") == SPIN.parse(["BUSY"])
    assert (await hot.balance(PLAYER, "EUR"), await hot.held(PLAYER, "EUR")) == (1_000, 0)
    assert await client.xlen(keys.journal_of(PLAYER)) == 1


async def test_a_reservation_is_refused_while_the_oldest_unflushed_round_is_too_old(
    client: aioredis.Redis, hot: HotWallet
) -> None:
    await unflushed_round_aged(client, LAG_BOUND_MS + 1_000)
    held = await hot.reserve(PLAYER, "EUR", "r1", "european-roulette", 100)
    assert held == RESERVE.parse(["BUSY"])
    assert (await hot.balance(PLAYER, "EUR"), await hot.held(PLAYER, "EUR")) == (1_000, 0)
    assert await hot.reservation(PLAYER, "r1") == {}


async def test_a_provider_bet_is_refused_while_the_oldest_unflushed_round_is_too_old(
    client: aioredis.Redis, hot: HotWallet
) -> None:
    provider = ProviderHot(client, max_backlog=100, max_lag_ms=LAG_BOUND_MS)
    await unflushed_round_aged(client, LAG_BOUND_MS + 1_000)
    outcome = await provider.bet(
        "sandbox", "tx-1", PLAYER, "EUR", "EUR", 100, "round-1", "slot", False, ""
    )
    assert (outcome.status, outcome.values) == ("BUSY", ())
    assert await hot.balance(PLAYER, "EUR") == 1_000
    assert await client.exists(keys.provider_tx(PLAYER, "sandbox", "tx-1")) == 0


async def test_a_provider_bet_is_refused_while_too_many_rounds_are_unflushed(
    client: aioredis.Redis, hot: HotWallet
) -> None:
    provider = ProviderHot(client, max_backlog=3, max_lag_ms=LAG_BOUND_MS)
    for _ in range(4):
        await client.xadd(keys.journal_of(PLAYER), {"kind": "filler"})
    outcome = await provider.bet(
        "sandbox", "tx-2", PLAYER, "EUR", "EUR", 100, "round-2", "slot", False, ""
    )
    assert (outcome.status, outcome.values) == ("BUSY", ())
    assert await hot.balance(PLAYER, "EUR") == 1_000


async def test_stakes_are_taken_while_the_unflushed_rounds_are_young(
    client: aioredis.Redis, hot: HotWallet
) -> None:
    await unflushed_round_aged(client, LAG_BOUND_MS - 1_500)
    result = await spin(hot, "r1")
    assert isinstance(result, Resolved)
    assert result.cash == 900
    assert isinstance(await hot.reserve(PLAYER, "EUR", "r2", "european-roulette", 100), Reserved)
    provider = ProviderHot(client, max_backlog=100, max_lag_ms=LAG_BOUND_MS)
    outcome = await provider.bet(
        "sandbox", "tx-3", PLAYER, "EUR", "EUR", 100, "round-3", "slot", False, ""
    )
    assert (outcome.status, outcome.integer("cash")) == ("OK", 700)


async def test_stakes_are_taken_again_once_the_old_round_is_flushed(
    client: aioredis.Redis, hot: HotWallet
) -> None:
    old = await unflushed_round_aged(client, LAG_BOUND_MS + 1_000)
    assert await spin(hot, "r1") == SPIN.parse(["BUSY"])
    await client.xdel(keys.journal_of(PLAYER), old)  # as the flusher does after its commit
    result = await spin(hot, "r2")
    assert isinstance(result, Resolved)
    assert result.cash == 900
