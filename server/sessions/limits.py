"""Per-connection limits: a token bucket for the request rate, and a count of violations
after which the socket is closed. Pure: the clock is passed in."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class TokenBucket:
    rate: float  # tokens added per second
    burst: float  # the most tokens the bucket holds
    tokens: float = field(init=False)
    updated: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self.tokens = self.burst

    def take(self, now: float) -> bool:
        """Spend one token if there is one; False means the request is over the rate."""
        if self.updated:
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass(slots=True)
class Violations:
    limit: int
    count: int = 0

    def add(self) -> bool:
        """Record one refused frame; True once the connection should be closed."""
        self.count += 1
        return self.count >= self.limit
