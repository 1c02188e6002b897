"""Durable writes of manual balance adjustments: the flusher's writer for `adjustment`
entries (server/money/lua/adjust.lua appends them in the step that moves the cash).

A credit moves from the operator's `house:adjustments:CUR` to the player's cash, a debit
back; the transfer and the row of `balance_adjustments` (reconciliation's own figure) are
keyed by the adjustment, so writing an entry twice moves nothing twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from server.money import ledger
from server.storage.database import Transaction


async def write_adjustment(tx: Transaction, entry_id: str, fields: dict[str, str]) -> bool:
    adjustment_id, player_id = int(fields["adjustment_id"]), int(fields["player_id"])
    currency, amount = fields["currency"], int(fields["amount"])
    house, cash = ledger.house_adjustments(currency), ledger.player_cash(player_id, currency)
    debit, credit = (house, cash) if amount > 0 else (cash, house)
    posted = await ledger.post(
        tx, f"adjustment:{adjustment_id}", debit, credit, abs(amount), kind="adjustment",
        reference=f"adjustment:{adjustment_id}",
    )  # fmt: skip
    await tx.execute(
        "INSERT INTO balance_adjustments (id, player_id, currency, amount, created_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        (adjustment_id, player_id, currency, amount, int(fields["created_at"])),
    )
    return posted


WRITERS: dict[str, Callable[[Transaction, str, dict[str, str]], Awaitable[bool]]] = {
    "adjustment": write_adjustment,
}
