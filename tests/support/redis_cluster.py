"""A real Redis Cluster with replicas for failover tests: three masters with two replicas
each, every one a `redis-server --cluster-enabled yes` process on a private port with its
own temporary directory.

Every node appends its writes to its AOF (fsync every second) and calls a silent peer
failing after NODE_TIMEOUT_MS; the cluster then promotes one of the failed master's
replicas by itself (no CLUSTER FAILOVER is sent). Two replicas per master for the same
reason as the Sentinel group's (tests/support/sentinel.py): the server's URL asks for every
acknowledged write to be held by one replica (`replicas=1`), so the promoted replica must
still have one to replicate to. `kill_master_of(key)` ends the master of a key's slot with
SIGKILL and `wait_for_failover` returns once one of its replicas owns that slot, acts as its
master, and the other replica follows it.
"""

from __future__ import annotations

import signal
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

from server.storage.redis_child import free_port
from tests.support.processes import distinct_ports, redis_cli, stop_all, wait_until

MASTERS = 3
REPLICAS_EACH = 2
NODE_TIMEOUT_MS = 1_500
START_WAIT_S = 60.0


def cluster_port() -> int:
    """A free port whose cluster bus port (10000 above it, so at most 55535) is free too."""
    while True:
        port = free_port()
        if port > 55535:
            continue
        with socket.socket() as bus:
            try:
                bus.bind(("127.0.0.1", port + 10_000))
            except OSError:
                continue
        return port


_wait = partial(wait_until, timeout_s=START_WAIT_S)


@dataclass(frozen=True)
class Node:
    """One line of CLUSTER NODES: who a node is, what it is, and what it serves."""

    id: str
    port: int
    master: bool
    failed: bool
    master_id: str  # "-" for a master
    slots: tuple[tuple[int, int], ...]


def _nodes(port: int) -> list[Node]:
    found = []
    for line in redis_cli(port, "cluster", "nodes").splitlines():
        fields = line.split()
        if len(fields) < 8:
            continue
        flags = fields[2].split(",")
        ranges = []
        for part in fields[8:]:
            if part.startswith("["):  # a slot being migrated: none here
                continue
            low, _, high = part.partition("-")
            ranges.append((int(low), int(high or low)))
        found.append(
            Node(
                id=fields[0],
                port=int(fields[1].split("@")[0].rsplit(":", 1)[1]),
                master="master" in flags,
                failed="fail" in flags,
                master_id=fields[3],
                slots=tuple(ranges),
            )
        )
    return found


class ReplicatedCluster:
    """The nine processes; `url` is the CASINO_REDIS_URL naming every node as a seed, with
    every acknowledged write held by a replica too (`replicas=1`)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.ports = distinct_ports(MASTERS * (1 + REPLICAS_EACH), cluster_port)
        self.processes: dict[int, subprocess.Popen[bytes]] = {}
        self.killed: set[int] = set()

    @property
    def url(self) -> str:
        seeds = ",".join(f"127.0.0.1:{port}" for port in self.ports)
        return f"redis+cluster://{seeds}?replicas=1"

    def _start(self, port: int) -> None:
        directory = self.workdir / str(port)
        directory.mkdir()
        with (directory / "redis.log").open("wb") as log:
            self.processes[port] = subprocess.Popen(
                ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                 "--dir", str(directory), "--cluster-enabled", "yes",
                 "--cluster-config-file", "nodes.conf",
                 "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
                 "--appendonly", "yes", "--appendfsync", "everysec", "--save", ""],
                cwd=directory, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def start(self) -> None:
        for port in self.ports:
            self._start(port)
        for port in self.ports:
            _wait(partial(self._answers, port), f"node {port} to answer")
        created = redis_cli(
            self.ports[0], "--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports),
            "--cluster-replicas", str(REPLICAS_EACH), "--cluster-yes",
        )  # fmt: skip
        if "All 16384 slots covered" not in created:
            raise RuntimeError(created)
        for port in self.ports:
            _wait(partial(self._settled, port), f"node {port} to see the whole cluster")

    def _answers(self, port: int) -> bool:
        return "PONG" in redis_cli(port, "ping")

    def _settled(self, port: int) -> bool:
        """The node sees the cluster ok, three masters and every replica's link up."""
        if "cluster_state:ok" not in redis_cli(port, "cluster", "info"):
            return False
        nodes = _nodes(port)
        if sum(node.master for node in nodes) != MASTERS or len(nodes) != len(self.ports):
            return False
        return all(node.master or self._follows(node.port) for node in nodes)

    def _follows(self, port: int, master: int | None = None) -> bool:
        replication = redis_cli(port, "info", "replication")
        up = "master_link_status:up" in replication
        return up and (master is None or f"master_port:{master}\n" in replication)

    def _alive(self) -> int:
        return next(port for port in self.ports if port not in self.killed)

    def master_of(self, key: str) -> Node:
        slot = int(redis_cli(self._alive(), "cluster", "keyslot", key).strip())
        for node in _nodes(self._alive()):
            if node.master and any(low <= slot <= high for low, high in node.slots):
                return node
        raise RuntimeError(f"no master serves slot {slot}")

    def replicas_of(self, master: Node) -> list[int]:
        return [node.port for node in _nodes(self._alive()) if node.master_id == master.id]

    def kill(self, port: int) -> None:
        """End the node with SIGKILL: no shutdown, nothing more sent to its replicas."""
        self.killed.add(port)
        process = self.processes[port]
        process.send_signal(signal.SIGKILL)
        process.wait()

    def wait_for_failover(self, key: str, replicas: list[int], timeout_s: float = 30.0) -> int:
        """The port of the replica (one of `replicas`) promoted to serve `key`'s slot, once
        it acts as the master and the other replicas follow it."""

        def promoted() -> bool:
            try:
                master = self.master_of(key)
            except (RuntimeError, ValueError):
                return False
            if master.port not in replicas:
                return False
            others = [port for port in replicas if port != master.port]
            serving = "role:master" in redis_cli(master.port, "info", "replication")
            return serving and all(self._follows(port, master.port) for port in others)

        _wait(promoted, f"the cluster to promote one of {replicas}", timeout_s=timeout_s)
        return self.master_of(key).port

    def stop(self) -> None:
        stop_all(self.processes.values())


@pytest.fixture
def replicated_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplicatedCluster]:
    cluster = ReplicatedCluster(tmp_path_factory.mktemp("cluster"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
