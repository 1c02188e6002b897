"""A real Sentinel-watched Redis for tests: one master, two replicas and three sentinels,
each a `redis-server` process on a private port with its own temporary directory.

The master and the replicas append every write to their AOF (fsync every second); the
sentinels call the master down after DOWN_AFTER_MS without an answer and need two of
three to agree before they promote a replica. Two replicas, because the server's URL asks
for every acknowledged write to be held by one replica (`replicas=1`): after the master is
lost, the promoted replica still has the other one to replicate to. `kill_master` ends the
master with SIGKILL (no shutdown, nothing more sent to the replicas) and
`wait_for_failover` returns once every sentinel names the same promoted replica.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from server.storage.redis_child import free_port
from tests.support.processes import distinct_ports, redis_cli, stop_all, wait_until

SERVICE = "casino"
DOWN_AFTER_MS = 1_000
FAILOVER_TIMEOUT_MS = 5_000
START_WAIT_S = 30.0


_cli = partial(redis_cli, timeout_s=10.0)
_wait = partial(wait_until, timeout_s=START_WAIT_S)


class SentinelGroup:
    """The five processes; `url` is the CASINO_REDIS_URL that reaches the master through
    the sentinels, with every acknowledged write held by the replica too (`replicas=1`)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        ports = distinct_ports(6, free_port)
        self.master_port, self.replica_ports, self.sentinel_ports = ports[0], ports[1:3], ports[3:]
        self.processes: dict[int, subprocess.Popen[bytes]] = {}

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{SERVICE}?replicas=1"

    def _start(self, port: int, *args: str) -> None:
        directory = self.workdir / str(port)
        directory.mkdir()
        with (directory / "redis.log").open("wb") as log:
            self.processes[port] = subprocess.Popen(
                ["redis-server", *args], cwd=directory, stdout=log, stderr=subprocess.STDOUT
            )

    def _data_node(self, port: int, *extra: str) -> None:
        self._start(
            port,
            "--port", str(port), "--bind", "127.0.0.1", "--dir", str(self.workdir / str(port)),
            "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", *extra,
        )  # fmt: skip

    def _sentinel(self, port: int) -> None:
        config = self.workdir / f"sentinel-{port}.conf"
        config.write_text(
            f"port {port}\nbind 127.0.0.1\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {self.master_port} 2\n"
            f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}\n"
            f"sentinel failover-timeout {SERVICE} {FAILOVER_TIMEOUT_MS}\n"
            f"sentinel parallel-syncs {SERVICE} 1\n"
        )
        self._start(port, str(config), "--sentinel")

    def start(self) -> None:
        self._data_node(self.master_port)
        for port in self.replica_ports:
            self._data_node(port, "--replicaof", "127.0.0.1", str(self.master_port))
        for port in self.replica_ports:
            _wait(partial(self._follows, port), f"replica {port} to follow the master")
        for port in self.sentinel_ports:
            self._sentinel(port)
        for port in self.sentinel_ports:
            _wait(partial(self._knows_everyone, port), f"sentinel {port} to see the group")

    def _knows_everyone(self, port: int) -> bool:
        master = _cli(port, "sentinel", "master", SERVICE).split()
        fields = dict(zip(master[::2], master[1::2], strict=False))
        return fields.get("num-slaves") == "2" and fields.get("num-other-sentinels") == "2"

    def _follows(self, port: int) -> bool:
        return "master_link_status:up" in _cli(port, "info", "replication")

    def master(self) -> int:
        """The port of the master as the first sentinel names it now."""
        return self._named(self.sentinel_ports[0])

    def kill_master(self) -> None:
        process = self.processes[self.master_port]
        process.send_signal(signal.SIGKILL)
        process.wait()

    def _named(self, sentinel: int) -> int:
        return int(_cli(sentinel, "sentinel", "get-master-addr-by-name", SERVICE).split()[1])

    def wait_for_failover(self, timeout_s: float = 30.0) -> int:
        """The port of the promoted replica, once every sentinel names it, it acts as the
        master and the other replica follows it."""

        def promoted() -> bool:
            named = {self._named(port) for port in self.sentinel_ports}
            if len(named) != 1 or named & {self.master_port}:
                return False
            (master,) = named
            (other,) = set(self.replica_ports) - named
            return "role:master" in _cli(master, "info", "replication") and self._follows(other)

        _wait(promoted, "the sentinels to promote a replica", timeout_s=timeout_s)
        return self.master()

    def stop(self) -> None:
        stop_all(self.processes.values())


@pytest.fixture
def sentinel_group(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SentinelGroup]:
    group = SentinelGroup(tmp_path_factory.mktemp("sentinel"))
    try:
        group.start()
        yield group
    finally:
        group.stop()
