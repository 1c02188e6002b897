"""How every part of the server connects to Redis.

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
"""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import BusyLoadingError, ConnectionError, TimeoutError

RETRIES = 8  # about 2.5 s of backoff in all: longer than a restart from AOF takes here
MAX_CONNECTIONS = 100
POOL_WAIT_S = 5.0


def connect(url: str) -> aioredis.Redis:
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=POOL_WAIT_S,
        decode_responses=True,
        protocol=3,
        retry=Retry(ExponentialWithJitterBackoff(base=0.02, cap=0.5), RETRIES),
        retry_on_error=[ConnectionError, TimeoutError, BusyLoadingError],
        health_check_interval=30,
        socket_connect_timeout=2,
    )
    return aioredis.Redis.from_pool(pool)  # the client owns the pool: aclose() closes it
