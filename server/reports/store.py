"""The reporting store's writes: report lines into `report_lines`, once per event.

Only the feeder (server/reports/feeder.py) writes here, and only from the event streams:
nothing on the hot path touches this table. A line is keyed by its event's id, so writing
an event a second time (the streams deliver at least once) adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.reports.lines import Line
from server.storage.database import Database


async def record(db: Database, lines: Sequence[Line]) -> int:
    """Write `lines` in one transaction; how many were new."""
    if not lines:
        return 0
    async with db.transaction() as tx:
        # The count comes from the insert itself: a COUNT(*) of the table around it read
        # every line ever written, twice per batch, and grew with the table.
        return await tx.insert_rows(
            "INSERT INTO report_lines (event_id, player_id, at_ms, day, kind, provider, game,"
            " round_key, currency, stake, win, bonus_cost, deposit, withdrawal, amount, balance,"
            " reference)",
            [
                (
                    line.event_id, line.player_id, line.at_ms, line.day, line.kind,
                    line.provider, line.game, line.round_key, line.currency, line.stake,
                    line.win, line.bonus_cost, line.deposit, line.withdrawal, line.amount,
                    line.balance, line.reference,
                )
                for line in {line.event_id: line for line in lines}.values()
            ],
            "ON CONFLICT (event_id) DO NOTHING",
        )  # fmt: skip
