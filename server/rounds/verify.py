"""Re-verifying a settled round from durable storage: `run.py verify ROUND_ID`.

Reads the round's inputs, recorded outcome and proof, and the server seed if
it has been revealed (rotated out); the check itself is the pure
`rng.fair.verify_round` over `games.round.replay`, exactly what a player can
run with the published algorithm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from games import catalogue
from games.round import replay
from rng import fair
from rng.generator import Generator
from server.storage.database import Database

# `run.py verify`'s exit status per verdict: a round that fails its proof (1) is not one that
# cannot be checked yet (3, its seed still secret) nor one that does not exist (4).
EXIT_CODES = {
    "match": 0,
    "seed-mismatch": 1,
    "outcome-mismatch": 1,
    "not-revealed": 3,
    "not-found": 4,
}


@dataclass(frozen=True, slots=True)
class Verification:
    round_id: str
    verdict: str  # match, seed-mismatch, outcome-mismatch, not-revealed, not-found
    detail: str

    @property
    def ok(self) -> bool:
        return self.verdict == fair.Verdict.MATCH

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]


def _plain(data: Any) -> Any:
    """The outcome as it was stored: through JSON, so tuples and lists compare equal."""
    return msgspec.json.decode(msgspec.json.encode(data))


async def verify_stored_round(db: Database, round_id: str) -> Verification:
    row = await db.fetchone(
        "SELECT r.game_id, r.inputs, r.outcome, r.server_seed_hash, r.client_seed, r.nonce,"
        " r.status, s.server_seed, s.revealed_at FROM rounds r"
        " LEFT JOIN fair_seeds s ON s.seed_hash = r.server_seed_hash WHERE r.round_id = ?",
        (round_id,),
    )
    if row is None:
        return Verification(round_id, "not-found", "no settled round with this id")
    game_id, inputs, outcome, seed_hash, client_seed, nonce, status, seed_hex, revealed = row
    if status != "settled":
        return Verification(round_id, "not-found", f"the round was {status}: it has no outcome")
    if seed_hex is None or revealed is None:
        return Verification(
            round_id,
            "not-revealed",
            f"committed to the server seed whose SHA-256 is {seed_hash}; the seed itself is"
            " still secret: rotate it (rotate_seed, or Fair play in the browser) to reveal it",
        )
    game = catalogue.get(str(game_id))
    if game is None:
        return Verification(round_id, "not-found", f"unknown game {game_id}")
    round_inputs = msgspec.json.decode(str(inputs))

    def draw(stream: Generator) -> Any:
        return _plain(replay(game, round_inputs, stream))

    verdict = fair.verify_round(
        bytes.fromhex(str(seed_hex)),
        str(seed_hash),
        str(client_seed),
        int(nonce),
        draw,
        msgspec.json.decode(str(outcome)),
    )
    return Verification(
        round_id,
        verdict.value,
        f"game {game_id}, server seed {seed_hex}, client seed {client_seed!r}, nonce {nonce}",
    )
