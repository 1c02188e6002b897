"""The bet path's metric updates, added up in plain numbers and written in bulk.

Under `run.py serve --workers N` prometheus-client keeps every value in an mmap-backed
file, so one update takes a lock and writes the file; a bet made about seven of them
(bets, amounts, wins, the request's latency histogram, the flusher's lag per round),
which cost the workers a few per cent of their CPU. Here an update is a dict addition,
and `apply` writes what gathered, one update per metric child, a few times a second and
before a scrape is answered. Only the bet path's metrics come here; one process alone
keeps writing straight through, its values being plain floats behind a mutex.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any


class Deferred:
    __slots__ = ("buckets", "counts", "sums")

    def __init__(self) -> None:
        self.counts: dict[Any, float] = {}  # counter child -> amount to add
        self.buckets: dict[tuple[Any, int], int] = {}  # (histogram child, bucket) -> count
        self.sums: dict[Any, float] = {}  # histogram child -> sum of its observations

    def inc(self, child: Any, amount: float = 1.0) -> None:
        self.counts[child] = self.counts.get(child, 0.0) + amount

    def observe(self, child: Any, value: float) -> None:
        # The bucket prometheus-client's observe() counts: the first bound >= value.
        key = (child, bisect_left(child._upper_bounds, value))
        self.buckets[key] = self.buckets.get(key, 0) + 1
        self.sums[child] = self.sums.get(child, 0.0) + value

    def apply(self) -> None:
        """Write what gathered since the last call."""
        counts, buckets, sums = self.counts, self.buckets, self.sums
        self.counts, self.buckets, self.sums = {}, {}, {}
        for child, amount in counts.items():
            child.inc(amount)
        for (child, index), count in buckets.items():
            child._buckets[index].inc(count)
        for child, total in sums.items():
            child._sum.inc(total)
