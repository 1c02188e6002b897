"""Which Redis Cluster hash slot a player's keys live in: the one rule every floor shares.

Players are spread over `SHARDS` shards (`player_id % SHARDS`); every key of a player,
and every key a script touches together with one (the shard's journal stream, its index
of due reservations), starts with the shard's hash tag `{s:K}`, so each script call
stays in one slot. It lives at the bottom floor because money (`server/money/keys.py`)
and the player's sessions (`server/events/push.py`) must agree on it. `SHARDS` never
changes once data exists: every player's keys would move shard.
"""

from __future__ import annotations

SHARDS = 16


def shard(player_id: int) -> int:
    return player_id % SHARDS


def tag(k: int) -> str:
    """The hash tag of shard K: Redis Cluster hashes only what is inside the braces."""
    return f"{{s:{k}}}"


def player_prefix(player_id: int) -> str:
    """What every key of one player starts with: `{s:K}:p:ID`."""
    return f"{tag(shard(player_id))}:p:{player_id}"
