"""Durable writes of withdrawal movements: the flusher's writers for `withdrawal_*` entries.

The hot wallet appends each lock, payout and return to the rounds stream in the
same Lua step that moves the money, so the ledger receives them in the order
Redis applied them, after every round that changed the cash before. Each
writer posts one transfer keyed by the payment, so writing an entry twice
moves nothing twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from server.money import ledger
from server.storage.database import Transaction


def _movement(fields: dict[str, str]) -> tuple[int, int, str, int, str]:
    return (
        int(fields["payment_id"]),
        int(fields["player_id"]),
        fields["currency"],
        int(fields["amount"]),
        fields["gateway"],
    )


async def write_lock(tx: Transaction, entry_id: str, fields: dict[str, str]) -> bool:
    payment_id, player_id, currency, amount, _ = _movement(fields)
    return await ledger.post(
        tx,
        f"withdrawal:{payment_id}:lock",
        ledger.player_cash(player_id, currency),
        ledger.player_withdrawal_locked(player_id, currency),
        amount,
        kind="withdrawal_lock",
        reference=f"payment:{payment_id}",
    )


async def write_paid(tx: Transaction, entry_id: str, fields: dict[str, str]) -> bool:
    payment_id, player_id, currency, amount, gateway = _movement(fields)
    return await ledger.post(
        tx,
        f"withdrawal:{payment_id}:paid",
        ledger.player_withdrawal_locked(player_id, currency),
        ledger.gateway_clearing(gateway, currency),
        amount,
        kind="withdrawal",
        reference=f"payment:{payment_id}",
    )


async def write_returned(tx: Transaction, entry_id: str, fields: dict[str, str]) -> bool:
    payment_id, player_id, currency, amount, _ = _movement(fields)
    return await ledger.post(
        tx,
        f"withdrawal:{payment_id}:returned",
        ledger.player_withdrawal_locked(player_id, currency),
        ledger.player_cash(player_id, currency),
        amount,
        kind="withdrawal_return",
        reference=f"payment:{payment_id}",
    )


WRITERS: dict[str, Callable[[Transaction, str, dict[str, str]], Awaitable[bool]]] = {
    "withdrawal_lock": write_lock,
    "withdrawal_paid": write_paid,
    "withdrawal_returned": write_returned,
}
