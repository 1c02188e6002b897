"""The Lua sub-balance rule (`lua/_spend.lua`) equals the Python one (`server/money/balances.py`),
against a real redis-server, and the scripts apply it to a wallet whose bonus is set by hand
(no bonus engine grants one yet)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from rng import fair
from server.money import keys, lua
from server.money.balances import InsufficientFunds, split_payout, split_stake
from server.money.hot import HotWallet
from server.storage.redis_child import RedisChild
from server.storage.redis_client import connect as connect_redis

AMOUNT = st.integers(min_value=0, max_value=10**12)
SEED = bytes(range(32))
_players = itertools.count(30_000_000)

# Calls the include's two rules as every script does and answers their parts.
RULES = (
    lua.source("_spend")
    + """
local stake, cash, payout = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local from_cash, from_bonus = split_stake(stake, cash)
local to_cash, to_bonus = split_payout(payout, stake, from_bonus)
return {from_cash, from_bonus, to_cash, to_bonus}
"""
)


@pytest.fixture(scope="module")
def client(own_redis: RedisChild) -> Iterator[redis.Redis]:
    sync = redis.Redis.from_url(own_redis.url, decode_responses=True)
    sync.flushall()
    yield sync
    sync.close()


@settings(max_examples=300, deadline=None)
@given(stake=AMOUNT, cash=AMOUNT, bonus=AMOUNT, payout=st.integers(0, 10**15))
def test_the_lua_rule_equals_the_python_rule(
    client: redis.Redis, stake: int, cash: int, bonus: int, payout: int
) -> None:
    try:
        taken = split_stake(stake, cash, bonus)
    except InsufficientFunds:
        return  # the scripts refuse before they split
    paid = split_payout(payout, taken)
    answer = client.eval(RULES, 0, stake, cash, payout)
    assert answer == [taken.cash, taken.bonus, paid.cash, paid.bonus]


def test_the_lua_rule_is_exact_where_the_product_passes_doubles(client: redis.Redis) -> None:
    # 10^12 stake, all but 1 from bonus: payout * from_bonus is about 10^27, far past 2^53;
    # the bonus part is payout - ceil(payout / 10^12) = payout - 1000, cash the 1000.
    stake, cash, payout = 10**12, 1, 10**15 - 7
    taken = split_stake(stake, cash, 10**12)
    paid = split_payout(payout, taken)
    answer = client.eval(RULES, 0, stake, cash, payout)
    assert (
        answer == [1, 10**12 - 1, paid.cash, paid.bonus] == [1, 10**12 - 1, 1000, 10**15 - 7 - 1000]
    )


SPIN = lua.source("spin")


@settings(max_examples=100, deadline=None)
@given(cash=st.integers(0, 10**6), bonus=st.integers(0, 10**6), stake=st.integers(1, 10**6),
       payout=st.integers(0, 10**8))  # fmt: skip
def test_a_spin_moves_cash_and_bonus_by_the_python_rule(
    client: redis.Redis, cash: int, bonus: int, stake: int, payout: int
) -> None:
    player = next(_players)
    wallet = keys.wallet(player, "EUR")
    client.hset(wallet, mapping={"cash": cash, "bonus": bonus, "held": 0})
    digest = fair.seed_hash(SEED)
    client.hset(keys.fair_seed(player), mapping={
        "server_seed": SEED.hex(), "seed_hash": digest, "client_seed": "c", "nonce": 0,
    })  # fmt: skip
    raw = client.eval(
        SPIN, 6, wallet, keys.done(player, "r"), keys.fair_seed(player), keys.events_of(player),
        keys.journal_of(player), keys.rg(player), stake, payout, "{}", 60_000, player, "g",
        "EUR", "r", "{}", digest, "c", 0, 10**9, 10**9,
    )  # fmt: skip
    after = client.hmget(wallet, "cash", "bonus")
    if stake > cash + bonus:
        assert raw == ["INSUFFICIENT_FUNDS", cash]
        assert after == [str(cash), str(bonus)]
        return
    taken = split_stake(stake, cash, bonus)
    paid = split_payout(payout, taken)
    assert raw[:2] == ["OK", cash - taken.cash + paid.cash]
    assert after == [str(cash - taken.cash + paid.cash), str(bonus - taken.bonus + paid.bonus)]
    entries: Any = client.xrange(keys.journal_of(player), raw[2], raw[2])
    entry = entries[0][1]
    assert (int(entry["stake_bonus"]), int(entry["payout_bonus"])) == (taken.bonus, paid.bonus)


@pytest.fixture
async def hot(own_redis: RedisChild) -> Iterator[HotWallet]:  # type: ignore[misc]
    wallet = HotWallet(connect_redis(own_redis.url), reservation_ttl_ms=60_000)
    yield wallet
    await wallet.aclose()
    await wallet.redis.aclose()


async def bonus_wallet(hot: HotWallet, cash: int, bonus: int) -> int:
    player = next(_players)
    await hot.hydrate(player, "EUR", cash, ledger_mark=0)
    await hot.redis.hset(keys.wallet(player, "EUR"), "bonus", bonus)
    await hot.install_seed(player, False, SEED, fair.seed_hash(SEED), "c", nonce=0)
    return player


async def sub_balances(hot: HotWallet, player: int) -> tuple[int, int, int]:
    values: Any = await hot.redis.hmget(keys.wallet(player, "EUR"), "cash", "bonus", "held")
    cash, bonus, held = values
    return int(cash), int(bonus or 0), int(held)


async def test_a_reserved_stake_records_its_bonus_part_and_its_win_follows_it(
    hot: HotWallet,
) -> None:
    player = await bonus_wallet(hot, cash=70, bonus=50)
    await hot.reserve(player, "EUR", "r1", "g", 100)
    assert await sub_balances(hot, player) == (0, 20, 100)
    assert (await hot.reservation(player, "r1"))["from_bonus"] == "30"
    settled = await hot.settle(player, "EUR", "r1", payout=1001, outcome_json="{}")
    # 30% of 1001 is 300.3: bonus gets 300, cash the other 701.
    assert await sub_balances(hot, player) == (701, 320, 0)
    assert settled.cash == 701
    journal: Any = await hot.redis.xrange(
        keys.journal_of(player), settled.stream_id, settled.stream_id
    )
    assert (journal[0][1]["stake_bonus"], journal[0][1]["payout_bonus"]) == ("30", "300")


async def test_a_released_stake_goes_back_to_the_parts_it_came_from(hot: HotWallet) -> None:
    player = await bonus_wallet(hot, cash=70, bonus=50)
    await hot.reserve(player, "EUR", "r1", "g", 100)
    released = await hot.release(player, "EUR", "r1", "voided", only_if_due=False)
    assert await sub_balances(hot, player) == (70, 50, 0)
    assert released.cash == 70


async def test_a_step_takes_its_extra_stake_cash_first_and_the_record_keeps_the_bonus_part(
    hot: HotWallet,
) -> None:
    player = await bonus_wallet(hot, cash=150, bonus=100)
    await hot.reserve(player, "EUR", "r1", "bj", 100)
    await hot.step(player, "EUR", "r1", 0, 100, "{}", "{}", 60_000)
    assert await sub_balances(hot, player) == (0, 50, 200)
    assert (await hot.reservation(player, "r1"))["from_bonus"] == "50"
    await hot.settle(player, "EUR", "r1", payout=400, outcome_json="{}")
    assert await sub_balances(hot, player) == (300, 150, 0)


async def test_a_wallet_without_a_bonus_field_plays_as_before_and_never_gains_one(
    hot: HotWallet,
) -> None:
    player = next(_players)
    await hot.hydrate(player, "EUR", 100, ledger_mark=0)
    await hot.install_seed(player, False, SEED, fair.seed_hash(SEED), "c", nonce=0)
    await hot.reserve(player, "EUR", "r1", "g", 40)
    await hot.settle(player, "EUR", "r1", payout=90, outcome_json="{}")
    assert await hot.redis.hgetall(keys.wallet(player, "EUR")) == {
        "cash": "150", "held": "0", "ledger_mark": "0",
    }  # fmt: skip


async def test_a_stake_wholly_from_bonus_leaves_cash_at_zero(hot: HotWallet) -> None:
    player = await bonus_wallet(hot, cash=0, bonus=100)
    await hot.reserve(player, "EUR", "r1", "g", 100)
    assert await sub_balances(hot, player) == (0, 0, 100)
    await hot.settle(player, "EUR", "r1", payout=250, outcome_json="{}")
    assert await sub_balances(hot, player) == (0, 250, 0)


def provider_call(client: redis.Redis, script: str, keys_: list[str], args: list[Any]) -> Any:
    return client.eval(lua.source(script), len(keys_), *keys_, *args)


def test_a_provider_bet_takes_cash_first_and_its_win_and_rollback_follow_its_parts(
    client: redis.Redis,
) -> None:
    player = next(_players)
    wallet = keys.wallet(player, "EUR")
    client.hset(wallet, mapping={"cash": 70, "bonus": 50, "held": 0})
    rnd, journal = keys.provider_round(player, "acme", "r"), keys.journal_of(player)
    events, rg = keys.events_of(player), keys.rg(player)

    def tx(uuid: str) -> str:
        return keys.provider_tx(player, "acme", uuid)

    def bet(uuid: str, amount: int) -> Any:
        return provider_call(client, "provider_bet", [wallet, tx(uuid), rnd, journal, events, rg], [
            "acme", uuid, player, "EUR", "EUR", amount, "r", "g", "0", "", 60_000, 10**9, 10**9,
        ])  # fmt: skip

    assert bet("b1", 100)[:2] == ["OK", 0]  # 70 from cash, 30 from bonus
    assert client.hmget(wallet, "cash", "bonus") == ["0", "20"]
    assert client.hget(tx("b1"), "from_bonus") == "30"
    settle_keys = [wallet, tx("w1"), tx("b1"), rnd, journal, events, rg]
    won = provider_call(client, "provider_win", settle_keys, [
        "acme", "w1", player, "EUR", "EUR", 1001, "r", "g", "b1", "0", 60_000,
    ])  # fmt: skip
    assert won[:2] == ["OK", 701]
    assert client.hmget(wallet, "cash", "bonus") == ["701", "320"]
    entries: Any = client.xrange(journal, won[2], won[2])
    assert entries[0][1]["bonus"] == "300"
    assert bet("b2", 800)[:2] == ["OK", 0]  # 701 from cash, 99 from bonus
    undo_keys = [wallet, tx("x2"), tx("b2"), rnd, journal, events, rg]
    back = provider_call(client, "provider_rollback", undo_keys, [
        "acme", "x2", player, "EUR", "r", "g", "b2", "0", 60_000,
    ])  # fmt: skip
    assert back[:2] == ["OK", 701]
    assert client.hmget(wallet, "cash", "bonus") == ["701", "320"]
