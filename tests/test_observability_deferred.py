"""Deferred metric updates: applied in bulk, they leave exactly what direct updates leave."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from server.observability.deferred import Deferred

BOUNDS = (0.001, 0.01, 0.1, 1.0)
OBSERVED = (0.0005, 0.001, 0.002, 0.05, 0.1, 0.7, 3.0, 0.05)


def samples(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for metric in registry.collect()
        for s in metric.samples
        if not s.name.endswith("_created")  # when the child was made, not what it counted
    }


def metrics(registry: CollectorRegistry) -> tuple[Counter, Histogram]:
    counter = Counter("bets", "bets", ["game"], registry=registry)
    histogram = Histogram("latency_seconds", "latency", ["kind"], buckets=BOUNDS, registry=registry)
    return counter, histogram


def test_applied_updates_equal_direct_ones() -> None:
    direct, deferred_registry = CollectorRegistry(), CollectorRegistry()
    counter, histogram = metrics(direct)
    for value in OBSERVED:
        counter.labels("slot").inc(2)
        histogram.labels("spin").observe(value)
    counter2, histogram2 = metrics(deferred_registry)
    deferred = Deferred()
    for value in OBSERVED:
        deferred.inc(counter2.labels("slot"), 2)
        deferred.observe(histogram2.labels("spin"), value)
    deferred.apply()
    assert samples(deferred_registry) == samples(direct)


def test_nothing_shows_until_applied_and_nothing_is_applied_twice() -> None:
    registry = CollectorRegistry()
    counter, _ = metrics(registry)
    deferred = Deferred()
    deferred.inc(counter.labels("slot"), 5)
    assert samples(registry)[("bets_total", (("game", "slot"),))] == 0.0
    deferred.apply()
    deferred.apply()
    assert samples(registry)[("bets_total", (("game", "slot"),))] == 5.0
