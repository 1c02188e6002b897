"""Provably fair seeds: each player's secret server seed, its public hash, the client seed.

Owns the `fair_seeds` table and the `{p:ID}:fair` Redis hash. A server seed is
written to durable storage before it is used; it is shown only after it has
been rotated out, and then any round played with it can be re-verified. The
nonce lives in Redis and is taken by the reserve script, one per round. If
Redis loses a player's seed, play never resumes on it (its used nonces are
unknown): a fresh seed is issued and the old one revealed.
"""

from __future__ import annotations

from dataclasses import dataclass

import rng
from rng import fair
from server.money.hot import HotWallet
from server.money.scripts import ScriptStatus
from server.storage.database import Database, now_ms


@dataclass(frozen=True, slots=True)
class SeedState:
    server_seed_hash: str
    client_seed: str
    nonce: int
    revealed_server_seed: str | None = None  # hex, only in the reply to a rotation
    revealed_seed_hash: str | None = None


class Fairness:
    def __init__(self, db: Database, hot: HotWallet) -> None:
        self.db = db
        self.hot = hot

    async def _new_seed(self, player_id: int) -> tuple[bytes, str]:
        seed = fair.new_server_seed()
        digest = fair.seed_hash(seed)
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO fair_seeds (player_id, seed_hash, server_seed, created_at)"
                " VALUES (?, ?, ?, ?)",
                (player_id, digest, seed.hex(), now_ms()),
            )
        return seed, digest

    async def _reveal_all_but(self, player_id: int, current_hash: str) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE fair_seeds SET revealed_at = ? WHERE player_id = ?"
                " AND seed_hash <> ? AND revealed_at IS NULL",
                (now_ms(), player_id, current_hash),
            )

    async def ensure(self, player_id: int) -> None:
        """Give the player a live seed in Redis if there is none."""
        if await self.hot.fair_state(player_id):
            return
        seed, digest = await self._new_seed(player_id)
        status, _, _ = await self.hot.install_seed(
            player_id, rotate=False, server_seed=seed, seed_hash=digest,
            client_seed=rng.token_urlsafe(12), nonce=0,
        )  # fmt: skip
        current = (await self.hot.fair_state(player_id))["seed_hash"]
        if status is ScriptStatus.EXISTS:  # a concurrent ensure won; ours was never used
            await self._discard(digest)
        await self._reveal_all_but(player_id, current)

    async def _discard(self, digest: str) -> None:
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM fair_seeds WHERE seed_hash = ?", (digest,))

    async def current(self, player_id: int) -> SeedState:
        await self.ensure(player_id)
        state = await self.hot.fair_state(player_id)
        return SeedState(state["seed_hash"], state["client_seed"], int(state["nonce"]))

    async def rotate(self, player_id: int) -> SeedState:
        """Replace the server seed and reveal the old one, so its rounds can be verified."""
        await self.ensure(player_id)
        seed, digest = await self._new_seed(player_id)
        _, old_seed, old_hash = await self.hot.install_seed(
            player_id, rotate=True, server_seed=seed, seed_hash=digest, client_seed="", nonce=0
        )
        # Redis first, then the reveal: a seed is never shown while it can still deal a round.
        await self._reveal_all_but(player_id, digest)
        state = await self.current(player_id)
        return SeedState(
            state.server_seed_hash,
            state.client_seed,
            state.nonce,
            revealed_server_seed=old_seed.hex() if old_seed else None,
            revealed_seed_hash=old_hash or None,
        )

    async def set_client_seed(self, player_id: int, client_seed: str) -> SeedState:
        fair.validate_client_seed(client_seed)  # ValueError for the caller to report
        await self.ensure(player_id)
        await self.hot.set_client_seed(player_id, client_seed)
        return await self.current(player_id)

    async def revealed_seed(self, seed_hash: str) -> bytes | None:
        """The server seed behind `seed_hash` once revealed; None while it is still secret."""
        row = await self.db.fetchone(
            "SELECT server_seed FROM fair_seeds WHERE seed_hash = ? AND revealed_at IS NOT NULL",
            (seed_hash,),
        )
        return bytes.fromhex(str(row[0])) if row else None
