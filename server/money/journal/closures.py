"""Durable writes of closed accounts' cash moved to the operator's liability: the flusher's
writer for `closed_payable` entries (server/money/lua/closed_payable.lua appends them in the
step that takes the cash).

The cash moves from the player's cash account to `house:closed_accounts_payable:CUR`; the
transfer and the row of `closed_account_payables` (reconciliation's own figure) are keyed by
the closure, so writing an entry twice moves nothing twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from server.money import ledger
from server.storage.database import Transaction


async def write_closed_payable(tx: Transaction, entry_id: str, fields: dict[str, str]) -> bool:
    closure_id, player_id = int(fields["closure_id"]), int(fields["player_id"])
    currency, amount = fields["currency"], int(fields["amount"])
    posted = await ledger.post(
        tx, f"closed_payable:{closure_id}", ledger.player_cash(player_id, currency),
        ledger.closed_accounts_payable(currency), amount, kind="closed_payable",
        reference=f"closure:{closure_id}",
    )  # fmt: skip
    await tx.execute(
        "INSERT INTO closed_account_payables (closure_id, player_id, currency, amount,"
        " created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (closure_id) DO NOTHING",
        (closure_id, player_id, currency, amount, int(fields["created_at"])),
    )
    return posted


WRITERS: dict[str, Callable[[Transaction, str, dict[str, str]], Awaitable[bool]]] = {
    "closed_payable": write_closed_payable,
}
