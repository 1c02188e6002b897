"""Loss limits and exclusions inside money's stake scripts, against a real redis-server: every
stake path (spin, reserve, step, provider bet) refuses alike and moves nothing, and money
coming back (settle, release) counts against the net loss."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rng
from rng import fair
from server.money import keys
from server.money.hot import HotWallet, Reserved
from server.money.provider_wallet import ProviderHot
from server.money.scripts import PROVIDER_BET, RESERVE, SPIN, STEP

_players = itertools.count(30_000_000 + rng.randbelow(10_000_000))
SEED = bytes(range(32))


@pytest.fixture
def redis_client(own_redis_client: aioredis.Redis) -> aioredis.Redis:
    return own_redis_client


@pytest.fixture
async def hot(redis_client: aioredis.Redis) -> AsyncIterator[HotWallet]:
    wallet = HotWallet(redis_client, reservation_ttl_ms=60_000)
    yield wallet
    await wallet.aclose()


async def funded(hot: HotWallet, cash: int, **rg: Any) -> int:
    player = next(_players)
    await hot.hydrate(player, "EUR", cash, ledger_mark=0)
    await hot.install_seed(player, False, SEED, fair.seed_hash(SEED), "client", nonce=0)
    if rg:
        fields: dict[Any, Any] = dict(rg)
        await hot.redis.hset(keys.rg(player), mapping=fields)
    return player


async def spin(hot: HotWallet, player: int, stake: int, payout: int) -> object:
    state = await hot.fair_secret(player)
    assert state is not None
    return await hot.spin(
        player, "EUR", rng.token_urlsafe(8), "g", stake, payout, "{}", "{}", state
    )


async def test_a_reserve_past_the_loss_limit_is_refused_and_moves_nothing(hot: HotWallet) -> None:
    player = await funded(hot, 1_000, loss_24h=100)
    assert await hot.reserve(player, "EUR", "r1", "g", 101) == RESERVE.parse(["LOSS_LIMIT_REACHED"])
    assert (await hot.balance(player, "EUR"), await hot.held(player, "EUR")) == (1_000, 0)


async def test_a_reserve_within_the_loss_limit_is_taken(hot: HotWallet) -> None:
    player = await funded(hot, 1_000, loss_24h=100)
    assert isinstance(await hot.reserve(player, "EUR", "r1", "g", 100), Reserved)


async def test_a_step_whose_extra_stake_passes_the_loss_limit_is_refused(hot: HotWallet) -> None:
    player = await funded(hot, 1_000, loss_24h=150)
    await hot.reserve(player, "EUR", "r1", "bj", 100)
    refused = await hot.step(player, "EUR", "r1", 0, 100, "{}", "{}", 60_000)
    assert refused == STEP.parse(["LOSS_LIMIT_REACHED"])
    assert (await hot.held(player, "EUR"), (await hot.reservation(player, "r1"))["version"]) == (
        100,
        "0",
    )


async def test_a_released_stake_counts_back_so_the_whole_limit_is_free_again(
    hot: HotWallet,
) -> None:
    player = await funded(hot, 1_000, loss_24h=100)
    await hot.reserve(player, "EUR", "r1", "g", 100)
    await hot.release(player, "EUR", "r1", "voided", only_if_due=False)
    assert isinstance(await hot.reserve(player, "EUR", "r2", "g", 100), Reserved)


async def test_a_settled_win_counts_back_against_the_net_loss(hot: HotWallet) -> None:
    player = await funded(hot, 1_000, loss_24h=100)
    await hot.reserve(player, "EUR", "r1", "g", 100)
    await hot.settle(player, "EUR", "r1", 60, "{}", "")
    assert isinstance(await hot.reserve(player, "EUR", "r2", "g", 60), Reserved)
    assert await hot.reserve(player, "EUR", "r3", "h", 1) == RESERVE.parse(["LOSS_LIMIT_REACHED"])


async def test_the_lowest_of_the_windows_refuses(hot: HotWallet) -> None:
    player = await funded(hot, 1_000, loss_24h=500, loss_7d=80, loss_30d=900)
    assert await spin(hot, player, 100, 0) == SPIN.parse(["LOSS_LIMIT_REACHED"])


async def test_a_running_exclusion_refuses_every_stake_path(hot: HotWallet) -> None:
    later = int(time.time() * 1000) + 3_600_000
    player = await funded(hot, 1_000, blocked_until=later)
    assert await hot.reserve(player, "EUR", "r1", "g", 10) == RESERVE.parse(["PLAY_BLOCKED"])
    assert await spin(hot, player, 10, 0) == SPIN.parse(["PLAY_BLOCKED"])
    provider = ProviderHot(hot.redis)
    bet = await provider.bet("acme", "t1", player, "EUR", "EUR", 10, "r", "g", False, "")
    assert bet == PROVIDER_BET.parse(["PLAY_BLOCKED"])
    assert await hot.balance(player, "EUR") == 1_000


async def test_an_exclusion_that_has_ended_refuses_nothing(hot: HotWallet) -> None:
    player = await funded(hot, 1_000, blocked_until=int(time.time() * 1000) - 1)
    assert isinstance(await hot.reserve(player, "EUR", "r1", "g", 10), Reserved)


async def test_a_player_with_no_limit_gets_no_rg_hash_written(hot: HotWallet) -> None:
    player = await funded(hot, 1_000)
    await spin(hot, player, 100, 0)
    assert await hot.redis.exists(keys.rg(player)) == 0


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    limit=st.integers(1, 500),
    rounds=st.lists(st.tuples(st.integers(1, 200), st.integers(0, 400)), max_size=15),
)
async def test_accepted_spins_never_take_the_net_loss_past_the_limit(
    hot: HotWallet, limit: int, rounds: list[tuple[int, int]]
) -> None:
    player = await funded(hot, 100_000, loss_24h=limit)
    net_loss = 0
    for stake, payout in rounds:
        reply = await spin(hot, player, stake, payout)
        if reply == SPIN.parse(["LOSS_LIMIT_REACHED"]):
            assert net_loss + stake > limit  # refused only when it could pass the limit
            continue
        net_loss += stake - payout
        assert net_loss <= limit
    assert 100_000 - (await hot.balance(player, "EUR") or 0) == net_loss
