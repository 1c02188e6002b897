"""The real server on a real three-master Redis Cluster (the `cluster` fixture of
tests/test_cluster.py), reached by `CASINO_REDIS_URL=redis+cluster://127.0.0.1:PORT`: a
player deposits and plays, a provider bets and wins, a withdrawal is paid, and the ledger
reconciles against the balances spread over the three masters."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pytest

from clients.api import CasinoClient
from server.doctor import Level, redis_url_findings
from server.storage import redis_client
from server.storage.redis_child import RedisChild
from server.tools.soak import stack as soak_stack
from tests.conftest import ServerProcess, stop_server
from tests.support.redis_setups import money_tour, serving_with_gateway
from tests.test_cluster import cluster
from tests.test_doctor import _levels
from tests.test_run_commands import embedded_env, run_py

__all__ = ["cluster"]  # a fixture, used by name


@dataclass
class ClusterUrl:
    """What start_server reads of a Redis: its URL."""

    url: str


@pytest.fixture
def on_cluster(tmp_path: Path, cluster: int) -> Iterator[ServerProcess]:
    redis = cast(RedisChild, ClusterUrl(f"redis+cluster://127.0.0.1:{cluster}"))
    with serving_with_gateway(tmp_path, redis) as server:
        yield server


def test_a_cluster_url_names_its_seed_nodes_password_and_the_replicas_to_wait_for() -> None:
    assert redis_client.cluster_parts(
        "redis+cluster://:s3cret@10.0.0.1:7000,10.0.0.2:7001?replicas=1"
    ) == ([("10.0.0.1", 7000), ("10.0.0.2", 7001)], "s3cret", 1)


def test_a_cluster_url_without_replicas_waits_for_none() -> None:
    assert redis_client.cluster_parts("redis+cluster://10.0.0.1:7000")[2] == 0


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("redis+cluster://10.0.0.1", "HOST:PORT"),
        ("redis+cluster://10.0.0.1:7000?replicas=one", "whole number"),
        ("redis+cluster://10.0.0.1:7000/2", "no path"),
    ],
)
def test_a_malformed_cluster_url_is_refused_with_what_is_wrong(url: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        redis_client.cluster_parts(url)


async def test_play_provider_calls_and_a_withdrawal_reconcile_on_a_three_master_cluster(
    on_cluster: ServerProcess,
) -> None:
    server = on_cluster
    await money_tour(server)
    report = await soak_stack.settled_report(server.redis.url, server.database_path, 30.0)
    assert report.ok, "\n".join(report.lines())
    errors = [line for line in server.log().splitlines() if '"level":"ERROR"' in line]
    assert errors == []
    async with CasinoClient(server.base_url) as probe:
        ready = await probe.http.get("/ready")
    assert ready.status_code == 200, ready.text  # its backlog spans the three masters
    stop_server(server)  # SIGTERM; stop_server kills a server still running after 20 s
    assert server.process.returncode == 0


@pytest.mark.parametrize(
    ("url", "replication"),
    [
        ("redis+cluster://:pw@127.0.0.1:7000,127.0.0.1:7001?replicas=1", Level.OK),
        ("redis+cluster://:pw@127.0.0.1:7000,127.0.0.1:7001", Level.WARN),
    ],
)
def test_doctor_warns_of_a_cluster_url_whose_answers_do_not_wait_for_a_replica(
    url: str, replication: Level
) -> None:
    levels = {finding.check: finding.level for finding in redis_url_findings(url)}
    assert levels == {"redis replication": replication, "redis access": Level.OK}


def test_doctor_fails_a_malformed_cluster_url() -> None:
    findings = redis_url_findings("redis+cluster://:pw@127.0.0.1:7000?replicas=all")
    assert [(f.check, f.level) for f in findings] == [("redis access", Level.FAIL)]


def test_doctor_checks_the_persistence_of_every_primary_of_the_cluster(
    tmp_path: Path, cluster: int
) -> None:
    env = {**embedded_env(tmp_path), "CASINO_REDIS_URL": f"redis+cluster://127.0.0.1:{cluster}"}
    assert run_py("migrate", env=env, timeout=60).returncode == 0
    result = run_py("doctor", env=env, timeout=60)
    assert _levels(result.stdout)["redis reachable"] == "ok", result.stdout
    # The test cluster runs without an AOF: each of the three primaries is named for it.
    assert result.stdout.count("appendonly is no") == 3, result.stdout
