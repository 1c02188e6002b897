"""Durable writes of payment movements: the flusher's writers for `withdrawal_*` and
`chargeback` entries.

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


async def write_chargeback(tx: Transaction, entry_id: str, fields: dict[str, str]) -> bool:
    """A lost dispute: the gateway takes the deposit back from the operator (clearing ->
    chargeback losses), which recovers `taken` from the player's cash and records the rest
    as the player's debt; each keyed by the dispute, so writing twice moves nothing twice."""
    dispute, player_id, currency = (
        fields["dispute_id"],
        int(fields["player_id"]),
        fields["currency"],
    )
    amount, taken, gateway = int(fields["amount"]), int(fields["taken"]), fields["gateway"]
    losses = ledger.chargeback_losses(currency)
    transfers = [
        ledger.Transfer(
            f"chargeback:{dispute}:reversal", losses, ledger.gateway_clearing(gateway, currency),
            amount, "chargeback", f"dispute:{dispute}",
        ),
    ]  # fmt: skip
    if taken:
        transfers.append(
            ledger.Transfer(
                f"chargeback:{dispute}:recovered", ledger.player_cash(player_id, currency),
                losses, taken, "chargeback_recovered", f"dispute:{dispute}",
            )
        )  # fmt: skip
    if amount > taken:
        transfers.append(
            ledger.Transfer(
                f"chargeback:{dispute}:debt", ledger.player_debt(player_id, currency), losses,
                amount - taken, "chargeback_debt", f"dispute:{dispute}",
            )
        )  # fmt: skip
    return await ledger.post_many(tx, transfers) > 0


WRITERS: dict[str, Callable[[Transaction, str, dict[str, str]], Awaitable[bool]]] = {
    "withdrawal_lock": write_lock,
    "withdrawal_paid": write_paid,
    "withdrawal_returned": write_returned,
    "chargeback": write_chargeback,
}
