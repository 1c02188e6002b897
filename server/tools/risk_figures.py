"""The fraud monitor's figures for `run.py bench`: rules evaluated per second, and the lag
from an event to its alert at a quantile.

Both come from the server's /metrics, which the server records from what the monitor's
child process reports (server/risk/process.py): `casino_risk_rules_evaluated_total`, and
the histogram `casino_risk_alert_lag_seconds`, observed per hit from the event's own
`at_ms` to the alert written (or found standing). A quantile of a histogram is known to
its bucket: the figure is the upper bound of the bucket that holds it. Before the second
scrape the bench waits until the group `risk` has read and acknowledged everything, so
the figures count every event of the run.
"""

from __future__ import annotations

import asyncio
import math
import time

import httpx
import redis.asyncio as aioredis
from prometheus_client.parser import text_string_to_metric_families

from server.events import stream
from server.risk.monitor import GROUP
from server.storage.redis_client import connect as connect_redis

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
EVALUATED = "casino_risk_rules_evaluated_total"
LAG = "casino_risk_alert_lag_seconds"


async def scrape(base_url: str) -> Samples | None:
    """The server's /metrics, or None when it will not answer (a token it wants)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        response = await http.get("/metrics")
    if response.status_code != 200:
        return None
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def rules_per_s(before: Samples, after: Samples, seconds: float) -> float:
    key: tuple[str, frozenset[tuple[str, str]]] = (EVALUATED, frozenset())
    return (after.get(key, 0.0) - before.get(key, 0.0)) / seconds if seconds > 0 else 0.0


def lag_quantile_ms(before: Samples, after: Samples, q: float) -> float | None:
    """The upper bound (ms) of the lag bucket holding quantile `q` (0-1) of the hits between
    the scrapes; None without hits, inf past the last bucket."""
    buckets: list[tuple[float, float]] = []
    for (name, labels), count in after.items():
        if name == f"{LAG}_bucket":
            bound = float(dict(labels)["le"])
            buckets.append((bound, count - before.get((name, labels), 0.0)))
    buckets.sort()
    total = buckets[-1][1] if buckets else 0.0
    if total <= 0:
        return None
    for bound, cumulative in buckets:
        if cumulative >= q * total:
            return bound * 1000 if not math.isinf(bound) else math.inf
    return math.inf


async def wait_caught_up(redis_url: str, timeout_s: float = 120) -> float:
    """Wait until the group `risk` has nothing unread or unacknowledged on any shard; the
    seconds that took (the monitor's backlog when the load stopped)."""
    client: aioredis.Redis = connect_redis(redis_url)
    began = time.monotonic()
    try:
        while time.monotonic() - began < timeout_s:
            if await _caught_up(client):
                break
            await asyncio.sleep(0.1)
    finally:
        await client.aclose()
    return round(time.monotonic() - began, 2)


async def _caught_up(client: aioredis.Redis) -> bool:
    for key in stream.all_keys():
        if not await client.exists(key):
            continue
        groups = [g for g in await client.xinfo_groups(key) if _text(g["name"]) == GROUP]
        if not groups:
            return False  # no member joined yet
        group = groups[0]
        if group.get("lag") not in (0, None) or int(group["pending"]):
            return False
        if group.get("lag") is None and _text(group["last-delivered-id"]) != _text(
            (await client.xinfo_stream(key))["last-generated-id"]
        ):
            return False
    return True


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
