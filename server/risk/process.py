"""The risk monitor in a child process of its own: its start, its stop, its restarts.

Why a process: the monitor reads every stake off the event stream, and with the rules,
the features' round trips and the decoding that is CPU per bet the server process, which
serves the WebSockets, is better without (the flusher's child is there for the same
reason: server/money/journal/flusher_process.py). The child runs the same `Monitor` as a
member of the consumer group `risk` under the parent's consumer name, so a replacement
child first evaluates what its predecessor read and never acknowledged, and the group's
offset in Redis makes it resume where the group left off.

What the child may not do is change an account: that belongs to accounts, in the server
process. A hit whose action restricts or locks the account is evaluated, written as an
alert and audited in the child, and its status change goes to the parent as a report
(`Act`); the parent sets the status (which ends the player's sessions) and pushes the
`forced_logout`, in that order, so a reconnecting player meets the new status. The child
also reports what it evaluated after each batch (`Evaluated`), which the parent adds up in
`counters` for `run.py bench`. How parent and child talk (settings on stdin, reports on
stdout, death with the parent) is the kit's, `server/child_process.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import msgspec
import redis.asyncio as aioredis

from server import child_process
from server.child_process import Basics, ChildProcess, NotStarted, Ready, Reporter
from server.config import Settings
from server.events import push
from server.events.consumer import BATCH
from server.observability import metrics
from server.risk import alerts, geoip, policy
from server.risk.alerts import AccountStatus, Alert
from server.risk.monitor import Counters, Monitor

MODULE = "server.risk.process"
NAME = "risk monitor process"  # in its log lines, which tests and operators look for
log = logging.getLogger(MODULE)  # by name: in the child, run with -m, __name__ is "__main__"


class MonitorSettings(msgspec.Struct, frozen=True):
    basics: Basics
    policy_file: str
    geoip_file: str
    consumer: str


class Act(msgspec.Struct, frozen=True, tag="act"):
    """Set the player's status (restricted, disabled) for an alert, then end their play."""

    player_id: int
    status: str
    reason: str


class Evaluated(msgspec.Struct, frozen=True, tag="evaluated"):
    """One batch's work: events read, rules evaluated, hits, alerts and their lags (ms)."""

    events: int
    evaluated: int
    hits: int
    alerts: int
    rules_hit: dict[str, int]
    lags_ms: list[int]


Report = Ready | Act | Evaluated


class MonitorNotStarted(NotStarted):
    pass


# -- the parent's side -------------------------------------------------------------------------
class MonitorProcess(ChildProcess[MonitorSettings, Report]):
    """One risk monitor child for this server process, replaced whenever it dies until
    `stop`. `counters` adds up what every child evaluated."""

    def __init__(
        self, settings: Settings, consumer: str, set_status: AccountStatus, client: aioredis.Redis
    ) -> None:
        # Read now, in the parent: a bad policy or GeoIP file stops the start-up here.
        policy.load(settings.risk_policy_file)
        geoip.load(settings.geoip_file)
        self.set_status = set_status
        self.client = client
        self.counters = Counters()
        super().__init__(
            module=MODULE,
            name=NAME,
            settings=MonitorSettings(
                basics=Basics.of(settings),
                policy_file=settings.risk_policy_file,
                geoip_file=settings.geoip_file,
                consumer=consumer,
            ),
            reports=Report,
            handle=self._take,
            not_started=MonitorNotStarted,
        )

    async def _take(self, report: Report) -> None:
        if isinstance(report, Act):
            await self._act(report)
        elif isinstance(report, Evaluated):
            self._count(report)

    async def _act(self, report: Act) -> None:
        try:
            await self.set_status(report.player_id, report.status, report.reason)
            await push.publish(
                self.client, report.player_id, {"type": "forced_logout", "reason": "risk"}
            )
        except Exception:  # the alert stands, and staff see it: log, keep relaying
            log.exception("risk action on player %d failed", report.player_id)

    def _count(self, report: Evaluated) -> None:
        metrics.record_risk(
            report.events, report.evaluated, report.rules_hit, report.alerts, report.lags_ms
        )
        counters = self.counters
        counters.events += report.events
        counters.evaluated += report.evaluated
        counters.hits += report.hits
        counters.alerts += report.alerts
        counters.rules_hit.update(report.rules_hit)
        counters.lags_ms.extend(report.lags_ms)


# -- the child's side --------------------------------------------------------------------------
def _evaluated(reporter: Reporter) -> Callable[[Counters], None]:
    def report(batch: Counters) -> None:
        reporter.send(
            Evaluated(
                batch.events, batch.evaluated, batch.hits, batch.alerts, dict(batch.rules_hit),
                list(batch.lags_ms),
            )
        )  # fmt: skip

    return report


def _action(reporter: Reporter) -> Callable[[Alert], Awaitable[None]]:
    async def act(alert: Alert) -> None:
        status = alerts.STATUS_OF.get(alert.action)
        if status is not None:
            reporter.send(Act(alert.player_id, status, f"risk:{alert.rule}"))

    return act


async def serve(settings: MonitorSettings, reporter: Reporter) -> None:
    async with child_process.stores(settings.basics) as (client, db):
        monitor = Monitor(
            client, db, policy.load(settings.policy_file), geoip.load(settings.geoip_file),
            name=settings.consumer, apply=_action(reporter), on_batch=_evaluated(reporter),
        )  # fmt: skip
        reporter.ready()
        await monitor.join()
        # What a predecessor of this name read and never acknowledged, first.
        while entries := await monitor.consumer.read_own_pending(BATCH):
            await monitor.process(entries)
        await monitor.run()


def main() -> None:
    child_process.run_child(MODULE, NAME, MonitorSettings, serve)


if __name__ == "__main__":
    main()
