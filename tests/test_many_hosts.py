"""Three `run.py serve` processes on three ports, standing for three hosts, sharing one
Redis and one PostgreSQL database behind one proxy (tests/support/tcp_proxy.py: a round-robin
TCP proxy, as neither nginx nor HAProxy is installed here).

What must hold across processes: a player's second tab on another process gets the
pushes; a round left on one process is resumed on another; a login lock-out counts the
failures made on every process; each journal entry is written by exactly one of the three
flushers; and the ledger reconciles.
"""

from __future__ import annotations

import asyncio
import re
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from clients.api import ApiFailure, CasinoClient, GameSocket
from server.storage.redis_child import RedisChild
from server.tools.soak import stack as soak_stack
from tests.conftest import STRONG_PASSWORD, ServerProcess, new_player, start_server, stop_server
from tests.support.postgres import PostgresCluster, postgres_cluster
from tests.support.tcp_proxy import TcpProxy
from tests.test_server_games import unfinished_blackjack

__all__ = ["postgres_cluster"]  # a fixture, used by name

HOSTS = 3
LOGIN_MAX_FAILURES = 3
SLOT = "classic-sevens"


@dataclass
class Hosts:
    servers: list[ServerProcess]
    proxy: TcpProxy
    redis: RedisChild
    database: str

    def last_routes(self, count: int) -> list[int]:
        """The servers the last `count` connections through the proxy went to."""
        return self.proxy.routes[-count:]


@pytest.fixture(scope="module")
def three_servers(
    tmp_path_factory: pytest.TempPathFactory, postgres_cluster: PostgresCluster
) -> Iterator[tuple[list[ServerProcess], RedisChild, str]]:
    """The three processes, started once for this module's tests (each takes seconds)."""
    url = postgres_cluster.new_database()
    redis = RedisChild(tmp_path_factory.mktemp("hosts-redis"))
    redis.start()
    env = {
        "CASINO_DATABASE_URL": url,
        "CASINO_LOGIN_MAX_FAILURES": str(LOGIN_MAX_FAILURES),
        "CASINO_TRUSTED_PROXIES": "127.0.0.1",
    }
    servers: list[ServerProcess] = []
    try:
        for _ in range(HOSTS):
            servers.append(start_server(tmp_path_factory.mktemp("host"), redis, env))
        yield servers, redis, url
    finally:
        for server in servers:
            stop_server(server)
        redis.stop()


@pytest.fixture
async def hosts(three_servers: tuple[list[ServerProcess], RedisChild, str]) -> AsyncIterator[Hosts]:
    """The proxy in front of the three, in this test's event loop."""
    servers, redis, url = three_servers
    proxy = TcpProxy([server.port for server in servers])
    await proxy.start()
    try:
        yield Hosts(servers, proxy, redis, url)
    finally:
        await proxy.stop()


async def _tab(client: CasinoClient) -> GameSocket:
    sock = client.socket()
    await sock.__aenter__()
    assert client.token is not None
    await sock.hello(client.token)
    return sock


async def test_a_second_tab_on_another_process_gets_the_balance_pushes(hosts: Hosts) -> None:
    client, _ = await new_player(hosts.proxy.base_url, deposit=1_000)
    async with client:
        first, second = await _tab(client), await _tab(client)
        try:
            assert len(set(hosts.last_routes(2))) == 2  # two processes, one tab each
            spun = await first.spin(SLOT, 100)
            push = await second.next_push(timeout_s=10)
            assert (push["type"], push["balance"]) == ("balance_changed", spun["balance"])
        finally:
            await first.__aexit__(None, None, None)
            await second.__aexit__(None, None, None)


async def test_a_round_left_on_one_process_is_resumed_on_another(hosts: Hosts) -> None:
    client, _ = await new_player(hosts.proxy.base_url, deposit=1_000)
    async with client:
        first = await _tab(client)
        hand = await unfinished_blackjack(first)
        await first.__aexit__(None, None, None)
        second = client.socket()
        async with second:
            assert client.token is not None
            welcome = await second.hello(client.token)
            assert hosts.last_routes(2)[0] != hosts.last_routes(2)[1]
            assert welcome["open_rounds"] == [{"game": "blackjack", "round_id": hand["round_id"]}]
            resumed = await second.request("resume", round_id=hand["round_id"])
            assert resumed["outcome"] == hand["outcome"]
            while not resumed["finished"]:
                action = "no_insurance" if "no_insurance" in resumed["actions"] else "stand"
                resumed = await second.request("act", round_id=hand["round_id"], action=action)
            assert resumed["finished"] is True


async def test_failed_logins_on_every_process_lock_the_account_on_every_process(
    hosts: Hosts,
) -> None:
    client, player = await new_player(hosts.proxy.base_url)
    await client.__aexit__(None, None, None)
    refusals = []
    for _ in range(LOGIN_MAX_FAILURES + 1):  # a new client each: a new connection, the next host
        async with CasinoClient(hosts.proxy.base_url) as attempt:
            with pytest.raises(ApiFailure) as refused:
                await attempt.login(str(player["username"]), "Wrong-Horse-42")
            refusals.append(refused.value.code)
    assert len(set(hosts.last_routes(LOGIN_MAX_FAILURES))) == HOSTS
    async with CasinoClient(hosts.proxy.base_url) as late:
        with pytest.raises(ApiFailure) as locked:
            await late.login(str(player["username"]), STRONG_PASSWORD)
    assert refusals[:LOGIN_MAX_FAILURES] == ["INVALID_CREDENTIALS"] * LOGIN_MAX_FAILURES
    assert locked.value.code == "LOGIN_LOCKED"


def _counter(server: ServerProcess, name: str) -> float:
    with urllib.request.urlopen(f"{server.base_url}/metrics", timeout=10) as response:
        text = response.read().decode()
    return sum(float(v) for v in re.findall(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M))


async def _spin_on(client: CasinoClient, spins: int) -> int:
    sock = await _tab(client)
    try:
        for _ in range(spins):
            assert (await sock.spin(SLOT, 5))["type"] == "spin"
    finally:
        await sock.__aexit__(None, None, None)
    return spins


async def test_each_journal_entry_is_written_by_one_flusher_and_the_ledger_reconciles(
    hosts: Hosts,
) -> None:
    players = [(await new_player(hosts.proxy.base_url, deposit=1_000))[0] for _ in range(6)]
    spun = sum(await asyncio.gather(*(_spin_on(player, 25) for player in players)))
    assert set(hosts.proxy.routes) == {server.port for server in hosts.servers}
    for player in players:
        await player.__aexit__(None, None, None)
    report = await soak_stack.settled_report(hosts.redis.url, hosts.database, 60.0)
    assert report.ok, "\n".join(report.lines())
    committed = [_counter(s, "casino_flusher_entries_total") for s in hosts.servers]
    new = [_counter(s, "casino_flusher_rounds_written_total") for s in hosts.servers]
    # An entry committed by two flushers would be counted twice in `committed` but new only
    # once: equal sums mean no entry was written twice.
    assert sum(committed) == sum(new) >= spun
    errors = [
        line for s in hosts.servers for line in s.log().splitlines() if '"level":"ERROR"' in line
    ]
    assert errors == []
