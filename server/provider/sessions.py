"""Provider game sessions: the launch token a player's browser carries, and the session token
the provider's server exchanges it for.

Owns the `provider_launches` and `provider_sessions` tables. A launch gives the
player's browser a launch token inside the provider's launch URL, where it may
linger (history, logs, a Referer); it lives `LAUNCH_TTL_S` and is good for one
exchange only. The provider's server exchanges it, in its first signed
`user/info` call, for the session token every later call carries, which
never travels through a browser or a URL. Both are 256 bits from the CSPRNG
bound to one provider, player, game and currency; only their SHA-256 is
stored, so a copy of the database opens no session.

Whatever ends a player's access (logout, a password change, a restricted
account) calls `revoke_provider_sessions` in its own transaction: the player's
sessions and unexchanged launches end at once. Expiry and revocation are the
caller's judgement: bets refuse an ended session, wins and rollbacks (which
settle bets already taken, and may arrive after the session ended) do not.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import Enum

import rng
from server.storage.database import Database, Transaction, now_ms

TOKEN_BYTES = 32
# Long enough for a game page to load and its server to call user/info, short enough that a
# launch URL found later in a browser's history or a log opens nothing.
LAUNCH_TTL_S = 120


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


@dataclass(frozen=True, slots=True)
class Exchanged:
    token: str  # the new session token: the provider's for every later call
    session: GameSession


class NotExchanged(Enum):
    """Why a launch token gave no session."""

    UNKNOWN = "unknown"  # never issued to this provider, or issued for another user
    USED = "used"  # exchanged before: a launch token opens one session only
    ENDED = "ended"  # expired, or revoked before it was exchanged


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def launch(
    db: Database, provider_id: str, player_id: int, game_code: str, currency: str
) -> Launched:
    """A launch token for the provider's launch URL, good for one exchange."""
    token = rng.token_urlsafe(TOKEN_BYTES)
    created = now_ms()
    expires = created + LAUNCH_TTL_S * 1000
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO provider_launches (token_hash, provider_id, player_id, game_code,"
            " currency, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (token_hash(token), provider_id, player_id, game_code, currency, created, expires),
        )
    return Launched(token, expires)


async def exchange(
    db: Database, provider_id: str, launch_token: str, user: str | None, session_ttl_s: int
) -> Exchanged | NotExchanged:
    """The session a launch token opens, once. The check and the mark are one write
    transaction, so of two exchanges racing (two workers, a replayed launch URL) one wins."""
    hashed = token_hash(launch_token)
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "SELECT player_id, game_code, currency, expires_at, exchanged_at, revoked_at"
            " FROM provider_launches WHERE token_hash = ? AND provider_id = ?",
            (hashed, provider_id),
        )
        if row is None or (user is not None and user != str(row[0])):
            return NotExchanged.UNKNOWN  # another user's launch is not even consumed
        if row[4] is not None:
            return NotExchanged.USED
        now = now_ms()
        if row[5] is not None or now >= int(row[3]):
            return NotExchanged.ENDED
        await tx.execute(
            "UPDATE provider_launches SET exchanged_at = ? WHERE token_hash = ?", (now, hashed)
        )
        token = rng.token_urlsafe(TOKEN_BYTES)
        expires = now + session_ttl_s * 1000
        player_id, game_code, currency = int(row[0]), str(row[1]), str(row[2])
        await tx.execute(
            "INSERT INTO provider_sessions (token_hash, provider_id, player_id, game_code,"
            " currency, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (token_hash(token), provider_id, player_id, game_code, currency, now, expires),
        )
    return Exchanged(
        token, GameSession(provider_id, player_id, game_code, currency, expires, revoked=False)
    )


async def resolve(db: Database, provider_id: str, token: str) -> GameSession | None:
    """The session of `token` if this provider was given it (another provider's token is
    as unknown as a made-up one, and so is a launch token)."""
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


async def revoke_provider_sessions(tx: Transaction, player_id: int, reason: str) -> int:
    """End every live provider session and unexchanged launch of a player, inside the
    caller's transaction (the change that ends the player's access); the sessions ended.
    From now on they refuse user/info, balance and bets; wins and rollbacks of bets already
    taken still settle. Registered with accounts at wiring time (`Accounts.on_access_ended`),
    so every cause (logout, password change, a restricted or self-excluded account) reaches
    it."""
    now = now_ms()
    await tx.execute(
        "UPDATE provider_launches SET revoked_at = ? WHERE player_id = ?"
        " AND exchanged_at IS NULL AND revoked_at IS NULL AND expires_at > ?",
        (now, player_id, now),
    )
    return await tx.execute(
        "UPDATE provider_sessions SET revoked_at = ?, revoked_reason = ? WHERE player_id = ?"
        " AND revoked_at IS NULL AND expires_at > ?",
        (now, reason, player_id, now),
    )
