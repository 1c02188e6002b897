"""Auditing the rounds a server stored, and steering its next round, as an auditor with the
database would: the one seam the tests use to see a secret server seed.

The tests share the server's database (tests/support/db.py), where every server seed is
written before it is used (`fair_seeds`). Reading it there lets a test (1) recompute the
payout of every round a test played with the independent checker (`tests/support/payouts.py`)
and (2) pick a client seed whose next round reaches the outcome it wants, then play that
round for real through the public `set_client_seed` message. The server gets no test hook:
its seeds stay what production makes, and the test only chooses, as any player may, the
client seed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from server.storage.database import DatabaseTarget, is_postgres
from tests.support import db, payouts

# Which rounds are "stored after": SQLite's row id is the order they were written in;
# PostgreSQL has no such column, so there it is the time they settled (milliseconds).
_LAST = {
    False: "SELECT COALESCE(MAX(rowid), 0) FROM rounds",
    True: "SELECT COALESCE(MAX(settled_at), 0) FROM rounds",
}
_AFTER = {
    False: "r.rowid > ?",
    True: "r.settled_at > ?",
}
_ROUNDS = (
    "SELECT r.round_id, r.game_id, r.stake, r.payout, r.balance_before, r.balance_after,"
    " r.inputs, r.client_seed, r.nonce, s.server_seed, r.free FROM rounds r"
    " JOIN fair_seeds s ON s.seed_hash = r.server_seed_hash"
    " WHERE r.status = 'settled' AND "
)


def server_seed(database_path: DatabaseTarget, seed_hash: str) -> bytes:
    """The server seed behind a commitment, revealed or not (the auditor's view)."""
    row = db.one(
        database_path, "SELECT server_seed FROM fair_seeds WHERE seed_hash = ?", (seed_hash,)
    )
    assert row is not None, f"no server seed stored for {seed_hash}"
    return bytes.fromhex(str(row[0]))


def last_round(database_path: DatabaseTarget) -> int:
    """Where the newest stored round is (0 when none): audit what comes after it."""
    row = db.one(database_path, _LAST[is_postgres(database_path)])
    return int(row[0]) if row else 0


def audit_rounds_after(database_path: DatabaseTarget, mark: int) -> list[str]:
    """Every settled round stored after `mark` whose payout the published rules do not give,
    or whose balances did not move by exactly payout - stake; one line each."""
    rows = db.query(database_path, _ROUNDS + _AFTER[is_postgres(database_path)], (mark,))
    found = []
    for (
        round_id,
        game,
        stake,
        paid,
        before,
        after,
        raw_inputs,
        client_seed,
        nonce,
        seed,
        free,
    ) in rows:
        inputs: dict[str, Any] = msgspec.json.decode(str(raw_inputs))
        expected = payouts.expected_payout(
            str(game), inputs, bytes.fromhex(str(seed)), str(client_seed), int(nonce)
        )
        if expected != paid:
            found.append(f"round {round_id} ({game}): paid {paid}, the rules pay {expected}")
        # A blackjack round reserves, acts and settles apart: other rounds of the same player
        # may move the balance in between. A single-step round moves it in one script; a free
        # spin moves no cash at all (the promotion stakes, the win is bonus money).
        moved = 0 if free else paid - stake
        if game != "blackjack" and after - before != moved:
            found.append(
                f"round {round_id} ({game}): balance {before} -> {after} for stake {stake}"
                f" and payout {paid}"
            )
    return found


def find_client_seed(
    seed: bytes, nonce: int, wanted: Callable[[payouts.Stream], bool], tries: int = 200_000
) -> str:
    """The first client seed `t0`, `t1`, ... whose round at `nonce` is one `wanted` accepts."""
    for i in range(tries):
        client_seed = f"t{i}"
        if wanted(payouts.Stream(seed, client_seed, nonce)):
            return client_seed
    raise AssertionError(f"no client seed in {tries} tries gives the wanted round")


async def steer_next_round(
    sock: Any, database_path: DatabaseTarget, wanted: Callable[[payouts.Stream], bool]
) -> tuple[bytes, str, int]:
    """Set the client seed so the socket's player's next round is one `wanted` accepts;
    (server seed, client seed, nonce) of that round."""
    seeds = await sock.request("seeds")
    seed = server_seed(database_path, seeds["server_seed_hash"])
    client_seed = find_client_seed(seed, seeds["nonce"], wanted)
    chosen = await sock.request("set_client_seed", client_seed=client_seed)
    assert (chosen["client_seed"], chosen["nonce"]) == (client_seed, seeds["nonce"]), chosen
    return seed, client_seed, seeds["nonce"]
