"""Durable writes of provider movements: the flusher's writers for the `provider_*` entries.

The scripts append each accepted bet, win and rollback to the rounds stream;
the flusher hands each entry to the writer for its kind, inside its batch's
database transaction. A writer records the transaction (unique per provider
and transaction_uuid), keeps the round's totals, and posts the ledger transfer
between the player's cash and the provider's settlement account, keyed
`provider:<provider>:<transaction_uuid>`. An entry delivered twice finds its
row and writes nothing: writers are idempotent, as the flusher requires.
"""

from __future__ import annotations

from server.money import ledger
from server.money.journal.flusher import Writer
from server.storage.database import Transaction


def provider_account(provider_id: str, currency: str) -> ledger.AccountRef:
    """What we owe or are owed by a provider: its players' stakes minus their wins."""
    return ledger.AccountRef(
        f"provider:{provider_id}:{currency}", "provider_settlement", currency, None, True
    )


def transfer_key(provider_id: str, transaction_uuid: str) -> str:
    return f"provider:{provider_id}:{transaction_uuid}"


async def _record(
    tx: Transaction,
    stream_id: str,
    f: dict[str, str],
    kind: str,
    status: str,
    transaction_uuid: str,
    reference: str,
    amount: int,
    balance_after: int,
) -> bool:
    inserted = await tx.insert(
        "INSERT INTO provider_transactions (provider_id, transaction_uuid, kind, player_id,"
        " currency, amount, round_id, game_code, reference_uuid, status, balance_after,"
        " created_at, stream_id, free, reward_uuid)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (provider_id, transaction_uuid) DO NOTHING",
        (
            f["provider"], transaction_uuid, kind, int(f["player_id"]), f["currency"], amount,
            f["round_id"], f["game"], reference, status, balance_after, int(f["created_at"]),
            stream_id, int(kind == "bet" and f.get("free") == "1"),
            # A bet's reward_uuid as it named it ('' for none); None (unknown) for entries
            # appended before bets carried it, and for wins, rollbacks and tombstones.
            f.get("reward_uuid") if kind == "bet" else None,
        ),
    )  # fmt: skip
    return inserted is not None


async def _round(tx: Transaction, f: dict[str, str], column: str, amount: int) -> None:
    closed = f["round_closed"] == "1"
    totals = {"bet_total": 0, "win_total": 0, "refund_total": 0, column: amount}
    await tx.execute(
        "INSERT INTO provider_rounds (provider_id, player_id, round_id, game_code, currency,"
        " status, bet_total, win_total, refund_total, opened_at, closed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (provider_id, player_id, round_id) DO UPDATE SET"
        " bet_total = provider_rounds.bet_total + excluded.bet_total,"
        " win_total = provider_rounds.win_total + excluded.win_total,"
        " refund_total = provider_rounds.refund_total + excluded.refund_total,"
        " status = CASE WHEN excluded.status = 'closed' THEN 'closed'"
        " ELSE provider_rounds.status END,"
        " closed_at = COALESCE(provider_rounds.closed_at, excluded.closed_at)",
        (
            f["provider"], int(f["player_id"]), f["round_id"], f["game"], f["currency"],
            "closed" if closed else "open", totals["bet_total"], totals["win_total"],
            totals["refund_total"], int(f["created_at"]),
            int(f["created_at"]) if closed else None,
        ),
    )  # fmt: skip


async def _post(tx: Transaction, f: dict[str, str], amount: int, to_player: bool) -> None:
    """Post the cash part (under the key it had before bonuses) and the bonus part (the
    entry's `bonus`, absent in entries written before sub-balances) to their accounts. A part
    of zero moves nothing: a free bet or a zero win closes a round but moves no money."""
    player_id, currency = int(f["player_id"]), f["currency"]
    provider = provider_account(f["provider"], currency)
    key = transfer_key(f["provider"], f["transaction_uuid"])
    bonus = int(f.get("bonus") or 0)
    transfers = []
    for part_key, player, part in (
        (key, ledger.player_cash(player_id, currency), amount - bonus),
        (f"{key}:bonus", ledger.player_bonus(player_id, currency), bonus),
    ):
        if part:
            debit, credit = (provider, player) if to_player else (player, provider)
            transfers.append(ledger.Transfer(
                part_key, debit, credit, part, kind=f["kind"],
                reference=f"provider:{f['provider']}:round:{f['round_id']}",
            ))  # fmt: skip
    await ledger.post_many(tx, transfers)


async def write_bet(tx: Transaction, stream_id: str, f: dict[str, str]) -> bool:
    amount = int(f["amount"])
    if not await _record(tx, stream_id, f, "bet", "open", f["transaction_uuid"], "", amount,
                         int(f["balance_after"])):  # fmt: skip
        return False
    await _round(tx, f, "bet_total", amount)
    await _post(tx, f, amount, to_player=False)
    return True


async def write_win(tx: Transaction, stream_id: str, f: dict[str, str]) -> bool:
    amount = int(f["amount"])
    if not await _record(tx, stream_id, f, "win", "done", f["transaction_uuid"], f["reference"],
                         amount, int(f["balance_after"])):  # fmt: skip
        return False
    await tx.execute(
        "UPDATE provider_transactions SET status = 'won'"
        " WHERE provider_id = ? AND transaction_uuid = ? AND kind = 'bet' AND status = 'open'",
        (f["provider"], f["reference"]),
    )
    await _round(tx, f, "win_total", amount)
    await _post(tx, f, amount, to_player=True)
    return True


async def write_rollback(tx: Transaction, stream_id: str, f: dict[str, str]) -> bool:
    refund = int(f["amount"])
    if not await _record(tx, stream_id, f, "rollback", "done", f["transaction_uuid"],
                         f["reference"], refund, int(f["balance_after"])):  # fmt: skip
        return False
    if f["tombstone"] == "1":
        # The bet id is used up: a bet arriving with it later, even after Redis forgot the
        # tombstone, finds this row and is refused.
        await _record(tx, "", f, "tombstone", "rolled_back", f["reference"],
                      f["transaction_uuid"], 0, int(f["balance_after"]))  # fmt: skip
    else:
        await tx.execute(
            "UPDATE provider_transactions SET status = 'rolled_back' WHERE provider_id = ?"
            " AND transaction_uuid = ? AND kind = 'bet' AND status = 'open'",
            (f["provider"], f["reference"]),
        )
    await _round(tx, f, "refund_total", refund)
    await _post(tx, f, refund, to_player=True)
    return True


WRITERS: dict[str, Writer] = {
    "provider_bet": write_bet,
    "provider_win": write_win,
    "provider_rollback": write_rollback,
}
