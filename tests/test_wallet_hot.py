"""The Redis hot wallet's Lua scripts against a real redis-server: the money rules of a stake."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import msgspec
import pytest
import redis.asyncio as aioredis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rng
from rng import fair
from server.money import keys
from server.money.hot import HotWallet, ReservationError, Reserved, Stepped
from server.money.scripts import RESERVE, SPIN, STEP, ScriptStatus
from server.storage.redis_child import RedisChild
from server.storage.redis_client import connect as connect_redis

_player_ids = itertools.count(10_000_000 + rng.randbelow(10_000_000))


SEED = bytes(range(32))


async def funded(hot: HotWallet, cash: int) -> int:
    """A fresh wallet with `cash` and a provably fair seed, as the server would make it."""
    player_id = next(_player_ids)
    await hot.hydrate(player_id, "EUR", cash, ledger_mark=0)
    await hot.install_seed(player_id, False, SEED, fair.seed_hash(SEED), "client", nonce=0)
    return player_id


async def stream_entry(client: aioredis.Redis, player: int, stream_id: str) -> dict[str, str]:
    entries = await client.xrange(keys.journal_of(player), stream_id, stream_id)
    assert entries
    _, fields = entries[0]
    return {str(k): str(v) for k, v in (fields or {}).items()}


@pytest.fixture
def redis_client(own_redis_client: aioredis.Redis) -> aioredis.Redis:
    """This module's settled rounds belong to players no database knows: never the shared
    server's Redis, whose flusher they would reach."""
    return own_redis_client


@pytest.fixture
async def hot(redis_client: aioredis.Redis) -> AsyncIterator[HotWallet]:
    wallet = HotWallet(redis_client, reservation_ttl_ms=60_000)
    yield wallet
    await wallet.aclose()


async def test_reserve_moves_the_stake_from_cash_to_held(hot: HotWallet) -> None:
    player = await funded(hot, 1000)
    assert await hot.reserve(player, "EUR", "r1", "g", 300) == Reserved(700, SEED, "client", 0)
    assert (await hot.balance(player, "EUR"), await hot.held(player, "EUR")) == (700, 300)


async def test_reserve_above_the_balance_is_refused_and_moves_nothing(hot: HotWallet) -> None:
    player = await funded(hot, 100)
    held = await hot.reserve(player, "EUR", "r1", "g", 101)
    assert held == RESERVE.parse(["INSUFFICIENT_FUNDS", 100])
    assert (await hot.balance(player, "EUR"), await hot.held(player, "EUR")) == (100, 0)


async def test_reserve_without_a_wallet_is_refused(hot: HotWallet) -> None:
    assert await hot.reserve(next(_player_ids), "EUR", "r1", "g", 1) == RESERVE.parse(["NO_WALLET"])


async def test_a_retried_reserve_of_the_same_round_holds_once(hot: HotWallet) -> None:
    player = await funded(hot, 1000)
    await hot.reserve(player, "EUR", "r1", "g", 300)
    assert await hot.reserve(player, "EUR", "r1", "g", 300) == Reserved(700, SEED, "client", 0)
    assert await hot.held(player, "EUR") == 300


async def test_each_reservation_takes_the_next_nonce(hot: HotWallet) -> None:
    player = await funded(hot, 1000)
    nonces = []
    for round_id in ("a", "b", "c"):
        held = await hot.reserve(player, "EUR", round_id, "g", 10)
        assert isinstance(held, Reserved)
        nonces.append(held.nonce)
    assert nonces == [0, 1, 2]


async def test_reserve_without_a_seed_is_refused(hot: HotWallet) -> None:
    player = next(_player_ids)
    await hot.hydrate(player, "EUR", 100, ledger_mark=0)
    assert await hot.reserve(player, "EUR", "r1", "g", 10) == RESERVE.parse(["NO_SEED"])
    assert await hot.balance(player, "EUR") == 100


async def test_a_step_holds_the_extra_stake_and_stores_the_state(hot: HotWallet) -> None:
    player = await funded(hot, 1000)
    await hot.reserve(player, "EUR", "r1", "bj", 100)
    stepped = await hot.step(player, "EUR", "r1", 0, 100, '{"s":1}', '{"a":[]}', 60_000)
    assert stepped == Stepped(cash=800, held=200, version=1)
    stored = await hot.reservation(player, "r1")
    assert (stored["round_state"], stored["amount"], stored["version"]) == ('{"s":1}', "200", "1")
    assert await hot.open_rounds(player) == {"bj": "r1"}


async def test_a_step_from_a_stale_version_is_a_conflict_and_moves_nothing(hot: HotWallet) -> None:
    player = await funded(hot, 1000)
    await hot.reserve(player, "EUR", "r1", "bj", 100)
    await hot.step(player, "EUR", "r1", 0, 0, "{}", "{}", 60_000)
    assert await hot.step(player, "EUR", "r1", 0, 100, "{}", "{}", 60_000) == STEP.parse(
        ["CONFLICT", 1]
    )
    assert (await hot.balance(player, "EUR"), await hot.held(player, "EUR")) == (900, 100)


async def test_a_step_whose_extra_stake_is_not_covered_is_refused(hot: HotWallet) -> None:
    player = await funded(hot, 150)
    await hot.reserve(player, "EUR", "r1", "bj", 100)
    refused = await hot.step(player, "EUR", "r1", 0, 100, "{}", "{}", 60_000)
    assert refused == STEP.parse(["INSUFFICIENT_FUNDS", 50])
    assert (await hot.reservation(player, "r1"))["version"] == "0"


async def test_an_open_round_blocks_a_new_round_of_that_game_until_settled(hot: HotWallet) -> None:
    player = await funded(hot, 1000)
    await hot.reserve(player, "EUR", "r1", "bj", 100)
    await hot.step(player, "EUR", "r1", 0, 0, "{}", "{}", 60_000)
    assert await hot.reserve(player, "EUR", "r2", "bj", 100) == RESERVE.parse(
        ["ROUND_IN_PROGRESS", "r1"]
    )
    assert isinstance(await hot.reserve(player, "EUR", "r3", "slot", 100), Reserved)
    await hot.settle(player, "EUR", "r1", 0, "{}")
    assert await hot.open_rounds(player) == {}
    assert isinstance(await hot.reserve(player, "EUR", "r4", "bj", 100), Reserved)


async def test_settling_forgets_the_secret_seed_and_the_live_state(hot: HotWallet) -> None:
    player = await funded(hot, 1000)
    await hot.reserve(player, "EUR", "r1", "bj", 100)
    await hot.step(player, "EUR", "r1", 0, 0, '{"shoe":[1,2]}', "{}", 60_000)
    await hot.settle(player, "EUR", "r1", 0, "{}")
    stored = await hot.reservation(player, "r1")
    assert "server_seed" not in stored and "round_state" not in stored


async def test_settle_takes_the_stake_pays_the_win_and_streams_the_round(
    hot: HotWallet, redis_client: aioredis.Redis
) -> None:
    player = await funded(hot, 1000)
    await hot.reserve(player, "EUR", "r1", "classic", 300)
    settled = await hot.settle(player, "EUR", "r1", 450, '{"stops":[1,2,3]}')
    assert (settled.cash, settled.first_time) == (1150, True)
    assert await hot.held(player, "EUR") == 0
    entry = await stream_entry(redis_client, player, settled.stream_id)
    assert {k: v for k, v in entry.items() if k not in ("reserved_at", "settled_at")} == {
        "kind": "settle",
        "round_id": "r1",
        "player_id": str(player),
        "game": "classic",
        "currency": "EUR",
        "stake": "300",
        "payout": "450",
        "balance_before": "1000",
        "balance_after": "1150",
        "outcome": '{"stops":[1,2,3]}',
        "inputs": "{}",
        "seed_hash": fair.seed_hash(SEED),
        "client_seed": "client",
        "nonce": "0",
        "stake_bonus": "0",
        "payout_bonus": "0",
    }


async def test_settling_twice_pays_once_and_returns_the_first_result(hot: HotWallet) -> None:
    player = await funded(hot, 1000)
    await hot.reserve(player, "EUR", "r1", "g", 300)
    first = await hot.settle(player, "EUR", "r1", 600, "{}")
    again = await hot.settle(player, "EUR", "r1", 999_999, "{}")
    assert (again.cash, again.stream_id, again.first_time) == (1300, first.stream_id, False)
    assert await hot.balance(player, "EUR") == 1300


async def test_settle_without_a_reservation_is_refused(hot: HotWallet) -> None:
    player = await funded(hot, 1000)
    with pytest.raises(ReservationError) as caught:
        await hot.settle(player, "EUR", "never-reserved", 10, "{}")
    assert (caught.value.status, caught.value.reply.values) == (ScriptStatus.NO_RESERVATION, ())
    assert await hot.balance(player, "EUR") == 1000


async def test_release_returns_the_held_stake_and_records_the_void(
    hot: HotWallet, redis_client: aioredis.Redis
) -> None:
    player = await funded(hot, 1000)
    await hot.reserve(player, "EUR", "r1", "g", 300)
    released = await hot.release(player, "EUR", "r1", "voided", only_if_due=False)
    assert released.cash == 1000
    assert await hot.held(player, "EUR") == 0
    entry = await stream_entry(redis_client, player, released.stream_id)
    assert (entry["kind"], entry["stake"], entry["payout"]) == ("voided", "300", "0")


async def test_a_released_reservation_can_no_longer_be_settled(hot: HotWallet) -> None:
    player = await funded(hot, 1000)
    await hot.reserve(player, "EUR", "r1", "g", 300)
    await hot.release(player, "EUR", "r1", "voided", only_if_due=False)
    with pytest.raises(ReservationError) as caught:
        await hot.settle(player, "EUR", "r1", 5000, "{}")
    assert (caught.value.status, caught.value.reply.text("state")) == ("NOT_PENDING", "voided")
    assert await hot.balance(player, "EUR") == 1000


async def test_a_settled_reservation_can_no_longer_be_released(hot: HotWallet) -> None:
    player = await funded(hot, 1000)
    await hot.reserve(player, "EUR", "r1", "g", 300)
    await hot.settle(player, "EUR", "r1", 0, "{}")
    with pytest.raises(ReservationError) as caught:
        await hot.release(player, "EUR", "r1", "expired", only_if_due=False)
    assert (caught.value.status, caught.value.reply.text("state")) == ("ALREADY", "settled")
    assert await hot.balance(player, "EUR") == 700


async def test_release_only_if_due_leaves_a_fresh_reservation_alone(hot: HotWallet) -> None:
    player = await funded(hot, 1000)
    await hot.reserve(player, "EUR", "r1", "g", 300)
    with pytest.raises(ReservationError) as caught:
        await hot.release(player, "EUR", "r1", "expired", only_if_due=True)
    assert caught.value.status is ScriptStatus.NOT_DUE
    assert await hot.held(player, "EUR") == 300


async def test_a_pending_reservation_has_no_ttl_but_a_resolved_one_does(
    hot: HotWallet, redis_client: aioredis.Redis
) -> None:
    player = await funded(hot, 1000)
    await hot.reserve(player, "EUR", "r1", "g", 300)
    assert await redis_client.pttl(keys.reservation(player, "r1")) == -1
    await hot.settle(player, "EUR", "r1", 0, "{}")
    assert await redis_client.pttl(keys.reservation(player, "r1")) > 0


async def test_a_credit_applies_once_per_transfer(hot: HotWallet) -> None:
    player = await funded(hot, 0)
    assert await hot.credit(player, "EUR", "deposit:1", 5, 250) == 250
    assert await hot.credit(player, "EUR", "deposit:1", 5, 250) == 250


async def test_a_credit_already_counted_by_hydration_is_not_applied_again(hot: HotWallet) -> None:
    player = next(_player_ids)
    await hot.hydrate(player, "EUR", 250, ledger_mark=7)  # the ledger balance includes transfer 7
    assert await hot.credit(player, "EUR", "deposit:7", 7, 250) == 250
    assert await hot.credit(player, "EUR", "deposit:8", 8, 100) == 350


async def test_hydration_never_overwrites_an_existing_wallet(hot: HotWallet) -> None:
    player = await funded(hot, 500)
    assert await hot.hydrate(player, "EUR", 999, ledger_mark=0) == 500


async def test_concurrent_reserves_never_overdraw(hot: HotWallet) -> None:
    player = await funded(hot, 1000)
    results = await asyncio.gather(
        *(hot.reserve(player, "EUR", f"r{i}", "g", 100) for i in range(50))
    )
    assert sum(isinstance(r, Reserved) for r in results) == 10
    assert (await hot.balance(player, "EUR"), await hot.held(player, "EUR")) == (0, 1000)


operations = st.lists(
    st.one_of(
        st.tuples(st.just("credit"), st.integers(1, 500)),
        st.tuples(st.just("reserve"), st.integers(1, 500)),
        st.tuples(st.just("settle"), st.integers(0, 1500)),
        st.tuples(st.just("release"), st.just(0)),
    ),
    max_size=40,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations)
async def test_any_sequence_of_operations_keeps_the_money_invariants(
    hot: HotWallet, redis_client: aioredis.Redis, ops: list[tuple[str, int]]
) -> None:
    """cash >= 0; held == sum of pending stakes; cash + held == credits - stakes + payouts."""
    player = await funded(hot, 0)
    pending: dict[str, int] = {}
    credited = stakes = payouts = 0
    for step, (op, amount) in enumerate(ops):
        if op == "credit":
            await hot.credit(player, "EUR", f"c{step}", 10**9 + step, amount)
            credited += amount
        elif op == "reserve":
            result = await hot.reserve(player, "EUR", f"r{step}", "g", amount)
            if isinstance(result, Reserved):
                pending[f"r{step}"] = amount
        elif pending:
            round_id, stake = next(iter(pending.items()))
            del pending[round_id]
            if op == "settle":
                await hot.settle(player, "EUR", round_id, amount, msgspec.json.encode({}).decode())
                stakes, payouts = stakes + stake, payouts + amount
            else:
                await hot.release(player, "EUR", round_id, "voided", only_if_due=False)
        cash = await hot.balance(player, "EUR")
        held = await hot.held(player, "EUR")
        assert cash is not None and cash >= 0
        assert held == sum(pending.values())
        assert cash + held == credited - stakes + payouts


async def test_new_stakes_wait_while_the_durable_backlog_is_over_its_bound(
    private_redis: RedisChild,
) -> None:
    client = connect_redis(private_redis.url)
    try:
        hot = HotWallet(client, reservation_ttl_ms=60_000, max_backlog=3)
        player = await funded(hot, 1000)
        for _ in range(4):
            await client.xadd(keys.journal_of(player), {"kind": "filler"})
        assert await hot.reserve(player, "EUR", "r1", "g", 100) == RESERVE.parse(["BUSY"])
        fair = await hot.fair_secret(player)
        assert fair is not None
        refused = await hot.spin(player, "EUR", "r2", "g", 100, 0, "{}", "{}", fair)
        assert refused == SPIN.parse(["BUSY"])
        assert (await hot.balance(player, "EUR"), await hot.held(player, "EUR")) == (1000, 0)
        await client.xtrim(keys.journal_of(player), maxlen=0)
        assert isinstance(await hot.reserve(player, "EUR", "r3", "g", 100), Reserved)
    finally:
        await hot.aclose()
        await client.aclose()
