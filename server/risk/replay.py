"""Replaying a recorded event log through the risk rules, to tune a threshold before
switching it on: what each rule would have flagged, with nothing changed anywhere.

The log is JSON lines, one event each in the catalogue's encoding (`run.py events-export`
writes one from a deployment's streams). The rules run as the monitor runs them, in the
log's order and in batches, against features in a private redis-server and alerts in a
scratch SQLite file, both in a temporary directory that is removed afterwards: the
deployment's Redis, database and accounts are never opened. No account is restricted
(there is no `set_status`), and a hit's push goes to the private Redis, which nobody
reads. The rules read the event's own time, never the clock, so a replay of one log with
one policy always gives the same hits.

A rule raises at most one open alert per player (as live), so the report counts both: the
hits (every event a rule fired on) and the alerts (players flagged).
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis.asyncio as aioredis

from server.events.catalogue import Event, MalformedEvent, UnknownEvent, decode
from server.events.consumer import BATCH
from server.risk.alerts import Alert
from server.risk.geoip import GeoIp, NoGeoIp
from server.risk.monitor import Monitor
from server.risk.policy import Policy
from server.storage.database import Database
from server.storage.redis_child import RedisChild


class LogError(ValueError):
    """A line of the log that is not an event this code reads (its number and why)."""


def read_log(lines: Iterable[str]) -> Iterator[Event]:
    """The events of a JSON-lines log, in order; blank lines are skipped."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield decode(line.strip())
        except (UnknownEvent, MalformedEvent) as error:
            raise LogError(f"line {number}: {error}") from None


@dataclass
class Report:
    events: int = 0
    hits: Counter[str] = field(default_factory=Counter)
    alerts: list[Alert] = field(default_factory=list)

    def lines(self, rules: Iterable[str]) -> list[str]:
        """The report as text: a line per rule (hits, players flagged), then each alert."""
        flagged = Counter(alert.rule for alert in self.alerts)
        out = [f"{self.events} events replayed", f"{'rule':<20} {'hits':>6} {'players':>8}"]
        out += [f"{rule:<20} {self.hits[rule]:>6} {flagged[rule]:>8}" for rule in rules]
        for alert in self.alerts:
            out.append(
                f"player {alert.player_id}: {alert.rule} ({alert.severity}, {alert.action})"
                f" at {alert.event_ids[-1]}: {json.dumps(alert.evidence, sort_keys=True)}"
            )
        return out


async def replay(events: Iterable[Event], policy: Policy, geoip: GeoIp | NoGeoIp) -> Report:
    """Run the enabled rules over `events`; what they would have flagged."""
    report = Report()
    with tempfile.TemporaryDirectory(prefix="risk-replay-") as scratch:
        redis = RedisChild(Path(scratch) / "redis", appendfsync="no")
        redis.start()
        client = aioredis.from_url(redis.url)
        db = Database(Path(scratch) / "replay.db")
        try:
            await db.open()
            monitor = Monitor(client, db, policy, geoip, None, name="replay")
            batch: list[Event] = []
            for event in events:
                batch.append(event)
                if len(batch) >= BATCH:
                    await _evaluate(monitor, batch, report)
            await _evaluate(monitor, batch, report)
        finally:
            await db.close()
            await client.aclose()
            redis.stop()
    return report


async def _evaluate(monitor: Monitor, batch: list[Event], report: Report) -> None:
    if not batch:
        return
    report.events += len(batch)
    report.alerts += await monitor.evaluate(batch)
    report.hits = Counter(monitor.counters.rules_hit)
    batch.clear()
