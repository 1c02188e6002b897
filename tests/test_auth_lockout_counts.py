"""The lockout counters on a real Redis: windows, concurrency, and many processes."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis.asyncio as aioredis

from server.accounts.lockout import Locked, Lockout, account_key, address_key
from server.storage.redis_child import RedisChild
from server.storage.redis_client import connect as connect_redis
from tests.conftest import unique


def keys() -> tuple[str, str]:
    return account_key(None, unique("who_")), address_key(unique("10.0.0."))


async def admitted(lockout: Lockout, account: str, address: str) -> bool:
    try:
        await lockout.attempt(account, address)
    except Locked:
        return False
    return True


async def test_attempts_past_the_limit_are_locked(redis_client: aioredis.Redis) -> None:
    lockout = Lockout(redis_client, per_account=3, per_address=100, window_s=60)
    account, address = keys()
    assert [await admitted(lockout, account, address) for _ in range(5)] == [
        True, True, True, False, False,
    ]  # fmt: skip


async def test_the_lock_lifts_when_the_window_passes(redis_client: aioredis.Redis) -> None:
    lockout = Lockout(redis_client, per_account=1, per_address=100, window_s=1)
    account, address = keys()
    await lockout.attempt(account, address)
    with pytest.raises(Locked) as locked:
        await lockout.attempt(account, address)
    assert locked.value.retry_after == 1
    deadline = time.monotonic() + 5
    while not await admitted(lockout, account, address):
        assert time.monotonic() < deadline, "the lock outlived its window"
        await asyncio.sleep(0.1)


async def test_concurrent_guesses_get_no_more_checks_than_the_limit(
    redis_client: aioredis.Redis,
) -> None:
    lockout = Lockout(redis_client, per_account=5, per_address=1000, window_s=60)
    account, address = keys()
    results = await asyncio.gather(*(admitted(lockout, account, address) for _ in range(50)))
    assert results.count(True) == 5


async def test_two_processes_share_one_count(redis_child: RedisChild) -> None:
    first, second = connect_redis(redis_child.url), connect_redis(redis_child.url)
    try:
        account, address = keys()
        for client in (first, second):
            await Lockout(client, 2, 100, 60).attempt(account, address)
        assert not await admitted(Lockout(first, 2, 100, 60), account, address)
    finally:
        await first.aclose()
        await second.aclose()


async def test_a_locked_address_locks_every_account(redis_client: aioredis.Redis) -> None:
    lockout = Lockout(redis_client, per_account=100, per_address=2, window_s=60)
    _, address = keys()
    for _ in range(2):
        await lockout.attempt(account_key(None, unique("a_")), address)
    assert not await admitted(lockout, account_key(None, unique("b_")), address)


async def test_an_attempt_refused_by_its_address_costs_the_account_nothing(
    redis_client: aioredis.Redis,
) -> None:
    lockout = Lockout(redis_client, per_account=5, per_address=1, window_s=60)
    account, address = keys()
    await lockout.attempt(account_key(None, unique("c_")), address)
    assert not await admitted(lockout, account, address)
    assert await redis_client.get(account) == "0"


async def test_a_success_clears_the_account_and_returns_one_address_attempt(
    redis_client: aioredis.Redis,
) -> None:
    lockout = Lockout(redis_client, per_account=5, per_address=10, window_s=60)
    account, address = keys()
    for _ in range(3):
        await lockout.attempt(account, address)
    await lockout.succeeded(account, address)
    assert (await redis_client.get(account), await redis_client.get(address)) == (None, "2")


async def test_a_success_after_the_window_leaves_no_key_behind(
    redis_client: aioredis.Redis,
) -> None:
    lockout = Lockout(redis_client, per_account=5, per_address=10, window_s=60)
    account, address = keys()
    await lockout.succeeded(account, address)
    assert (await redis_client.exists(account), await redis_client.exists(address)) == (0, 0)
