"""The money scripts on a real three-master Redis Cluster: every call touches one hash slot.

Three `redis-server --cluster-enabled yes` processes joined by `redis-cli --cluster create`;
players spread over every shard, so over every master. Each money script (spin,
reserve/settle/release, provider bet/win/rollback, withdrawal lock/resolve) runs through
redis-py's cluster client, which refuses a call whose keys span slots (CROSSSLOT), and the
balances and journals are then reconciled against the moves made. A whole server on a
cluster is a later issue ("Beyond one machine"): the bet path's pipeliner holds one
connection, so here its batches run command by command on the cluster client.
"""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any, cast

import pytest
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.commands.core import AsyncScript

from rng import fair
from server.events import stream
from server.events.catalogue import RoundSettled, RoundSettledV2
from server.money import keys
from server.money.hot import FairState, HotWallet
from server.money.provider_wallet import ProviderHot
from server.money.withdrawal_locks import WithdrawalLocks
from tests.support.processes import distinct_ports, redis_cli, stop_all, wait_until
from tests.support.redis_cluster import cluster_port

PLAYERS = range(1, 2 * keys.SHARDS + 1)  # every shard twice
SEED = bytes(range(32))
START = 1_000
MOVES_PER_PLAYER = 9  # journal entries each player's moves below append


def _node(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
         "--cluster-config-file", f"nodes-{port}.conf", "--dir", str(workdir), "--save", "",
         "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _answers(port: int, expected: str, *command: str) -> bool:
    return expected in redis_cli(port, *command)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """Three masters on free ports; yields one node's port."""
    workdir = tmp_path_factory.mktemp("cluster")
    ports = distinct_ports(3, cluster_port)
    nodes = [_node(workdir, port) for port in ports]
    try:
        for port in ports:
            wait_until(partial(_answers, port, "PONG", "ping"), f"node {port} answering", 30)
        created = redis_cli(
            ports[0], "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports),
            "--cluster-replicas", "0", "--cluster-yes",
        )  # fmt: skip
        assert "All 16384 slots covered" in created, created
        for port in ports:
            wait_until(
                partial(_answers, port, "cluster_state:ok", "cluster", "info"),
                f"node {port} seeing the cluster ok",
                30,
            )
        yield ports[0]
    finally:
        stop_all(nodes)


class _Staged:
    """What a `run` stage asks of the pipeliner, to be sent command by command."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def zadd(self, *args: Any) -> None:
        self.calls.append(("zadd", args))

    def zrem(self, *args: Any) -> None:
        self.calls.append(("zrem", args))

    def hmget(self, *args: Any) -> None:
        self.calls.append(("hmget", args))


class _ClusterBatch:
    """The pipeliner's interface (`run`, `script`, `stage_script`) on a cluster client: the
    pipeliner itself holds one connection to one Redis."""

    def __init__(self, client: RedisCluster) -> None:
        self.client = client

    async def run(self, stage: Callable[[Any], None]) -> list[Any]:
        staged = _Staged()
        stage(staged)
        replies = []
        for name, args in staged.calls:
            if name == "script":
                script, script_keys, script_args = args
                replies.append(await script(keys=script_keys, args=script_args))
            else:
                replies.append(await getattr(self.client, name)(*args))
        return replies

    async def script(self, script: AsyncScript, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        return await script(keys=keys, args=args)

    def stage_script(
        self, pipe: _Staged, script: AsyncScript, keys: Sequence[Any], args: Sequence[Any]
    ) -> None:
        pipe.calls.append(("script", (script, keys, args)))

    async def aclose(self) -> None:
        pass


@pytest.fixture
async def client(cluster: int) -> AsyncIterator[RedisCluster]:
    connection = RedisCluster(host="127.0.0.1", port=cluster, decode_responses=True)
    await connection.flushall(target_nodes=RedisCluster.PRIMARIES)
    yield connection
    await connection.aclose()


async def play_every_kind_of_move(client: RedisCluster, player: int) -> None:
    """+150 spin, -200 settled stake, a voided hold, +200 provider, -100 withdrawn."""
    redis = cast(aioredis.Redis, client)
    hot = HotWallet(redis, reservation_ttl_ms=60_000)
    hot.batch = _ClusterBatch(client)  # type: ignore[assignment]
    provider = ProviderHot(redis)
    withdrawals = WithdrawalLocks(redis)
    await hot.hydrate(player, "EUR", START, ledger_mark=0)
    await hot.install_seed(player, False, SEED, fair.seed_hash(SEED), "client", nonce=0)
    fair_state = FairState(SEED, "client", 0, fair.seed_hash(SEED))
    await hot.spin(
        player, "EUR", f"spin-{player}", "classic-sevens", 100, 250, "{}", "{}", fair_state,
    )  # fmt: skip
    await hot.reserve(player, "EUR", f"table-{player}", "european-roulette", 200)
    await hot.settle(player, "EUR", f"table-{player}", 0, "{}")
    await hot.reserve(player, "EUR", f"void-{player}", "european-roulette", 50)
    await hot.release(player, "EUR", f"void-{player}", "voided", only_if_due=False)
    bet, win, undone = (f"bet-{player}", f"win-{player}", f"undone-{player}")
    for tx in (bet, win, undone):
        assert await provider.claim("sandbox", tx, player)
    await provider.bet("sandbox", bet, player, "EUR", "EUR", 100, "pr-1", "slot", False, "")
    await provider.win("sandbox", win, player, "EUR", "EUR", 300, "pr-1", "slot", bet, False)
    await provider.bet("sandbox", undone, player, "EUR", "EUR", 50, "pr-2", "slot", False, "")
    await provider.rollback("sandbox", f"rb-{player}", player, "EUR", "pr-2", "slot", undone, False)
    await withdrawals.lock(player, player, "EUR", 100, "sandbox")
    await withdrawals.resolve(player, player, "EUR", 100, "sandbox", "paid")


async def test_the_players_span_every_master(client: RedisCluster) -> None:
    nodes = [client.get_node_from_key(keys.wallet(player, "EUR")) for player in PLAYERS]
    masters = {node.name for node in nodes if node is not None}
    assert len(masters) == 3


async def test_every_money_script_runs_and_the_wallets_reconcile(client: RedisCluster) -> None:
    for player in PLAYERS:
        await play_every_kind_of_move(client, player)
    for player in PLAYERS:
        wallet = await client.hgetall(keys.wallet(player, "EUR"))
        assert (wallet["cash"], wallet["held"], wallet["locked"]) == ("1050", "0", "0")


async def test_every_move_is_in_its_players_journal_with_the_balance_it_left(
    client: RedisCluster,
) -> None:
    for player in PLAYERS:
        await play_every_kind_of_move(client, player)
    for player in PLAYERS:
        journal: list[tuple[str, dict[str, str]]] = await client.xrange(  # type: ignore[assignment]
            keys.journal_of(player)
        )
        entries = [fields for _, fields in journal if fields["player_id"] == str(player)]
        assert len(entries) == MOVES_PER_PLAYER
        assert entries[-1]["balance_after"] == "1050"
    journaled = sum([await client.xlen(stream) for stream in keys.journals()])
    assert journaled == MOVES_PER_PLAYER * len(PLAYERS)


async def test_every_move_appends_its_event_to_its_players_event_stream(
    client: RedisCluster,
) -> None:
    player = PLAYERS[0]
    await play_every_kind_of_move(client, player)
    raw: list[tuple[str, dict[str, str]]] = await client.xrange(  # type: ignore[assignment]
        keys.events_of(player)
    )
    found = [e for e in stream.entries(keys.events_of(player), raw) if e.event.player_id == player]
    assert [
        (type(e.event).__name__, getattr(e.event, "action", ""), e.event.balance)  # type: ignore[attr-defined]
        for e in found
    ] == [
        ("RoundSettledV2", "", 1_150),
        ("StakeTaken", "", 950),
        ("RoundSettledV2", "", 950),
        ("StakeTaken", "", 900),
        ("RoundSettledV2", "", 950),
        ("ProviderMovementV2", "bet", 850),
        ("ProviderMovementV2", "win", 1_150),
        ("ProviderMovementV2", "bet", 1_100),
        ("ProviderMovementV2", "rollback", 1_150),
        ("WithdrawalFunds", "locked", 1_050),
        ("WithdrawalFunds", "paid", 1_050),
    ]
    spin, voided = found[0].event, found[4].event
    assert spin == RoundSettledV2(
        id=f"round:spin-{player}", player_id=player, at_ms=spin.at_ms,
        round_id=f"spin-{player}", game="classic-sevens", currency="EUR", stake=100, win=250,
        balance=1_150, free=False,
    )  # fmt: skip
    assert isinstance(voided, RoundSettled) and (voided.voided, voided.stake) == (True, 50)


async def test_a_call_whose_keys_span_two_slots_is_refused_by_the_cluster(
    client: RedisCluster,
) -> None:
    """The guard this layout exists for: the cluster would refuse the old global stream."""
    hot = HotWallet(cast(aioredis.Redis, client), 60_000)
    with pytest.raises(Exception, match="slot"):
        await hot._hydrate(keys=[keys.wallet(1, "EUR"), keys.wallet(2, "EUR")], args=[1, 0])
