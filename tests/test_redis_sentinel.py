"""The real server on a Sentinel-watched Redis (tests/support/sentinel.py: a master, two
replicas, three sentinels), reached by `CASINO_REDIS_URL=redis+sentinel://.../casino?replicas=1`.

A player plays, a provider bets and wins, a withdrawal is paid, and the ledger reconciles.
Then the failover: players spin without pause while the master is killed; the sentinels
promote a replica, the server follows it, and every spin a player saw answered is in the
ledger once the flusher has drained, which reconciles against the promoted replica.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from server.doctor import Level, redis_url_findings
from server.storage import redis_client
from server.storage.redis_child import RedisChild
from server.tools.soak import stack as soak_stack
from tests.conftest import ServerProcess, new_player
from tests.support import db as test_db
from tests.support.redis_setups import (
    SPINNERS,
    SPINS_AFTER_FAILOVER,
    durable,
    money_tour,
    serving_with_gateway,
    spin_until,
)
from tests.support.sentinel import SentinelGroup, sentinel_group
from tests.test_doctor import _levels
from tests.test_run_commands import embedded_env, run_py

__all__ = ["sentinel_group"]  # a fixture, used by name


@pytest.fixture
def on_sentinel(tmp_path: Path, sentinel_group: SentinelGroup) -> Iterator[ServerProcess]:
    """The server (with a sandbox payment gateway, for the withdrawal) on the group."""
    with serving_with_gateway(tmp_path, cast(RedisChild, sentinel_group)) as server:
        yield server


def test_a_sentinel_url_names_the_sentinels_the_service_and_the_replicas_to_wait_for() -> None:
    assert redis_client.sentinel_parts(
        "redis+sentinel://:s3cret@10.0.0.1:26379,10.0.0.2:26380/casino?replicas=1&db=2"
    ) == ([("10.0.0.1", 26379), ("10.0.0.2", 26380)], "casino", "s3cret", 2, 1)


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("redis+sentinel://10.0.0.1:26379/", "service name"),
        ("redis+sentinel://10.0.0.1/casino", "HOST:PORT"),
        ("redis+sentinel://10.0.0.1:26379/casino?replicas=one", "whole numbers"),
    ],
)
def test_a_malformed_sentinel_url_is_refused_with_what_is_wrong(url: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        redis_client.sentinel_parts(url)


async def test_play_provider_calls_and_a_withdrawal_reconcile_on_a_sentinel_master(
    on_sentinel: ServerProcess, sentinel_group: SentinelGroup
) -> None:
    server = on_sentinel
    await money_tour(server)
    report = await soak_stack.settled_report(sentinel_group.url, server.database_path, 30.0)
    assert report.ok, "\n".join(report.lines())
    assert _durable_rounds(server) >= 10
    errors = [line for line in server.log().splitlines() if '"level":"ERROR"' in line]
    assert errors == []


def _durable_rounds(server: ServerProcess) -> int:
    return int(test_db.query(server.database_path, "SELECT COUNT(*) FROM rounds")[0][0])


async def test_no_answered_spin_is_lost_when_the_sentinels_promote_the_replica_under_load(
    on_sentinel: ServerProcess, sentinel_group: SentinelGroup
) -> None:
    server = on_sentinel
    players = [(await new_player(server.base_url, deposit=10_000))[0] for _ in range(SPINNERS)]
    answered: set[str] = set()
    failed_over = asyncio.Event()
    spinners = [asyncio.create_task(spin_until(p, answered, failed_over)) for p in players]
    while len(answered) < 40:  # the load is on before the master dies
        await asyncio.sleep(0.05)
    before = len(answered)
    await asyncio.to_thread(sentinel_group.kill_master)
    promoted = await asyncio.to_thread(sentinel_group.wait_for_failover)
    failed_over.set()
    await asyncio.wait_for(asyncio.gather(*spinners), 120)
    for player in players:
        await player.http.aclose()
    assert promoted in sentinel_group.replica_ports
    assert len(answered) >= before + SPINNERS * SPINS_AFTER_FAILOVER
    report = await soak_stack.settled_report(sentinel_group.url, server.database_path, 60.0)
    assert report.ok, "\n".join(report.lines())
    deadline = time.monotonic() + 30
    while durable(server, answered) != answered and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert sorted(answered - durable(server, answered)) == []


@pytest.mark.parametrize(
    ("url", "replication"),
    [
        ("redis+sentinel://:pw@127.0.0.1:26379,127.0.0.1:26380/casino?replicas=1", Level.OK),
        ("redis+sentinel://:pw@127.0.0.1:26379,127.0.0.1:26380/casino", Level.WARN),
    ],
)
def test_doctor_warns_of_a_sentinel_url_whose_answers_do_not_wait_for_a_replica(
    url: str, replication: Level
) -> None:
    levels = {finding.check: finding.level for finding in redis_url_findings(url)}
    assert levels == {"redis replication": replication, "redis access": Level.OK}


def test_doctor_fails_sentinels_reached_over_the_network_without_a_password() -> None:
    levels = {
        finding.check: finding.level
        for finding in redis_url_findings("redis+sentinel://127.0.0.1:1,10.0.0.5:2/casino")
    }
    assert levels["redis access"] == Level.FAIL
    assert levels["redis transport"] == Level.WARN


def test_doctor_reaches_the_master_through_the_sentinels(
    tmp_path: Path, sentinel_group: SentinelGroup
) -> None:
    env = {**embedded_env(tmp_path), "CASINO_REDIS_URL": sentinel_group.url}
    assert run_py("migrate", env=env, timeout=60).returncode == 0
    result = run_py("doctor", env=env, timeout=60)
    levels = _levels(result.stdout)
    assert (levels["redis reachable"], levels["redis replication"]) == ("ok", "ok"), result.stdout
    assert levels["redis persistence"] == "ok", result.stdout
