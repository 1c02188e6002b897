"""Durable writes of bonus movements: the flusher's writer for `bonus_move` entries.

The bonus scripts (`bonus_grant.lua`, and `_bonus.lua` inside every stake and settle script)
append each grant, conversion and forfeiture to the journal in the Lua step that moves the
money, so the ledger receives them in the order Redis applied them, after the round whose
settle completed the wagering. Each entry is the change to the player's `cash` and `bonus`;
the operator's bonus-cost account takes the other side of what is not a move between the two.
The movement is also kept in `bonus_movements` (money's own table), which reconciliation reads
as the bonus engine's part of the wallet's history. Keyed by the entry's `key`, so writing an
entry twice moves nothing twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from server.money import ledger
from server.storage.database import Transaction


def transfers(
    key: str, player_id: int, currency: str, cash: int, bonus: int
) -> list[ledger.Transfer]:
    """The ledger transfers of one movement that adds `cash` and `bonus` (either negative).

    Bonus removed pays cash first (a conversion), the rest to bonus cost; bonus or cash added
    beyond that comes from bonus cost (a grant)."""
    to_cash = ledger.player_cash(player_id, currency)
    to_bonus = ledger.player_bonus(player_id, currency)
    cost = ledger.bonus_cost(currency)
    ref = key.rsplit(":", 1)[0]
    out: list[ledger.Transfer] = []
    converted = min(max(-bonus, 0), max(cash, 0))
    if converted:
        out.append(ledger.Transfer(f"{key}:convert", to_bonus, to_cash, converted, "bonus", ref))
    if bonus + converted < 0:
        out.append(
            ledger.Transfer(f"{key}:cost", to_bonus, cost, -(bonus + converted), "bonus", ref)
        )
    if bonus > 0:
        out.append(ledger.Transfer(f"{key}:grant", cost, to_bonus, bonus, "bonus", ref))
    if cash - converted > 0:
        out.append(ledger.Transfer(f"{key}:cash", cost, to_cash, cash - converted, "bonus", ref))
    return out


async def write_move(tx: Transaction, entry_id: str, fields: dict[str, str]) -> bool:
    key = fields["key"]
    player_id, currency = int(fields["player_id"]), fields["currency"]
    cash, bonus = int(fields["cash"]), int(fields["bonus"])
    # `execute`, not `insert`: the table is keyed by move_key and has no `id` for
    # PostgreSQL's RETURNING; the row count says whether the move was new.
    new = await tx.execute(
        "INSERT INTO bonus_movements (move_key, award_id, player_id, currency, movement, cash,"
        " bonus, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (move_key) DO NOTHING",
        (key, int(fields["award"]), player_id, currency, fields["movement"], cash, bonus,
         int(fields["created_at"])),
    )  # fmt: skip
    await ledger.post_many(tx, transfers(key, player_id, currency, cash, bonus))
    return new == 1


WRITERS: dict[str, Callable[[Transaction, str, dict[str, str]], Awaitable[bool]]] = {
    "bonus_move": write_move,
}
