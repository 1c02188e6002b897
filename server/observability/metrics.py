"""Prometheus metrics: their definitions, the one-line recorders the domains call, `/metrics`.

Counters and histograms are recorded where things happen (a round settles, a
batch commits, a reservation expires); what lives in Redis (stream length,
flusher lag, pending reservations) is read at scrape time instead, so every
process reports the same truth. Recorders never raise: a metric must not be
able to fail a bet.

With `run.py serve --workers N` each worker records into prometheus-client's
multiprocess files (`PROMETHEUS_MULTIPROC_DIR`, set by `run.py serve`), and
whichever worker answers a scrape reports the sum over all of them. Label
values come from closed sets (game ids, currencies, message types, error and
status codes, registered provider ids), never from what a client sends.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.observability import backlog
from server.observability.backlog import Backlog
from server.observability.deferred import Deferred
from server.storage.database import DatabaseError

if TYPE_CHECKING:
    from server.context import Services


# The *_created series double the output and no dashboard of ours reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Chosen as the process starts, as prometheus-client chooses its value class.
MULTIPROCESS = MULTIPROCESS_ENV in os.environ

if MULTIPROCESS:
    # In multiprocess mode prometheus-client asks os.getpid() on every inc and observe, to
    # notice a fork; that is a system call each time, and it was about 9 % of a worker's
    # CPU under the bench. Our workers are spawned (a fresh interpreter: this module runs
    # again in each), and nothing forks one without exec, so the pid is read once. A
    # worker ever made by a bare fork would need the default back.
    _PID = os.getpid()
    values.ValueClass = values.MultiProcessValue(process_identifier=lambda: _PID)  # type: ignore[no-untyped-call]

SCRAPE_TIMEOUT_S = 1.0
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
LAG_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

# -- play ------------------------------------------------------------------------------------
BETS = Counter("casino_bets", "Rounds settled, by game and currency.", ["game", "currency"])
BET_AMOUNT = Counter(
    "casino_bet_amount",
    "Stakes of settled rounds, in minor units of the currency.",
    ["game", "currency"],
)
WINS = Counter("casino_wins", "Settled rounds that paid out.", ["game", "currency"])
WIN_AMOUNT = Counter(
    "casino_win_amount", "Payouts of settled rounds, in minor units.", ["game", "currency"]
)

# -- sessions and requests -------------------------------------------------------------------
SESSIONS_OPEN = Gauge(
    "casino_sessions_open",
    "Authenticated WebSocket sessions open (all workers).",
    multiprocess_mode="livesum",
)
WS_REQUEST_SECONDS = Histogram(
    "casino_ws_request_seconds",
    "Time to answer a WebSocket request, by message type.",
    ["type"],
    buckets=LATENCY_BUCKETS,
)
WS_ERRORS = Counter(
    "casino_ws_errors", "WebSocket requests answered with an error, by code.", ["type", "code"]
)
HTTP_REQUEST_SECONDS = Histogram(
    "casino_http_request_seconds",
    "Time to answer an HTTP request, by route template, method and status.",
    ["route", "method", "status"],
    buckets=LATENCY_BUCKETS,
)

# -- reservations, stream and flusher --------------------------------------------------------
RESERVATIONS_EXPIRED = Counter(
    "casino_reservations_expired", "Reservations the sweeper voided because nobody settled them."
)
ROUNDS_COMPLETED_BY_SERVER = Counter(
    "casino_rounds_completed_by_server",
    "Abandoned multi-step rounds the sweeper finished with the default action.",
)
FLUSHER_LAG = Histogram(
    "casino_flusher_lag_seconds",
    "Time from a round's settlement in Redis to its commit in the database.",
    buckets=LAG_BUCKETS,
)
FLUSHER_ENTRIES = Counter("casino_flusher_entries", "Stream entries committed to the database.")
FLUSHER_ROUNDS_WRITTEN = Counter(
    "casino_flusher_rounds_written", "Stream entries that were new to the database when written."
)
FLUSHER_ERRORS = Counter(
    "casino_flusher_errors", "Flusher attempts that failed and will be retried.", ["error"]
)
FLUSHER_DEAD_LETTERS = Counter(
    "casino_flusher_dead_letters",
    "Stream entries the database refused for their content, moved to {s:K}:journal:dead.",
    ["kind"],
)

# -- fraud monitor (counted by its child process, recorded here by the server) --------------
RISK_EVENTS = Counter("casino_risk_events", "Events the fraud monitor read.")
RISK_RULES_EVALUATED = Counter(
    "casino_risk_rules_evaluated", "Rules the fraud monitor evaluated (events read x rules on)."
)
RISK_HITS = Counter("casino_risk_hits", "Fraud rule hits, by rule.", ["rule"])
RISK_ALERTS = Counter("casino_risk_alerts", "Fraud alerts raised.")
RISK_ALERT_LAG = Histogram(
    "casino_risk_alert_lag_seconds",
    "Time from an event (its own at_ms) to the alert its hit raised or found standing.",
    buckets=(0.005, *LAG_BUCKETS),
)

# -- backends, providers, payments -----------------------------------------------------------
REDIS_ERRORS = Counter("casino_redis_errors", "Redis errors, by component.", ["component"])
DATABASE_ERRORS = Counter("casino_database_errors", "Database errors, by component.", ["component"])
PROVIDER_CALLS = Counter(
    "casino_provider_calls",
    "Provider wallet API calls, by provider and status.",
    ["provider", "status"],
)
PAYMENTS = Counter(
    "casino_payments",
    "Payments by kind, gateway, currency and state.",
    ["kind", "gateway", "currency", "state"],
)
PAYMENT_AMOUNT = Counter(
    "casino_payment_amount",
    "Payment amounts in minor units, by kind, gateway, currency and state.",
    ["kind", "gateway", "currency", "state"],
)


# -- recorders: one line at each call site -----------------------------------------------------
# The labelled children of the per-bet metrics, looked up once per label set: `labels()`
# takes a lock and builds a key on every call, which every bet would pay four times.
_ROUND_CHILDREN: dict[tuple[str, str], tuple[Any, Any, Any, Any]] = {}
_WS_CHILDREN: dict[str, Any] = {}


# With --workers the bet path's updates gather here and are written in bulk (`deferred`).
DEFERRED = Deferred() if MULTIPROCESS else None
APPLY_EVERY_S = 0.25


def _inc(child: Any, amount: float = 1.0) -> None:
    if DEFERRED is None:
        child.inc(amount)
    else:
        DEFERRED.inc(child, amount)


def _observe(child: Any, value: float) -> None:
    if DEFERRED is None:
        child.observe(value)
    else:
        DEFERRED.observe(child, value)


def apply_deferred() -> None:
    if DEFERRED is not None:
        DEFERRED.apply()


async def apply_deferred_forever() -> None:
    """Write the gathered updates a few times a second, until cancelled (then once more)."""
    try:
        while True:
            await asyncio.sleep(APPLY_EVERY_S)
            apply_deferred()
    finally:
        apply_deferred()


def record_round(game: str, currency: str, stake: int, payout: int) -> None:
    children = _ROUND_CHILDREN.get((game, currency))
    if children is None:
        children = _ROUND_CHILDREN[game, currency] = (
            BETS.labels(game, currency),
            BET_AMOUNT.labels(game, currency),
            WINS.labels(game, currency),
            WIN_AMOUNT.labels(game, currency),
        )
    bets, bet_amount, wins, win_amount = children
    _inc(bets)
    _inc(bet_amount, stake)
    if payout > 0:
        _inc(wins)
        _inc(win_amount, payout)


def record_ws_request(kind: str, seconds: float, error_code: str | None) -> None:
    child = _WS_CHILDREN.get(kind)
    if child is None:
        child = _WS_CHILDREN[kind] = WS_REQUEST_SECONDS.labels(kind)
    _observe(child, seconds)
    if error_code is not None:
        WS_ERRORS.labels(kind, error_code).inc()
        if error_code == "SERVICE_UNAVAILABLE":  # what a Redis failure answers
            REDIS_ERRORS.labels("ws").inc()


def record_http_request(route: str, method: str, status: int, seconds: float) -> None:
    HTTP_REQUEST_SECONDS.labels(route, method, str(status)).observe(seconds)


def record_flush(entries: Sequence[tuple[str, Mapping[str, str]]], written: int) -> None:
    """A batch was committed: how long each entry waited since it settled, and counts."""
    lags = flush_lags_ms(entries)
    if _flusher_forwarding is not None:
        _flusher_forwarding.flushed(len(entries), written, lags)
        return
    record_flushed(len(entries), written, lags)


def flush_lags_ms(entries: Sequence[tuple[str, Mapping[str, str]]]) -> list[int]:
    """Milliseconds from each entry's settlement to now (entries without a time are left out)."""
    now_ms = time.time_ns() // 10**6
    lags = []
    for entry_id, fields in entries:
        try:
            # settle/void entries carry settled_at, provider entries created_at; both are
            # Redis's clock, as is the stream id (the XADD time) used when neither is there.
            stamp = fields.get("settled_at") or fields.get("created_at") or entry_id.split("-")[0]
            settled = int(stamp)
        except ValueError:
            continue
        lags.append(max(0, now_ms - settled))
    return lags


def record_flushed(entries: int, written: int, lags_ms: Sequence[int]) -> None:
    """A committed batch's figures, measured here or forwarded by the flusher's process."""
    for lag_ms in lags_ms:
        _observe(FLUSHER_LAG, lag_ms / 1000)
    _inc(FLUSHER_ENTRIES, entries)
    _inc(FLUSHER_ROUNDS_WRITTEN, written)


def record_risk(
    events: int, evaluated: int, hits: Mapping[str, int], alerts: int, lags_ms: Sequence[int]
) -> None:
    """One batch of the fraud monitor's work, forwarded by its process."""
    _inc(RISK_EVENTS, events)
    _inc(RISK_RULES_EVALUATED, evaluated)
    for rule, count in hits.items():
        _inc(RISK_HITS.labels(rule), count)
    _inc(RISK_ALERTS, alerts)
    for lag_ms in lags_ms:
        _observe(RISK_ALERT_LAG, lag_ms / 1000)


def record_flusher_error(error: BaseException) -> None:
    if _flusher_forwarding is not None:
        _flusher_forwarding.failed(type(error).__name__, backend_of(error))
        return
    record_flusher_failure(type(error).__name__, backend_of(error))


def record_flusher_failure(error: str, backend: str | None) -> None:
    """A failed flusher attempt by its exception's name and backend ("redis", "database")."""
    FLUSHER_ERRORS.labels(error).inc()
    if backend == "redis":
        REDIS_ERRORS.labels("flusher").inc()
    elif backend == "database":
        DATABASE_ERRORS.labels("flusher").inc()


def record_dead_letter(kind: str) -> None:
    if _flusher_forwarding is not None:
        _flusher_forwarding.dead_letter(kind)
        return
    FLUSHER_DEAD_LETTERS.labels(kind if kind.isidentifier() else "malformed").inc()


class FlusherForwarding(Protocol):
    """Where the flusher's recorders send their figures in a process nobody scrapes: the
    flusher's own child process hands them to its parent, which records them."""

    def flushed(self, entries: int, written: int, lags_ms: list[int]) -> None: ...

    def failed(self, error: str, backend: str | None) -> None: ...

    def dead_letter(self, kind: str) -> None: ...


_flusher_forwarding: FlusherForwarding | None = None


def forward_flusher_metrics(to: FlusherForwarding | None) -> None:
    """From now on the flusher's recorders forward to `to` (None: record here again)."""
    global _flusher_forwarding
    _flusher_forwarding = to


def backend_of(error: BaseException) -> str | None:
    if isinstance(error, RedisError):
        return "redis"
    if isinstance(error, DatabaseError):
        return "database"
    return None


def record_backend_error(component: str, error: BaseException) -> None:
    """Count a Redis or database error; other exceptions are not backend errors."""
    if isinstance(error, RedisError):
        REDIS_ERRORS.labels(component).inc()
    elif isinstance(error, DatabaseError):
        DATABASE_ERRORS.labels(component).inc()


def record_provider_call(provider_id: str | None, status: str) -> None:
    # An unregistered X-Provider-Id is the caller's text: never a label value.
    PROVIDER_CALLS.labels(provider_id or "unknown", str(status)).inc()


def record_payment(kind: str, gateway: str, currency: str, amount: int, state: str) -> None:
    PAYMENTS.labels(kind, gateway, currency, state).inc()
    PAYMENT_AMOUNT.labels(kind, gateway, currency, state).inc(amount)


# -- scrape ------------------------------------------------------------------------------------
class _Snapshot(Collector):
    """Gauges read from Redis and the database at scrape time."""

    def __init__(self, found: Backlog | None, database_up: bool) -> None:
        self.found = found
        self.database_up = database_up

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "casino_backend_up", "1 when the backend answered this scrape.", labels=["backend"]
        )
        up.add_metric(["redis"], 1.0 if self.found is not None else 0.0)
        up.add_metric(["database"], 1.0 if self.database_up else 0.0)
        yield up
        if self.found is None:
            return
        found = self.found
        yield GaugeMetricFamily(
            "casino_stream_length",
            "Settled rounds and provider movements in Redis not yet in the database.",
            value=found.stream_length,
        )
        yield GaugeMetricFamily(
            "casino_stream_oldest_age_seconds",
            "Age of the oldest unflushed stream entry: the flusher's current lag.",
            value=found.oldest_age_s,
        )
        yield GaugeMetricFamily(
            "casino_reservations_pending",
            "Stakes held in Redis and not yet settled or voided (incl. hands awaiting a move).",
            value=found.reservations_pending,
        )
        yield GaugeMetricFamily(
            "casino_reservations_past_due",
            "Pending reservations past their due time (the sweeper resolves them each second).",
            value=found.reservations_past_due,
        )
        yield GaugeMetricFamily(
            "casino_stream_dead_letters",
            "Stream entries the database refused, waiting in {s:K}:journal:dead for an operator.",
            value=found.dead_letters,
        )


async def _snapshot(services: Services) -> _Snapshot:
    found: Backlog | None = None
    try:
        async with asyncio.timeout(SCRAPE_TIMEOUT_S):
            found = await backlog.measure(services.redis, services.backlog_keys)
    except Exception as error:
        record_backend_error("metrics", error)
    try:
        async with asyncio.timeout(SCRAPE_TIMEOUT_S):
            await services.db.fetchone("SELECT 1")
        database_up = True
    except Exception as error:
        record_backend_error("metrics", error)
        database_up = False
    return _Snapshot(found, database_up)


def _recorded() -> CollectorRegistry:
    """What this process (or, with workers, every worker) recorded."""
    if MULTIPROCESS_ENV not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def _authorised(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


async def metrics(request: Request) -> Response:
    services: Services = request.app.state.services
    token = services.settings.metrics_token
    if token and not _authorised(request, token):
        return Response("send Authorization: Bearer <CASINO_METRICS_TOKEN>\n", 401)
    apply_deferred()  # this process's own figures, current to this moment
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(await _snapshot(services))
    body = generate_latest(_recorded()) + generate_latest(scraped)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


routes = [Route("/metrics", metrics, methods=["GET"])]


# A plain dict: server.api_docs.parts imports server.web, whose imports come back here.
OPENAPI_PATHS: dict[str, Any] = {
    "/metrics": {
        "get": {
            "operationId": "metrics",
            "summary": "Prometheus text exposition",
            "description": "With CASINO_METRICS_TOKEN set, send it as a bearer token.",
            "tags": ["Operations"],
            "responses": {
                "200": {"description": "metrics", "content": {CONTENT_TYPE_LATEST: {}}},
                "401": {
                    "description": "CASINO_METRICS_TOKEN is set and was not sent",
                    "content": {"text/plain": {}},
                },
            },
        }
    }
}
