"""Provider game sessions: the token a player's launch hands to a provider.

Owns the `provider_sessions` table. A token is 256 bits from the CSPRNG, bound
to one provider, player, game and currency, with an expiry; only its SHA-256
is stored, so a copy of the database opens no session. Expiry is the caller's
judgement: bets refuse an expired session, wins and rollbacks (which may
arrive after the session ended) do not.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import rng
from server.storage.database import Database, now_ms

TOKEN_BYTES = 32


@dataclass(frozen=True, slots=True)
class GameSession:
    provider_id: str
    player_id: int
    game_code: str
    currency: str
    expires_at: int  # ms since the epoch
    revoked: bool

    def expired(self, at_ms: int) -> bool:
        return self.revoked or at_ms >= self.expires_at


@dataclass(frozen=True, slots=True)
class Launched:
    token: str
    expires_at: int


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create(
    db: Database, provider_id: str, player_id: int, game_code: str, currency: str, ttl_s: int
) -> Launched:
    token = rng.token_urlsafe(TOKEN_BYTES)
    created = now_ms()
    expires = created + ttl_s * 1000
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO provider_sessions (token_hash, provider_id, player_id, game_code,"
            " currency, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (token_hash(token), provider_id, player_id, game_code, currency, created, expires),
        )
    return Launched(token, expires)


async def resolve(db: Database, provider_id: str, token: str) -> GameSession | None:
    """The session of `token` if this provider was given it (another provider's token is
    as unknown as a made-up one)."""
    row = await db.fetchone(
        "SELECT provider_id, player_id, game_code, currency, expires_at, revoked_at"
        " FROM provider_sessions WHERE token_hash = ? AND provider_id = ?",
        (token_hash(token), provider_id),
    )
    if row is None:
        return None
    return GameSession(
        provider_id=str(row[0]),
        player_id=int(row[1]),
        game_code=str(row[2]),
        currency=str(row[3]),
        expires_at=int(row[4]),
        revoked=row[5] is not None,
    )
