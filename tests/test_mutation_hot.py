"""The hot wallet's guards that `run.py mutate` showed no other test held (see
server/tools/mutations.py: hot-reserve-zero-amount, hot-reserve-settled-retry-holds-again).

Against a real redis-server of this module's own: these players exist in no database, so
no flusher may see their rounds.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

import rng
from rng import fair
from server.money.hot import FairState, HotWallet, Resolved
from server.money.scripts import SPIN, ScriptReply, ScriptStatus

SEED = bytes(range(32))
_player_ids = itertools.count(30_000_000 + rng.randbelow(10_000_000))


@pytest.fixture
async def hot(own_redis_client: aioredis.Redis) -> AsyncIterator[HotWallet]:
    wallet = HotWallet(own_redis_client, reservation_ttl_ms=60_000)
    yield wallet
    await wallet.aclose()


async def funded(hot: HotWallet, cash: int) -> int:
    player_id = next(_player_ids)
    await hot.hydrate(player_id, "EUR", cash, ledger_mark=0)
    await hot.install_seed(player_id, False, SEED, fair.seed_hash(SEED), "client", nonce=0)
    return player_id


async def test_a_reservation_of_zero_is_refused_before_redis_and_holds_nothing(
    hot: HotWallet,
) -> None:
    player = await funded(hot, 1000)
    with pytest.raises(ValueError, match="positive amount"):
        await hot.reserve(player, "EUR", "r-zero", "g", 0)
    assert (await hot.balance(player, "EUR"), await hot.held(player, "EUR")) == (1000, 0)
    assert await hot.reservation(player, "r-zero") == {}


async def test_reserving_a_settled_round_again_answers_its_state_and_holds_nothing(
    hot: HotWallet,
) -> None:
    player = await funded(hot, 1000)
    await hot.reserve(player, "EUR", "r-done", "g", 300)
    await hot.settle(player, "EUR", "r-done", 500, "{}")
    again = await hot.reserve(player, "EUR", "r-done", "g", 300)
    assert isinstance(again, ScriptReply)  # not a `Reserved`: nothing is dealt again
    assert (again.status, again.text("state"), again.integer("cash")) == (
        ScriptStatus.ALREADY,
        "settled",
        1200,
    )
    assert (await hot.balance(player, "EUR"), await hot.held(player, "EUR")) == (1200, 0)


async def test_a_spin_sent_twice_answers_the_first_result_and_pays_once(hot: HotWallet) -> None:
    player = await funded(hot, 1000)
    state = FairState(SEED, "client", 0, fair.seed_hash(SEED))
    play = ("EUR", "r-spin", "g", 100, 250, "{}", "{}", state)
    first = await hot.spin(player, *play)
    again = await hot.spin(player, *play)
    assert isinstance(first, Resolved)
    assert again == Resolved(1150, first.stream_id, first_time=False)
    assert (first.cash, await hot.balance(player, "EUR")) == (1150, 1150)


async def test_a_spin_one_unit_above_the_balance_is_refused_and_moves_nothing(
    hot: HotWallet,
) -> None:
    player = await funded(hot, 100)
    state = FairState(SEED, "client", 0, fair.seed_hash(SEED))
    play = ("EUR", "r-short", "g", 101, 0, "{}", "{}", state)
    refused = await hot.spin(player, *play)
    assert refused == SPIN.parse(["INSUFFICIENT_FUNDS", 100])
    assert (await hot.balance(player, "EUR"), await hot.fair_state(player)) == (
        100,
        {"seed_hash": fair.seed_hash(SEED), "client_seed": "client", "nonce": "0"},
    )


async def test_a_spin_drawn_with_a_stale_nonce_is_sent_back_to_draw_again_and_moves_nothing(
    hot: HotWallet,
) -> None:
    player = await funded(hot, 1000)
    digest = fair.seed_hash(SEED)
    first = FairState(SEED, "client", 0, digest)
    await hot.spin(player, "EUR", "r-1", "g", 100, 0, "{}", "{}", first)
    stale = await hot.spin(player, "EUR", "r-2", "g", 100, 900, "{}", "{}", first)
    assert stale == FairState(SEED, "client", 1, digest)
    assert await hot.balance(player, "EUR") == 900
