"""The active bonus rebuilt from SQL, for when Redis lost its hash (a data loss, a failover to a
replica that was behind): without it, the stakes that follow would meet no maximum stake and
count no wagering, and the queue would grant a second bonus beside the one SQL holds active.

Everything the hash holds is durable somewhere: the award and its definition's terms
(`bonus_awards`, `bonus_definitions`), the stakes since the grant (`rounds`,
`provider_transactions`, with a free stake flagged `free`) and how a bonus ended
(`bonus_movements`). So `rebuild` computes what the scripts would hold now, the same way they
count it (`server/money/lua/_bonus.lua`): wagered is every non-free stake made between the
grant and the expiry, times its game's weight (by game id, else by its class: our game's
kind, a provider game's first category), in hundredths; the free spins used are the free
stakes not rolled back, and their wins add `wagering` times themselves to the requirement.
A bonus that ended in the ledger (converted, expired, forfeited) is not brought back: its
award is closed instead. Stakes Redis lost before the flusher wrote them are lost with their
money (the wallet comes back from the same ledger), so the two stay consistent. A provider's
free round still waiting for its win is not held open (its bet record went with Redis).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from games import catalogue as house_games
from server.bonus import terms as rules
from server.storage.database import Database

ENDINGS = ("converted", "expired", "forfeited", "spent")


@dataclass(frozen=True, slots=True)
class Ended:
    """The award's bonus ended in the ledger already: `outcome` is how."""

    award_id: int
    outcome: str


def _weight(weights: Mapping[str, int], game: str, weight_class: str) -> int:
    # As bonus_wager reads the hash: `w:<game>`, else `w:<class>`, else nothing.
    if game in weights:
        return weights[game]
    return weights.get(weight_class, 0)


def _house_class(game: str) -> str:
    found = house_games.get(game)
    return found.info.kind if found is not None else ""


Hash = dict[str, str | int]


async def rebuild(db: Database, player_id: int, currency: str) -> Hash | Ended | None:
    """The hash of the player's active award in `currency` as the scripts would hold it now;
    Ended when the ledger shows it ended; None when SQL holds no active award."""
    row = await db.fetchone(
        "SELECT a.id, a.amount, a.required, a.granted_at, a.expires_at, d.terms"
        " FROM bonus_awards a JOIN bonus_definitions d ON d.id = a.definition_id"
        " WHERE a.player_id = ? AND a.currency = ? AND a.status = 'active'"
        " ORDER BY a.id LIMIT 1",
        (player_id, currency),
    )
    if row is None or row[3] is None or row[4] is None:
        return None
    award_id, amount, required = int(row[0]), int(row[1]), int(row[2])
    granted_at, expires_at = int(row[3]), int(row[4])
    terms = rules.parse(json.loads(str(row[5])))
    ended = await db.fetchone(
        "SELECT movement FROM bonus_movements WHERE award_id = ? AND movement IN (?, ?, ?, ?)"
        " ORDER BY created_at LIMIT 1",
        (award_id, *ENDINGS),
    )
    if ended is not None:
        return Ended(award_id, str(ended[0]))
    wagered, free_used, free_won = 0, 0, 0
    for game, stake, payout, free in await db.fetchall(
        "SELECT game_id, stake, payout, free FROM rounds WHERE player_id = ? AND currency = ?"
        " AND status = 'settled' AND reserved_at >= ? AND reserved_at < ?",
        (player_id, currency, granted_at, expires_at),
    ):
        if int(free):
            free_used, free_won = free_used + 1, free_won + int(payout)
        else:
            wagered += int(stake) * _weight(terms.weights, str(game), _house_class(str(game)))
    for provider, game, stake, free, categories, won in await db.fetchall(
        "SELECT t.provider_id, t.game_code, t.amount, t.free, g.categories,"
        " (SELECT COALESCE(SUM(w.amount), 0) FROM provider_transactions w"
        "  WHERE w.provider_id = t.provider_id AND w.reference_uuid = t.transaction_uuid"
        "  AND w.kind = 'win') FROM provider_transactions t"
        " LEFT JOIN provider_games g ON g.provider_id = t.provider_id"
        " AND g.game_code = t.game_code WHERE t.player_id = ? AND t.currency = ?"
        " AND t.kind = 'bet' AND t.status != 'rolled_back' AND t.created_at >= ?"
        " AND t.created_at < ?",
        (player_id, currency, granted_at, expires_at),
    ):
        if int(free):
            free_used, free_won = free_used + 1, free_won + int(won)
        else:
            first = str(categories or "").split(",")[0]
            wagered += int(stake) * _weight(terms.weights, f"{provider}:{game}", first)
    fields: dict[str, str | int] = {
        "state": "active", "award": award_id, "wagered": wagered,
        "required": required * 100 + free_won * terms.wagering * 100,
        "max_stake": terms.max_stake, "expires_at": expires_at, "granted": amount,
        "granted_at": granted_at, "restored": 1,
    }  # fmt: skip
    if terms.max_convert is not None:
        fields["cap"] = terms.max_convert
    if terms.kind == "free_spins":
        fields |= {
            "fs_game": terms.free_game, "fs_left": max(0, terms.spins - free_used),
            "fs_stake": terms.spin_stake, "fs_wagering": terms.wagering,
        }  # fmt: skip
    for name, percent in terms.weights.items():
        fields[f"w:{name}"] = percent
    return fields
