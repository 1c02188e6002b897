"""One play session's responsible-gambling clock, pure: reality checks and the session time limit.

A session (one WebSocket) starts its clock at hello. Every `reality_every_ms` the player is
shown the time played and the net position (wins minus stakes) of this session, and no new
stake is taken until they acknowledge it; at `limit_ms` the session ends. The I/O layer
(server/sessions/connection.py) asks `hold` before each new stake, records each settled
round, and calls `due`/`acknowledge` from its timers; this record only says what holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol.errors import ErrorCode, Refused

SECOND_MS = 1000
MINUTE_MS = 60 * SECOND_MS


@dataclass(slots=True)
class SessionClock:
    started_ms: int
    reality_every_ms: int | None = None
    limit_ms: int | None = None
    net: int = 0  # payouts minus stakes of this session's settled rounds, minor units
    awaiting_ack: bool = False
    next_check_ms: int | None = None

    def __post_init__(self) -> None:
        if self.reality_every_ms is not None and self.next_check_ms is None:
            self.next_check_ms = self.started_ms + self.reality_every_ms

    def elapsed(self, now_ms: int) -> int:
        return now_ms - self.started_ms

    def due(self, now_ms: int) -> bool:
        """Is a reality check due now? If so it is shown from now until acknowledged."""
        if self.next_check_ms is None or self.awaiting_ack or now_ms < self.next_check_ms:
            return False
        self.awaiting_ack = True
        return True

    def acknowledge(self, now_ms: int) -> None:
        self.awaiting_ack = False
        if self.reality_every_ms is not None:
            self.next_check_ms = now_ms + self.reality_every_ms

    def ended(self, now_ms: int) -> bool:
        return self.limit_ms is not None and self.elapsed(now_ms) >= self.limit_ms

    def hold(self, now_ms: int) -> Refused | None:
        """The refusal of a new stake now, or None."""
        if self.ended(now_ms):
            return Refused(ErrorCode.SESSION_TIME_LIMIT, "your session time limit is reached")
        if self.awaiting_ack or self.due(now_ms):
            return Refused(
                ErrorCode.REALITY_CHECK_PENDING,
                "acknowledge the reality check (reality_check_ack) to play on",
            )
        return None

    def settled(self, stake: int, payout: int) -> None:
        self.net += payout - stake

    def figures(self, now_ms: int) -> dict[str, int]:
        return {"elapsed_ms": self.elapsed(now_ms), "net": self.net}
