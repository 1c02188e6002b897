"""Reading provider transactions and rounds back from durable storage.

Redis forgets a transaction `hot.KEEP_MS` after its last change; these lookups
answer what it forgot, in the same field names the scripts use, so a record
restored into Redis is judged exactly like one that never left. Read-only:
only the stream writers (`journal.py`) write these tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.storage.database import Database


@dataclass(frozen=True, slots=True)
class StoredRecord:
    player_id: int
    fields: dict[str, str]  # as the scripts keep them in Redis


async def transaction(db: Database, provider_id: str, transaction_uuid: str) -> StoredRecord | None:
    row = await db.fetchone(
        "SELECT player_id, kind, amount, currency, round_id, game_code, reference_uuid, status,"
        " balance_after, created_at, stream_id FROM provider_transactions"
        " WHERE provider_id = ? AND transaction_uuid = ?",
        (provider_id, transaction_uuid),
    )
    if row is None:
        return None
    names = ("kind", "amount", "currency", "round", "game", "reference", "state", "balance",
             "created_at", "stream_id")  # fmt: skip
    return StoredRecord(
        int(row[0]), {name: str(value) for name, value in zip(names, row[1:], strict=True)}
    )


async def round_state(
    db: Database, provider_id: str, player_id: int, round_id: str
) -> dict[str, str] | None:
    row = await db.fetchone(
        "SELECT status, game_code, currency, bet_total, win_total, refund_total, opened_at,"
        " closed_at FROM provider_rounds WHERE provider_id = ? AND player_id = ? AND round_id = ?",
        (provider_id, player_id, round_id),
    )
    if row is None:
        return None
    names = ("status", "game", "currency", "bets", "wins", "refunds", "opened_at", "closed_at")
    return {name: str(value) for name, value in zip(names, row, strict=True) if value is not None}
