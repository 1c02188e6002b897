"""Reading provider transactions and rounds back from durable storage.

Redis forgets a transaction `hot.KEEP_MS` after its last change; these lookups
answer what it forgot, in the same field names the scripts use, so a record
restored into Redis is judged exactly like one that never left. A bet's
record also needs what the flusher wrote elsewhere: the bonus part of its stake
(`ledger_transfers`) and the award a free round was funded from
(`bonus_movements`). Read-only: only the stream writers (`server/money/journal/`)
write these tables.
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
        " balance_after, created_at, stream_id, free, reward_uuid FROM provider_transactions"
        " WHERE provider_id = ? AND transaction_uuid = ?",
        (provider_id, transaction_uuid),
    )
    if row is None:
        return None
    names = ("kind", "amount", "currency", "round", "game", "reference", "state", "balance",
             "created_at", "stream_id")  # fmt: skip
    fields = {name: str(value) for name, value in zip(names, row[1:11], strict=True)}
    player_id, free, reward = int(row[0]), int(row[11]), row[12]
    if fields["kind"] == "bet":
        fields.update(await _bet_terms(db, provider_id, transaction_uuid, player_id, free))
        if reward is not None:  # NULL: written before bets kept their reward (unknown, not none)
            fields["reward"] = str(reward)
    return StoredRecord(player_id, fields)


async def _bet_terms(
    db: Database, provider_id: str, transaction_uuid: str, player_id: int, free: int
) -> dict[str, str]:
    """What a bet's record keeps beside its terms, which its retry, win and rollback read:
    whether it played a free round (`free`, and the bonus award it was played for,
    `free_award`) and how much of the stake was bonus money (`from_bonus`), from the ledger
    part the flusher posted under the bet's key. Without them a free bet's retry would look
    like a paid one (DUPLICATE) and its rollback would refund promotion money as cash."""
    part = await db.fetchone(
        "SELECT amount FROM ledger_transfers WHERE idempotency_key = ?",
        (f"provider:{provider_id}:{transaction_uuid}:bonus",),
    )
    terms = {"free": "1" if free else "0", "from_bonus": str(part[0] if part else 0)}
    if free:
        # The free round was funded under `bonus:<award>:fr:<provider>:<transaction>:fund`
        # (bonus_free_round in _bonus.lua), journaled before the bet itself.
        funded = await db.fetchone(
            "SELECT award_id FROM bonus_movements WHERE player_id = ? AND movement = 'free_round'"
            " AND move_key = 'bonus:' || CAST(award_id AS TEXT) || ':fr:' || CAST(? AS TEXT)"
            " || ':fund'",
            (player_id, f"{provider_id}:{transaction_uuid}"),
        )
        if funded is not None:
            terms["free_award"] = str(funded[0])
    return terms


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
