"""Game recall (GLI-19): one stored round replayed for staff or its player, with what went
in (the inputs: stake, bets, actions), the proof (server seed hash, client seed, nonce, and
the server seed once revealed), the outcome, the balances before and after, and the
server's own re-verification of it (server/rounds/verify.py), the same check a player can
run in the browser. Reads only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from protocol.messages import RoundSummary
from server.rounds import history
from server.rounds.verify import verify_stored_round
from server.storage.database import Database


@dataclass(frozen=True, slots=True)
class Recall:
    player_id: int
    round: RoundSummary
    server_seed: str | None  # hex, once the seed is revealed (rotated out); None before
    verdict: str  # match, seed-mismatch, outcome-mismatch, not-revealed, not-found
    detail: str

    def public(self) -> dict[str, Any]:
        found: dict[str, Any] = msgspec.to_builtins(self.round)
        found["proof"]["server_seed"] = self.server_seed
        return {
            **found,
            "player_id": self.player_id,
            "verification": {"verdict": self.verdict, "detail": self.detail},
        }


async def recall(db: Database, round_id: str) -> Recall | None:
    """The round `round_id` as stored, or None when no round has that id."""
    found = await history.one(db, round_id)
    if found is None:
        return None
    player_id, summary = found
    row = await db.fetchone(
        "SELECT server_seed FROM fair_seeds WHERE seed_hash = ? AND revealed_at IS NOT NULL",
        (summary.proof.server_seed_hash,),
    )
    checked = await verify_stored_round(db, round_id)
    return Recall(player_id, summary, str(row[0]) if row else None, checked.verdict, checked.detail)
