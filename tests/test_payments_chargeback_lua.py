"""The chargeback script's rule, attacked by a property test on a real redis-server: it takes
min(cash, amount) from cash and nothing else, never drives cash below zero, says what it took
(the rest being the player's debt), and moves nothing the second time for the same dispute."""

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

CHARGEBACK = lua.source("chargeback")
_players = itertools.count(40_000_000)
_disputes = itertools.count(1)


@pytest.fixture(scope="module")
def client(own_redis: RedisChild) -> Iterator[redis.Redis]:
    sync = redis.Redis.from_url(own_redis.url, decode_responses=True)
    yield sync
    sync.close()


def _charge(client: redis.Redis, player: int, dispute: int, amount: int) -> list[object]:
    answer: list[object] = client.eval(
        CHARGEBACK, 4, keys.wallet(player, "EUR"), keys.chargeback(player, dispute),
        keys.journal_of(player), keys.events_of(player),
        dispute, player, "EUR", amount, "sandbox_gateway", 60_000,
    )  # fmt: skip
    return answer


@settings(max_examples=150, deadline=None)
@given(cash=st.integers(0, 10**12), bonus=st.integers(0, 10**6), locked=st.integers(0, 10**6),
       amount=st.integers(1, 10**12))  # fmt: skip
def test_a_chargeback_takes_what_the_cash_holds_once_and_never_more(
    client: redis.Redis, cash: int, bonus: int, locked: int, amount: int
) -> None:
    player, dispute = next(_players), next(_disputes)
    wallet = keys.wallet(player, "EUR")
    client.hset(wallet, mapping={"cash": cash, "bonus": bonus, "locked": locked, "held": 0})
    taken = min(cash, amount)
    assert _charge(client, player, dispute, amount) == ["OK", cash - taken, taken]
    assert _charge(client, player, dispute, amount) == ["ALREADY", cash - taken, taken]
    after: Any = client.hmget(wallet, "cash", "bonus", "locked")
    assert after == [
        str(cash - taken), str(bonus), str(locked),
    ]  # fmt: skip
    recent: Any = client.xrevrange(keys.journal_of(player), count=100)
    [entry] = [fields for _, fields in recent if fields["dispute_id"] == str(dispute)]
    assert (entry["kind"], int(entry["taken"]), int(entry["amount"])) == (
        "chargeback", taken, amount,
    )  # fmt: skip


def test_a_chargeback_of_a_wallet_redis_does_not_hold_asks_for_it(client: redis.Redis) -> None:
    assert _charge(client, next(_players), next(_disputes), 500) == ["NO_WALLET"]
