"""The closed-account move's rule, attacked by a property test on a real redis-server: all
the cash (and only the cash: bonus and locked funds stay) moves to the closed-accounts
liability once per closure, a retry answers the same amount and moves nothing, cash that
arrives later is moved only by another closure, and every move with money in it is appended
to the journal for the ledger."""

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

CLOSED_PAYABLE = lua.source("closed_payable")
_players = itertools.count(60_000_000)
_closures = itertools.count(1)


@pytest.fixture(scope="module")
def client(own_redis: RedisChild) -> Iterator[redis.Redis]:
    sync = redis.Redis.from_url(own_redis.url, decode_responses=True)
    yield sync
    sync.close()


def _move(client: redis.Redis, player: int, closure: int) -> list[object]:
    answer: list[object] = client.eval(
        CLOSED_PAYABLE, 3, keys.wallet(player, "EUR"), keys.closed_payable(player, closure),
        keys.journal_of(player), closure, player, "EUR", 60_000,
    )  # fmt: skip
    return answer


@settings(max_examples=100, deadline=None)
@given(
    cash=st.integers(0, 10**9), bonus=st.integers(0, 10**6), locked=st.integers(0, 10**6),
    arrivals=st.lists(st.integers(0, 10**6), max_size=4),
)  # fmt: skip
def test_all_the_cash_moves_once_per_closure_and_nothing_else(
    client: redis.Redis, cash: int, bonus: int, locked: int, arrivals: list[int]
) -> None:
    player = next(_players)
    wallet = keys.wallet(player, "EUR")
    client.hset(wallet, mapping={"cash": cash, "bonus": bonus, "locked": locked, "held": 0})
    moved = []
    for arriving in [0, *arrivals]:
        client.hincrby(wallet, "cash", arriving)  # a win or a declined withdrawal coming back
        closure = next(_closures)
        now: Any = client.hget(wallet, "cash")
        assert _move(client, player, closure) == ["OK", int(now)]
        assert _move(client, player, closure) == ["ALREADY", int(now)]
        moved.append(int(now))
    after: Any = client.hmget(wallet, "cash", "bonus", "locked")
    assert after == ["0", str(bonus), str(locked)]
    assert sum(moved) == cash + sum(arrivals)
    entries: Any = client.xrevrange(keys.journal_of(player), count=1000)
    mine = [
        f for _, f in entries if f["kind"] == "closed_payable" and f["player_id"] == str(player)
    ]
    assert sorted(int(f["amount"]) for f in mine) == sorted(m for m in moved if m > 0)


def test_a_wallet_redis_does_not_hold_is_asked_for(client: redis.Redis) -> None:
    assert _move(client, next(_players), next(_closures)) == ["NO_WALLET"]
