"""The risk monitor: the consumer group `risk` on every shard's event stream, running the
rules on each event and raising the alerts their hits call for.

Each server process runs one member (`run`); Redis hands each event to one of them. A batch
(up to `BATCH` entries per shard) goes through four steps, then is acknowledged:
1. GeoIP places the logins' addresses (in memory, server/risk/geoip.py);
2. the features take the batch's events and answer what the rules need, in one pipelined
   round trip (server/risk/features.py);
3. the logins' signals (address, country, device id, user agent) are recorded in
   `login_signals`, the rules run (pure, server/risk/rules.py);
4. a linking hit (multi-accounting) joins its accounts into a cluster
   (server/risk/clusters.py); each hit raises an alert and applies its action
   (server/risk/alerts.py).
Delivery is at least once: a member that dies mid-batch leaves its entries pending, and a
member reclaims entries idle for `RECLAIM_IDLE_MS` (its predecessor's after a restart
included); the group's offset in Redis makes a restarted member resume where the group
left off. Processing an event twice is harmless: the features are idempotent by event id,
a login's signals are keyed by it, and an open alert per player and rule is unique.

Why in the server process and not the flusher's child, as the balance pushes are: a hit's
action goes through accounts (`set_status`, which ends what the player's access opened
elsewhere) and the audit trail, which the server process holds and money's child must not
import (a lower floor never imports a domain). The work per event is small (a pipelined
round trip per batch, and SQL only for logins and hits), and `rules_evaluated` counts it
for `run.py bench`.
"""

from __future__ import annotations

import logging
import os
import socket
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import redis.asyncio as aioredis

from server.events.catalogue import Event, LoggedInV2
from server.events.consumer import BATCH, Consumer
from server.events.stream import Entry
from server.risk import alerts, clusters, features, rules
from server.risk.alerts import AccountStatus, Alert
from server.risk.geoip import UNKNOWN, GeoIp, NoGeoIp, Place
from server.risk.policy import Policy
from server.storage.database import Database

log = logging.getLogger(__name__)

GROUP = "risk"
LAGS_KEPT = 10_000


@dataclass
class Counters:
    """What the monitor did since it started: for `run.py bench` and the tests."""

    events: int = 0
    evaluated: int = 0  # rules evaluated (events the rules read x enabled rules)
    hits: int = 0
    rules_hit: Counter[str] = field(default_factory=Counter)  # hits per rule
    alerts: int = 0
    # event to alert, per raised alert (the latest LAGS_KEPT)
    lags_ms: deque[int] = field(default_factory=lambda: deque(maxlen=LAGS_KEPT))


class Monitor:
    def __init__(
        self,
        client: aioredis.Redis,
        db: Database,
        policy: Policy,
        geoip: GeoIp | NoGeoIp,
        set_status: AccountStatus | None = None,
        name: str | None = None,
    ) -> None:
        self.client = client
        self.db = db
        self.policy = policy
        self.geoip = geoip
        self.set_status = set_status
        self.features = features.Features(client, policy)
        self.consumer = Consumer(client, GROUP, name or f"{socket.gethostname()}-{os.getpid()}")
        self.counters = Counters()
        self._enabled = sum(1 for settings in policy.rules.values() if settings.enabled)

    async def join(self, start: str = "$") -> None:
        await self.consumer.join(start)

    async def run(self) -> None:
        """Monitor until cancelled; a failure (Redis or the database away) is retried."""
        await self.consumer.serve(self.process, "risk monitor", "$")

    async def once(self, block_ms: int | None = None) -> list[Alert]:
        """Read one batch, process and acknowledge it; the alerts it raised."""
        return await self.process(await self.consumer.read(BATCH, block_ms))

    async def process(self, entries: Sequence[Entry]) -> list[Alert]:
        if not entries:
            return []
        raised = await self.evaluate([entry.event for entry in entries])
        await self.consumer.ack(entries)
        return raised

    async def evaluate(self, events: Sequence[Event]) -> list[Alert]:
        """Run the rules on `events` (in stream order per player) and raise their hits."""
        wanted = [event for event in events if features.relevant(event)]
        self.counters.events += len(events)
        if not wanted:
            return []
        placed = [(event, self._place(event)) for event in wanted]
        facts = await self.features.update(placed)
        await self._record_logins(placed)
        hits = [hit for event, found in facts for hit in rules.evaluate(self.policy, event, found)]
        self.counters.evaluated += len(wanted) * self._enabled
        self.counters.hits += len(hits)
        self.counters.rules_hit.update(hit.rule for hit in hits)
        raised: list[Alert] = []
        at_of = {event.id: event.at_ms for event in wanted}
        for hit in hits:
            if hit.rule in rules.LINKING:  # the accounts join a cluster the alert names
                hit = replace(hit, evidence=await clusters.join(self.db, hit))
            alert = await alerts.raise_alert(self.db, hit)
            if alert is None:
                continue
            raised.append(alert)
            self.counters.alerts += 1
            self.counters.lags_ms.append(max(0, alert.raised_at - at_of[hit.event_ids[-1]]))
            log.info("risk alert %d: %s on player %d", alert.id, alert.rule, alert.player_id)
            await alerts.apply_action(alert, self.set_status, self.client)
        return raised

    def _place(self, event: Event) -> Place:
        if isinstance(event, LoggedInV2):
            return self.geoip.place(event.address)
        return UNKNOWN

    async def _record_logins(self, placed: Sequence[tuple[Event, Place]]) -> None:
        logins = [(e, p) for e, p in placed if isinstance(e, LoggedInV2)]
        if not logins:
            return
        async with self.db.transaction() as tx:
            for event, place in logins:
                assert isinstance(event, LoggedInV2)
                await tx.execute(
                    "INSERT INTO login_signals (event_id, player_id, at_ms, outcome, address,"
                    " country, device_id, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (event_id) DO NOTHING",
                    (
                        event.id, event.player_id, event.at_ms, event.outcome, event.address,
                        place.country, event.device_id, event.user_agent,
                    ),
                )  # fmt: skip
