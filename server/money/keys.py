"""Redis key names of money, laid out so that every script call touches one hash slot.

Players are spread over `SHARDS` shards (`server/storage/slots.py`), and every key a money
script touches carries its shard's hash tag `{s:K}`: the player's own keys
(`{s:K}:p:ID:wallet:EUR`, ...), the journal stream their movements are appended to
(`{s:K}:journal`) and the index of due reservations (`{s:K}:due`). So a Redis Cluster
accepts each call, and the flusher reads the `SHARDS` journals. A provider transaction
id's owner claim guards the id across players, so it cannot live in any one player's
slot: it sits in the shard of the id itself and is claimed in a call of its own, before
the money script. `SHARDS` must never change once data exists (a player's keys would
move shard); `server/money/key_migration.py` moved the keys of the one-stream layout here.
"""

from __future__ import annotations

import zlib

from server.events import stream
from server.storage.slots import SHARDS as SHARDS  # re-exported: money's callers read it here
from server.storage.slots import player_prefix, tag
from server.storage.slots import shard as shard


def journal(k: int) -> str:
    """Shard K's stream of money movements not yet durable (the flusher empties it)."""
    return f"{tag(k)}:journal"


def dead_letters(k: int) -> str:
    """Shard K's journal entries the database refused for their content, kept for an operator."""
    return f"{tag(k)}:journal:dead"


def due(k: int) -> str:
    """Sorted set of shard K's pending reservations by due time (members: `due_member`)."""
    return f"{tag(k)}:due"


def journals() -> list[str]:
    return [journal(k) for k in range(SHARDS)]


def journal_of(player_id: int) -> str:
    return journal(shard(player_id))


def events_of(player_id: int) -> str:
    """The event stream of the player's shard, where every money script appends its event."""
    return stream.key_of(player_id)


def push_keys(player_id: int) -> list[str]:
    """The last two keys of every script that emits events: its shard's push stream and the
    player's sessions (`_emit_event.lua` decides there which events are pushed)."""
    return stream.push_keys_of(player_id)


def due_of(player_id: int) -> str:
    return due(shard(player_id))


def wallet(player_id: int, currency: str) -> str:
    return f"{player_prefix(player_id)}:wallet:{currency}"


def reservation(player_id: int, round_id: str) -> str:
    return f"{player_prefix(player_id)}:resv:{round_id}"


def done(player_id: int, round_id: str) -> str:
    """The record of a one-step round played in one script, kept briefly for retries."""
    return f"{player_prefix(player_id)}:done:{round_id}"


def fair_seed(player_id: int) -> str:
    return f"{player_prefix(player_id)}:fair"


def open_rounds(player_id: int) -> str:
    """Hash of game id -> round id of the player's unfinished multi-step rounds."""
    return f"{player_prefix(player_id)}:open"


def rg(player_id: int) -> str:
    """Hash of the player's responsible-gambling state that the stake scripts enforce:
    exclusion end, loss limits and net-loss buckets (server/money/lua/_loss_limit.lua)."""
    return f"{player_prefix(player_id)}:rg"


def applied_credit(player_id: int, transfer_key: str) -> str:
    return f"{player_prefix(player_id)}:applied:{transfer_key}"


def chargeback(player_id: int, dispute_id: int) -> str:
    """Hash of one lost dispute's chargeback: how much it took from cash (exactly once)."""
    return f"{player_prefix(player_id)}:cb:{dispute_id}"


def adjustment(player_id: int, adjustment_id: int) -> str:
    """Marker of one manual balance adjustment applied to the hot wallet (exactly once)."""
    return f"{player_prefix(player_id)}:adj:{adjustment_id}"


def closed_payable(player_id: int, closure_id: int) -> str:
    """Marker of one closure's move of cash to the closed-accounts liability: the amount it
    moved (exactly once)."""
    return f"{player_prefix(player_id)}:closed:{closure_id}"


def withdrawal(player_id: int, payment_id: int) -> str:
    """Hash of one withdrawal's hot state: locked, then paid or returned (exactly once)."""
    return f"{player_prefix(player_id)}:wd:{payment_id}"


def bonus(player_id: int, currency: str) -> str:
    """Hash of the player's active wagering bonus in one currency, as the stake and settle
    scripts apply it (`server/money/lua/_bonus.lua` lists its fields)."""
    return f"{player_prefix(player_id)}:bonus:{currency}"


def bonus_grant(player_id: int, award_id: int) -> str:
    """Marker of a bonus award already granted: a retried grant moves nothing."""
    return f"{player_prefix(player_id)}:bgrant:{award_id}"


def due_member(player_id: int, currency: str, round_id: str) -> str:
    return f"{player_id}|{currency}|{round_id}"


def parse_due_member(member: str) -> tuple[int, str, str]:
    player_id, currency, round_id = member.split("|", 2)
    return int(player_id), currency, round_id


# Provider seamless wallet (server/provider): records live in the player's slot.
def provider_tx(player_id: int, provider_id: str, transaction_uuid: str) -> str:
    """Hash recording one provider transaction (bet, win, rollback or tombstone)."""
    return f"{player_prefix(player_id)}:ptx:{provider_id}:{transaction_uuid}"


def provider_round(player_id: int, provider_id: str, round_id: str) -> str:
    """Hash of one provider round as this player played it: status and totals."""
    return f"{player_prefix(player_id)}:pround:{provider_id}:{round_id}"


def claim_shard(claimed: str) -> int:
    # CRC32, not hash(): the shard of a name must be the same in every process, for ever.
    return zlib.crc32(claimed.encode()) % SHARDS


def provider_claim(provider_id: str, transaction_uuid: str) -> str:
    """Which player a provider transaction id belongs to (set once, never changed). In the
    id's own shard, not the player's: it is what tells two players' uses of one id apart."""
    return claim(f"{provider_id}:{transaction_uuid}")


def claim(claimed: str) -> str:
    """The owner key of `provider:transaction_uuid`."""
    return f"{tag(claim_shard(claimed))}:ptxowner:{claimed}"
