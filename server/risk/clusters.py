"""Clusters of linked accounts: what multi-accounting alerts show staff.

A linking rule's hit (shared device, payment instrument, postal address, household: the
`LINKING` rules of server/risk/rules.py) names the accounts that share one thing. `join`
records each of them in `risk_links` under that (kind, value), then reads the whole
cluster the hit's player now belongs to: every account reachable through any shared
(kind, value), however many hops away. The cluster's id is its lowest player id
(`cluster:ID`), so the same accounts give the same id on every alert, and a cluster that
grows to take in a lower id is named anew. Recording is idempotent (the primary key), so
an event processed twice links nothing twice.
"""

from __future__ import annotations

from typing import Any

from server.risk.rules import Hit
from server.storage.database import Database, now_ms

MAX_MEMBERS = 500  # a cluster larger than this is listed up to here (its id stays right)

# Every account reachable from the player through shared (kind, value) pairs. UNION (not
# UNION ALL) drops the accounts already found, so the recursion ends. The CAST types the
# seed: PostgreSQL reads a bare `SELECT ?` as text, and text never equals a player id.
MEMBERS = (
    "WITH RECURSIVE members (player_id) AS ("
    " SELECT CAST(? AS BIGINT) UNION"
    " SELECT b.player_id FROM members m"
    " JOIN risk_links a ON a.player_id = m.player_id"
    " JOIN risk_links b ON b.kind = a.kind AND b.value = a.value"
    ") SELECT player_id FROM members ORDER BY player_id LIMIT ?"
)
# The links of those accounts: the same recursion, then their rows.
LINKS = (
    "WITH RECURSIVE members (player_id) AS ("
    " SELECT CAST(? AS BIGINT) UNION"
    " SELECT b.player_id FROM members m"
    " JOIN risk_links a ON a.player_id = m.player_id"
    " JOIN risk_links b ON b.kind = a.kind AND b.value = a.value"
    ") SELECT l.kind, l.value, l.player_id FROM risk_links l"
    " JOIN members m ON m.player_id = l.player_id ORDER BY l.kind, l.value, l.player_id"
)


async def join(db: Database, hit: Hit) -> dict[str, Any]:
    """Record the hit's links; the evidence its alert gets: the hit's own, with the cluster's
    id, its accounts and each link (kind, value, the accounts sharing it)."""
    kind, value = str(hit.evidence["link"]), str(hit.evidence["value"])
    accounts = [int(player) for player in hit.evidence["accounts"]]
    event_id = hit.event_ids[-1]
    async with db.transaction() as tx:
        for player in accounts:
            await tx.execute(
                "INSERT INTO risk_links (kind, value, player_id, event_id, linked_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, value, player_id) DO NOTHING",
                (kind, value, player, event_id, now_ms()),
            )
    members = [int(row[0]) for row in await db.fetchall(MEMBERS, (hit.player_id, MAX_MEMBERS))]
    rows = await db.fetchall(LINKS, (hit.player_id,))
    links: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        links.setdefault((str(row[0]), str(row[1])), []).append(int(row[2]))
    return {
        **hit.evidence,
        "cluster_id": f"cluster:{members[0] if members else hit.player_id}",
        "cluster": members,
        "links": [
            {"kind": k, "value": v, "accounts": players}
            for (k, v), players in sorted(links.items())
            if len(players) > 1
        ],
    }
