"""The adjustment script's rule, attacked by a property test on a real redis-server: a
signed amount moves to or from cash exactly once per adjustment, a debit never takes cash
below zero (and then moves nothing), bonus and locked funds are never touched, and every
move is appended to the journal for the ledger."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from server.money import keys, lua
from server.storage.redis_child import RedisChild

ADJUST = lua.source("adjust")
_players = itertools.count(50_000_000)
_adjustments = itertools.count(1)


@pytest.fixture(scope="module")
def client(own_redis: RedisChild) -> Iterator[redis.Redis]:
    sync = redis.Redis.from_url(own_redis.url, decode_responses=True)
    yield sync
    sync.close()


def _adjust(client: redis.Redis, player: int, adjustment: int, amount: int) -> list[object]:
    answer: list[object] = client.eval(
        ADJUST, 6, keys.wallet(player, "EUR"), keys.adjustment(player, adjustment),
        keys.journal_of(player), keys.events_of(player), *keys.push_keys(player),
        adjustment, player, "EUR", amount, 60_000,
    )  # fmt: skip
    return answer


@settings(max_examples=100, deadline=None)
@given(
    cash=st.integers(0, 10**9), bonus=st.integers(0, 10**6), locked=st.integers(0, 10**6),
    amounts=st.lists(st.integers(-(10**9), 10**9).filter(bool), min_size=1, max_size=8),
)  # fmt: skip
def test_adjustments_move_cash_once_each_and_never_below_zero(
    client: redis.Redis, cash: int, bonus: int, locked: int, amounts: list[int]
) -> None:
    player = next(_players)
    wallet = keys.wallet(player, "EUR")
    client.hset(wallet, mapping={"cash": cash, "bonus": bonus, "locked": locked, "held": 0})
    expected, journaled = cash, 0
    for amount in amounts:
        adjustment = next(_adjustments)
        if expected + amount < 0:
            assert _adjust(client, player, adjustment, amount) == ["INSUFFICIENT_FUNDS", expected]
            continue
        expected += amount
        journaled += 1
        assert _adjust(client, player, adjustment, amount) == ["OK", expected]
        assert _adjust(client, player, adjustment, amount) == ["ALREADY", expected]
    after: Any = client.hmget(wallet, "cash", "bonus", "locked")
    assert after == [str(expected), str(bonus), str(locked)]
    entries: Any = client.xrevrange(keys.journal_of(player), count=1000)
    mine = [f for _, f in entries if f["kind"] == "adjustment" and f["player_id"] == str(player)]
    assert len(mine) == journaled
    assert sum(int(f["amount"]) for f in mine) == expected - cash


def test_an_adjustment_of_a_wallet_redis_does_not_hold_asks_for_it(client: redis.Redis) -> None:
    assert _adjust(client, next(_players), next(_adjustments), 500) == ["NO_WALLET"]
