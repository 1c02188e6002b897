"""The real server on a real Redis Cluster with replicas (tests/support/redis_cluster.py:
three masters with two replicas each), reached by
`CASINO_REDIS_URL=redis+cluster://...?replicas=1`.

Players spin without pause while the master holding one of their wallets is killed; the
cluster promotes one of its replicas by itself, the server follows it, and every spin a
player saw answered is in the ledger once the flusher has drained, which reconciles against
the promoted replica. And what makes it so: a spin (or a table game's hold) whose master
cannot get a replica to hold it is refused, never answered, and the flusher keeps it out of
the ledger; and stream reads (the flusher's) find the promoted replica even when the node
the client asked for their keys is the one that died.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import pytest
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ConnectionError

from rng import fair
from server.money import keys
from server.money.hot import HotWallet, Reserved
from server.storage import redis_client
from server.storage.redis_child import RedisChild
from server.storage.redis_client import NotReplicated
from server.tools.soak import stack as soak_stack
from tests.conftest import ServerProcess, new_player, start_server, stop_server
from tests.support.redis_cluster import ReplicatedCluster, replicated_cluster
from tests.support.redis_setups import (
    SLOT,
    SPINNERS,
    SPINS_AFTER_FAILOVER,
    durable,
    ledger_rounds,
    spin_until,
)

__all__ = ["replicated_cluster"]  # a fixture, used by name

SEED = bytes(range(32))
FLUSHER_REFUSED = "after NotReplicated: 0 of 1 replicas"  # the flusher's log line


@pytest.fixture
def on_cluster(tmp_path: Path, replicated_cluster: ReplicatedCluster) -> Iterator[ServerProcess]:
    server = start_server(tmp_path, cast(RedisChild, replicated_cluster))
    try:
        yield server
    finally:
        stop_server(server)


async def test_no_answered_spin_is_lost_when_the_cluster_promotes_a_replica_under_load(
    on_cluster: ServerProcess, replicated_cluster: ReplicatedCluster
) -> None:
    server, cluster = on_cluster, replicated_cluster
    made = [await new_player(server.base_url, deposit=10_000) for _ in range(SPINNERS)]
    players = [client for client, _ in made]
    wallet = keys.wallet(int(str(made[0][1]["player_id"])), "EUR")  # its master is killed
    master = cluster.master_of(wallet)
    replicas = cluster.replicas_of(master)
    answered: set[str] = set()
    failed_over = asyncio.Event()
    spinners = [asyncio.create_task(spin_until(p, answered, failed_over)) for p in players]
    while len(answered) < 40:  # the load is on before the master dies
        await asyncio.sleep(0.05)
    before = len(answered)
    await asyncio.to_thread(cluster.kill, master.port)
    promoted = await asyncio.to_thread(cluster.wait_for_failover, wallet, replicas)
    failed_over.set()
    await asyncio.wait_for(asyncio.gather(*spinners), 120)
    for player in players:
        await player.http.aclose()
    assert promoted in replicas
    assert len(answered) >= before + SPINNERS * SPINS_AFTER_FAILOVER
    report = await soak_stack.settled_report(cluster.url, server.database_path, 60.0)
    assert report.ok, "\n".join(report.lines())
    deadline = time.monotonic() + 30
    while durable(server, answered) != answered and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert sorted(answered - durable(server, answered)) == []


async def test_a_spin_no_replica_holds_is_neither_answered_nor_written_to_the_ledger(
    on_cluster: ServerProcess, replicated_cluster: ReplicatedCluster
) -> None:
    server, cluster = on_cluster, replicated_cluster
    client, player = await new_player(server.base_url, deposit=1_000)
    master = cluster.master_of(keys.wallet(int(str(player["player_id"])), "EUR"))
    async with client:
        assert client.token is not None
        async with client.socket() as sock:
            await sock.hello(client.token)
            answered = await sock.spin(SLOT, 5)
            first = {str(answered["round_id"])}
            await _until(lambda: durable(server, first) == first, "the first spin is durable")
            for port in cluster.replicas_of(master):
                await asyncio.to_thread(cluster.kill, port)
            refused = await sock.spin(SLOT, 5)
    assert (refused["type"], refused.get("code")) == ("error", "SERVICE_UNAVAILABLE")
    # The refused spin ran on the master all the same; its journal entry waits there, and
    # the flusher will not write it while no replica holds it.
    await _until(lambda: FLUSHER_REFUSED in server.log(), "the flusher to meet the entry")
    assert ledger_rounds(server) == first


async def test_a_staged_call_no_replica_holds_fails_and_one_a_replica_holds_is_answered(
    replicated_cluster: ReplicatedCluster,
) -> None:
    """The table games' path (a `run` stage: a due-index entry and a script together)."""
    cluster = replicated_cluster
    client = redis_client.connect(cluster.url)
    hot = HotWallet(client, reservation_ttl_ms=60_000)
    try:
        await hot.hydrate(1, "EUR", 1_000, ledger_mark=0)
        await hot.install_seed(1, False, SEED, fair.seed_hash(SEED), "client", nonce=0)
        held = await hot.reserve(1, "EUR", "r-1", "european-roulette", 100)
        assert isinstance(held, Reserved) and held.cash == 900
        for port in cluster.replicas_of(cluster.master_of(keys.wallet(1, "EUR"))):
            await asyncio.to_thread(cluster.kill, port)
        with pytest.raises(NotReplicated, match="0 of 1 replicas"):
            await hot.reserve(1, "EUR", "r-2", "european-roulette", 100)
    finally:
        await hot.aclose()
        await client.aclose()


async def test_stream_reads_follow_a_failover_of_the_node_the_client_asks_for_keys(
    replicated_cluster: ReplicatedCluster,
) -> None:
    """redis-py asks its default node for an XREADGROUP's keys; that node dying must not
    stop the reads (the flusher and the event consumers read with nothing else)."""
    cluster = replicated_cluster
    client = cast(RedisCluster, redis_client.connect(cluster.url))
    try:
        await client.initialize()
        asked = client.get_default_node()
        journal = next(j for j in keys.journals() if client.get_node_from_key(j) == asked)
        await client.xgroup_create(journal, "g", id="0", mkstream=True)
        written = await client.xadd(journal, {"kind": "probe"})
        assert await client.wait(2, 2_000, target_nodes=asked) == 2  # both replicas hold it
        replicas = cluster.replicas_of(cluster.master_of(journal))
        await asyncio.to_thread(cluster.kill, int(asked.port))
        await asyncio.to_thread(cluster.wait_for_failover, journal, replicas)
        read = None
        for _ in range(20):  # each failed read is the caller's to retry, as the flusher does
            try:
                read = await redis_client.read_group(
                    cast(aioredis.Redis, client), "g", "c", {journal: ">"}, count=10
                )
                break
            except ConnectionError:
                await asyncio.sleep(0.5)
        assert read == {journal: [[(written, {"kind": "probe"})]]}
    finally:
        await client.aclose()


async def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)
