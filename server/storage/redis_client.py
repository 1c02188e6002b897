"""How every part of the server connects to Redis: one `connect(url)` for a single Redis
(`redis://`, `rediss://`, `unix://`) or a Sentinel-watched master
(`redis+sentinel://[:PASSWORD@]HOST:PORT,HOST:PORT,.../SERVICE[?replicas=N]`) or a Redis
Cluster (`redis+cluster://[:PASSWORD@]HOST:PORT,HOST:PORT,...[?replicas=N]`: seed nodes; the
client learns the rest of the cluster from them).

Commands that fail on a dropped connection are retried with backoff (a Redis
restart or failover takes a moment). That is safe only because every write we
send is idempotent: scripts are keyed by round or transfer id, XACK/XDEL and
ZADD/ZREM repeat harmlessly, and a re-delivered stream entry is written once.
The same holds for `autopipeline`, which batches the bet path's calls: a batch retried
after a dropped connection re-sends every command in it.

The pool holds at most `MAX_CONNECTIONS`; a call made while every one is busy waits up to
`POOL_WAIT_S` for one to come back rather than fail (redis-py's default pool fails at once,
so a burst of concurrent balance reads answered SERVICE_UNAVAILABLE). The bet path does not
use the pool: its calls share one connection of their own (`autopipeline`).

Under Sentinel every new connection asks the sentinels where the master is, so after a
failover the retries above land on the promoted replica. Replication is asynchronous: a
write the old master answered but had not sent on is lost with it. `?replicas=N` closes
that gap where it matters: the bet path's calls (`autopipeline`) are answered only once N
replicas hold them (WAIT), and the flusher writes to the database only entries N replicas
hold, so the ledger never holds a movement the promoted replica forgot.

A cluster's `?replicas=N` gives the same guarantee node by node. WAIT counts only the
writes of the connection it is sent on, and the cluster client sends each command on
whichever pooled connection is free, so the check is a write of a mark in the same slot
followed by WAIT, both on one connection to the master the call was routed to
(`wait_for_replicas`): replication is in order, so once N replicas hold the mark they hold
everything that master wrote before it. The master is looked up before the call; if the
call landed elsewhere (a failover meanwhile), the mark goes to a node that is dead or no
longer owns the slot, and the call is refused, never acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, ClusterPipeline, PipelineCommand, RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import BusyLoadingError, ConnectionError, RedisError, TimeoutError

RETRIES = 8  # about 2.5 s of backoff in all: longer than a restart from AOF takes here
SENTINEL_RETRIES = 14  # about 6 s: longer than a Sentinel failover with a 1 s down-after
MAX_CONNECTIONS = 100
POOL_WAIT_S = 5.0
WAIT_TIMEOUT_MS = 2_000  # how long a write waits for its replicas before it is refused
SENTINEL_SCHEME = "redis+sentinel"
CLUSTER_SCHEME = "redis+cluster"


class NotReplicated(RedisError):
    """Fewer replicas than `?replicas=N` asks acknowledged a write within WAIT_TIMEOUT_MS."""


class _SentinelPool(SentinelConnectionPool, aioredis.BlockingConnectionPool):
    """A Sentinel master's pool that waits for a free connection as `connect`'s does, and
    carries how many replicas a write must reach (`replicas`)."""

    replicas = 0

    async def disconnect(self, inuse_connections: bool = True) -> None:
        await super().disconnect(inuse_connections)
        await self.sentinel_manager.aclose()  # the sentinels' own connections


def stop_if_cancelled() -> None:
    """Raise CancelledError when the running task was cancelled. Every loop around a blocking
    Redis read calls it each turn: redis-py can lose a cancellation that lands in such a read
    (redis-py #2028; about one stop in 150 here), the read returns, and the loop would read on
    until its process's stop grace killed it, holding up the server's shutdown. The task
    still counts the cancellation it was sent."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def _options(retries: int) -> dict[str, Any]:
    return {
        "decode_responses": True,
        "protocol": 3,
        "retry": Retry(ExponentialWithJitterBackoff(base=0.02, cap=0.5), retries),
        "retry_on_error": [ConnectionError, TimeoutError, BusyLoadingError],
        "health_check_interval": 30,
        "socket_connect_timeout": 2,
    }


def sentinel_parts(url: str) -> tuple[list[tuple[str, int]], str, str | None, int, int]:
    """(sentinels, service, password, db, replicas) of a `redis+sentinel://` URL; ValueError
    with what is wrong when it is not one."""
    parts = urlsplit(url)
    if parts.scheme != SENTINEL_SCHEME:
        raise ValueError(f"not a {SENTINEL_SCHEME}:// URL")
    hosts = parts.netloc.rsplit("@", 1)[-1]
    password = (
        unquote(parts.netloc.rsplit("@", 1)[0].split(":", 1)[-1]) if "@" in parts.netloc else None
    )
    sentinels = []
    for host in hosts.split(","):
        name, _, port = host.rpartition(":")
        if not name or not port.isdigit():
            raise ValueError(f"sentinel {host!r} is not HOST:PORT")
        sentinels.append((name, int(port)))
    service = parts.path.strip("/")
    if not service or "/" in service:
        raise ValueError("the URL's path must be the Sentinel service name: .../mymaster")
    query = parse_qs(parts.query)
    db, replicas = (query.get(name, ["0"])[0] for name in ("db", "replicas"))
    if not db.isdigit() or not replicas.isdigit():
        raise ValueError("db and replicas must be whole numbers")
    return sentinels, service, password or None, int(db), int(replicas)


class _ShieldedPipeline(ClusterPipeline):
    async def execute(self, raise_on_error: bool = True, allow_redirections: bool = True) -> Any:
        pending = super().execute(
            raise_on_error=raise_on_error, allow_redirections=allow_redirections
        )
        return await asyncio.shield(pending)


class _ShieldedCluster(RedisCluster):
    """A cluster client whose commands run to their end even when their caller is
    cancelled. redis-py's (8.2) cluster client does not finish a command cancelled half-way:
    the cancelled task then waits for seconds or for good (a server's shutdown, which
    cancels its readers mid-command, hung until it was killed). The caller still stops
    waiting at once; the command's reply is dropped."""

    replicas = 0  # how many replicas must hold a write (the URL's `?replicas=N`)

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await asyncio.shield(super().execute_command(*args, **kwargs))
        except ConnectionError as error:
            await self._refresh_after(error)
            raise

    async def _refresh_after(self, error: ConnectionError) -> None:
        """Refresh the topology (when a refresh is due). redis-py (8.2) asks one node, its
        commands parser's, for the keys of a command whose key specs it cannot read itself
        (XREADGROUP: COMMAND GETKEYS), and does so before the retries that refresh the
        topology after a failed node. When that node dies, every such call fails on it for
        good: the flusher and the event consumers, which read with XREADGROUP alone, never
        learnt of a failover (tests/test_cluster_failover.py): the refresh their error asks
        for is run only inside those retries. Run here, it re-points the parser at a live
        node, so the caller's next try gets past it."""
        parser_node = getattr(self.commands_parser, "node", None)
        failed = getattr(error, "last_failed_node_name", None) or getattr(parser_node, "name", None)
        self._request_refresh(last_failed_node_name=failed)
        with contextlib.suppress(RedisError, OSError):  # the caller's error is the one to see
            await self.initialize()

    def pipeline(self, transaction: Any = None, shard_hint: Any = None) -> ClusterPipeline:
        return _ShieldedPipeline(self, transaction)  # type: ignore[abstract]


def cluster_parts(url: str) -> tuple[list[tuple[str, int]], str | None, int]:
    """(seed nodes, password, replicas) of a `redis+cluster://` URL; ValueError with what is
    wrong when it is not one."""
    parts = urlsplit(url)
    if parts.scheme != CLUSTER_SCHEME:
        raise ValueError(f"not a {CLUSTER_SCHEME}:// URL")
    hosts = parts.netloc.rsplit("@", 1)[-1]
    credentials = parts.netloc.rsplit("@", 1)[0] if "@" in parts.netloc else ""
    seeds = []
    for host in hosts.split(","):
        name, _, port = host.rpartition(":")
        if not name or not port.isdigit():
            raise ValueError(f"cluster node {host!r} is not HOST:PORT")
        seeds.append((name, int(port)))
    if parts.path.strip("/"):
        raise ValueError("a cluster URL has no path (a cluster has one database)")
    replicas = parse_qs(parts.query).get("replicas", ["0"])[0]
    if not replicas.isdigit():
        raise ValueError("replicas must be a whole number")
    return seeds, unquote(credentials.split(":", 1)[-1]) or None, int(replicas)


def is_cluster(client: object) -> bool:
    return isinstance(client, RedisCluster)


def connect(url: str, retries: int | None = None) -> aioredis.Redis:
    """A client for `url`; `retries` overrides how often a failed call is tried again (0
    for a check that should answer at once, as `run.py doctor`'s). A cluster's client is
    typed as the single Redis's: every command the server sends names keys of one slot, so
    the cluster client answers it as one Redis would (`tests/test_cluster*.py`)."""
    if url.startswith(f"{CLUSTER_SCHEME}://"):
        seeds, password, replicas = cluster_parts(url)
        options = _options(RETRIES if retries is None else retries)
        options.pop("retry_on_error")  # the cluster client retries moves and failovers itself
        options.pop("health_check_interval")
        cluster = _ShieldedCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in seeds],
            password=password,
            max_connections=MAX_CONNECTIONS,
            **options,
        )
        cluster.replicas = replicas
        return cast(aioredis.Redis, cluster)
    if url.startswith(f"{SENTINEL_SCHEME}://"):
        return _connect_sentinel(url, SENTINEL_RETRIES if retries is None else retries)
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=POOL_WAIT_S,
        **_options(RETRIES if retries is None else retries),
    )
    return aioredis.Redis.from_pool(pool)  # the client owns the pool: aclose() closes it


def _connect_sentinel(url: str, retries: int) -> aioredis.Redis:
    sentinels, service, password, db, replicas = sentinel_parts(url)
    manager = Sentinel(sentinels, sentinel_kwargs={"socket_connect_timeout": 1})
    client = manager.master_for(
        service,
        connection_pool_class=_SentinelPool,
        max_connections=MAX_CONNECTIONS,
        timeout=POOL_WAIT_S,
        password=password,
        db=db,
        **_options(retries),
    )
    client.connection_pool.replicas = replicas
    return cast(aioredis.Redis, client)


def replicas(client: aioredis.Redis) -> int:
    """How many replicas must hold a write before it counts as done (0: the master's answer
    is enough, as on a single Redis)."""
    if is_cluster(client):  # no single pool; a plain RedisCluster (tests) asks for none
        return int(getattr(client, "replicas", 0))
    return int(getattr(getattr(client, "connection_pool", None), "replicas", 0))


REPLICATION_MARK = "replication-mark"  # the key `wait_for_replicas` writes, in a call's slot


async def primary_of(client: aioredis.Redis, key: str) -> ClusterNode:
    """The master a cluster client sends a call on `key` to now (its cached slot map)."""
    cluster = cast(RedisCluster, client)
    node = cluster.get_node_from_key(key)
    if node is None:  # nothing sent yet: the slot map is loaded on first use
        await cluster.initialize()
        node = cluster.get_node_from_key(key)
    if node is None:
        raise NotReplicated(f"no master holds the slot of {key}")
    return node


def _mark_beside(key: str) -> str:
    """A key in the same hash slot as `key`: its hash tag, or the whole key when it has none."""
    start = key.find("{")
    end = key.find("}", start + 1)
    tag = key[start + 1 : end] if start != -1 and end > start + 1 else key
    return f"{{{tag}}}:{REPLICATION_MARK}"


async def wait_for_replicas(client: aioredis.Redis, node: ClusterNode, key: str) -> None:
    """Return once the cluster client's `replicas` replicas of `node` hold everything `node`
    had written when this was called; NotReplicated when fewer do within WAIT_TIMEOUT_MS, or
    when `node` cannot be asked (dead, or no longer the master of `key`'s slot)."""
    wanted = replicas(client)
    mark = PipelineCommand(0, "SET", _mark_beside(key), "1", "PX", 60_000)
    wait = PipelineCommand(1, "WAIT", wanted, WAIT_TIMEOUT_MS)
    try:
        # One connection, no retries: WAIT sent again on another connection would count
        # none of the writes of this one (see the module's paragraph on clusters).
        await asyncio.shield(node.execute_pipeline([mark, wait]))
    except (RedisError, OSError) as error:
        raise NotReplicated(f"{node.name} could not be asked for its replicas: {error}") from None
    for command in (mark, wait):
        if isinstance(command.result, BaseException):
            raise NotReplicated(f"{node.name} refused {command.args[0]}: {command.result}")
    if not isinstance(wait.result, int) or wait.result < wanted:
        raise NotReplicated(f"{wait.result} of {wanted} replicas of {node.name} hold the write")


def reconnects(client: aioredis.Redis) -> int:
    """How many times a connection of our own is tried again before its callers are told
    Redis is gone: long enough to outlast a Sentinel failover where there is one."""
    sentinel = isinstance(getattr(client, "connection_pool", None), SentinelConnectionPool)
    return SENTINEL_RETRIES if sentinel else RETRIES


async def master_address(client: aioredis.Redis) -> tuple[str, int] | None:
    """Where the master is now, for a connection of our own (`autopipeline`); None when
    the client's own settings say it (a single Redis)."""
    pool = getattr(client, "connection_pool", None)
    if isinstance(pool, SentinelConnectionPool):
        host, port = await pool.get_master_address()  # type: ignore[no-untyped-call]
        return str(host), int(port)
    return None


CLUSTER_IDLE_S = 0.05  # how long a cluster read over many streams waits when all were empty


async def read_group(
    client: aioredis.Redis,
    group: str,
    consumer: str,
    streams: dict[Any, Any],
    count: int,
    block: int | None = None,
    noack: bool = False,
) -> Any:
    """XREADGROUP over `streams`, as one call on a single Redis. A cluster refuses one call
    over streams in several slots (CROSSSLOT), so there each stream is read on its own,
    without blocking, and the replies are joined (a map of stream -> entries under RESP3, a
    list of [stream, entries] under RESP2); when every stream was empty it waits a little
    (at most `block` ms) before answering, as a blocked read would have."""
    if not is_cluster(client):
        return await client.xreadgroup(
            group, consumer, streams, count=count, block=block, noack=noack
        )
    joined: dict[Any, Any] = {}
    pairs: list[Any] = []
    for name, start in streams.items():
        one: dict[Any, Any] = {name: start}
        reply = await client.xreadgroup(group, consumer, one, count=count, noack=noack)
        if isinstance(reply, dict):
            joined.update({key: value for key, value in reply.items() if value})
        elif reply:
            pairs.extend(reply)
    if not joined and not pairs and block is not None:
        await asyncio.sleep(min(block / 1000, CLUSTER_IDLE_S) if block else CLUSTER_IDLE_S)
    return joined or pairs
