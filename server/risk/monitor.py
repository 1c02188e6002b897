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

The server runs it in a child process of its own (server/risk/process.py), so reading
every stake costs the server process nothing; a hit's account action (`set_status`, which
belongs to accounts) goes back to the server process. `counters` count the work for
`run.py bench`.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace

import redis.asyncio as aioredis

from server.events.catalogue import Event, LoggedInV2
from server.events.consumer import BATCH, Consumer
from server.events.stream import Entry
from server.risk import alerts, clusters, features, rules
from server.risk.alerts import AccountStatus, Alert
from server.risk.geoip import UNKNOWN, GeoIp, NoGeoIp, Place
from server.risk.policy import Policy
from server.storage.database import Database, now_ms

log = logging.getLogger(__name__)

GROUP = "risk"
LAGS_KEPT = 10_000
# How long a rule's open alert on a player is taken as standing without asking the database
# again; a hit after staff resolved it within this time raises the next alert this late.
OPEN_KNOWN_S = 10.0
OPEN_KEPT = 100_000


@dataclass
class Counters:
    """What the monitor did since it started: for `run.py bench` and the tests."""

    events: int = 0
    evaluated: int = 0  # rules evaluated (events the rules read x enabled rules)
    hits: int = 0
    rules_hit: Counter[str] = field(default_factory=Counter)  # hits per rule
    alerts: int = 0
    # event to its alert (written now, or found standing), per hit (the latest LAGS_KEPT)
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
        apply: Callable[[Alert], Awaitable[None]] | None = None,
        on_batch: Callable[[Counters], None] | None = None,
    ) -> None:
        """`apply`: what a new alert's action does beyond the alert (by default
        `alerts.apply_action` with `set_status`; the monitor's own process hands it to the
        server: server/risk/process.py). `on_batch`: told what each batch counted."""
        self.client = client
        self.db = db
        self.policy = policy
        self.geoip = geoip
        self.set_status = set_status
        self.apply = apply or self._apply
        self.on_batch = on_batch
        self.features = features.Features(client, policy)
        self.consumer = Consumer(client, GROUP, name or f"{socket.gethostname()}-{os.getpid()}")
        self.counters = Counters()
        # (player, rule) -> until when (monotonic s) its open alert is taken as standing: a
        # player betting fast hits rapid_betting on every bet, and each hit would otherwise
        # cost a database transaction that finds the alert open.
        self._open: dict[tuple[int, str], float] = {}
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
        batch = Counters(events=len(events))
        try:
            return await self._evaluate(wanted, batch)
        finally:
            self._add(batch)

    async def _evaluate(self, wanted: Sequence[Event], batch: Counters) -> list[Alert]:
        if not wanted:
            return []
        placed = [(event, self._place(event)) for event in wanted]
        facts = await self.features.update(placed)
        await self._record_logins(placed)
        hits = [hit for event, found in facts for hit in rules.evaluate(self.policy, event, found)]
        batch.evaluated += len(wanted) * self._enabled
        batch.hits += len(hits)
        batch.rules_hit.update(hit.rule for hit in hits)
        raised: list[Alert] = []
        at_of = {event.id: event.at_ms for event in wanted}
        for hit in hits:
            at = at_of[hit.event_ids[-1]]
            known = (hit.player_id, hit.rule)
            linking = hit.rule in rules.LINKING
            if not linking and self._open.get(known, 0) > time.monotonic():
                batch.lags_ms.append(max(0, now_ms() - at))  # its alert stands already
                continue
            if linking:  # the accounts join a cluster the alert names
                hit = replace(hit, evidence=await clusters.join(self.db, hit))
            alert = await alerts.raise_alert(self.db, hit)
            self._known_open(known)
            if alert is None:  # the rule's alert on the player is open already
                batch.lags_ms.append(max(0, now_ms() - at))
                continue
            raised.append(alert)
            batch.alerts += 1
            batch.lags_ms.append(max(0, alert.raised_at - at))
            log.info("risk alert %d: %s on player %d", alert.id, alert.rule, alert.player_id)
            await self.apply(alert)
        return raised

    def _known_open(self, known: tuple[int, str]) -> None:
        now = time.monotonic()
        if len(self._open) >= OPEN_KEPT:
            self._open = {key: until for key, until in self._open.items() if until > now}
        self._open[known] = now + OPEN_KNOWN_S

    async def _apply(self, alert: Alert) -> None:
        await alerts.apply_action(alert, self.set_status, self.client)

    def _add(self, batch: Counters) -> None:
        counters = self.counters
        counters.events += batch.events
        counters.evaluated += batch.evaluated
        counters.hits += batch.hits
        counters.alerts += batch.alerts
        counters.rules_hit.update(batch.rules_hit)
        counters.lags_ms.extend(batch.lags_ms)
        if self.on_batch is not None and batch.events:
            self.on_batch(batch)

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
