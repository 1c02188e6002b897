"""A player's own login sessions: the list (device, address, last seen) and ending them.

A session is named to its player by the first 16 hex digits of its token's hash: enough
to tell a player's sessions apart, nothing that logs anyone in. Ending sessions revokes
them here; the route then closes their sockets (a `forced_logout` push per session).
"""

from __future__ import annotations

from typing import Any

from protocol.errors import ErrorCode, Refused
from server.accounts.service import Accounts, token_hash
from server.events import outbox
from server.events.catalogue import SessionEnded
from server.storage.database import Database, Transaction, now_ms

ID_CHARS = 16
ENDED_BY_PLAYER = "ended_by_player"


class MySessions:
    def __init__(self, db: Database, accounts: Accounts) -> None:
        self.db = db
        self.accounts = accounts

    async def listing(self, player_id: int, token: str) -> list[dict[str, Any]]:
        current = token_hash(token)
        rows = await self.db.fetchall(
            "SELECT token_hash, device_id, address, user_agent, created_at,"
            " coalesce(last_seen_at, created_at), expires_at FROM sessions"
            " WHERE player_id = ? AND revoked_at IS NULL AND expires_at > ?"
            " ORDER BY coalesce(last_seen_at, created_at) DESC",
            (player_id, now_ms()),
        )
        return [
            {
                "id": str(row[0])[:ID_CHARS], "current": row[0] == current,
                "device": str(row[3]) or "unknown device", "device_id": str(row[1])[:12],
                "address": row[2], "created_at": row[4], "last_seen_at": row[5],
                "expires_at": row[6],
            }
            for row in rows
        ]  # fmt: skip

    async def end(self, player_id: int, session_id: str, token: str) -> list[str]:
        """End one of the player's sessions (not the current one: that is a logout)."""
        if len(session_id) != ID_CHARS or not all(c in "0123456789abcdef" for c in session_id):
            raise Refused(ErrorCode.NOT_FOUND, "no such session")
        if token_hash(token).startswith(session_id):
            raise Refused(
                ErrorCode.VALIDATION_FAILED, "this is the current session: log out instead"
            )
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                "SELECT token_hash FROM sessions WHERE player_id = ? AND revoked_at IS NULL"
                " AND expires_at > ? AND substr(token_hash, 1, 16) = ?",
                (player_id, now_ms(), session_id),
            )
            if not rows:
                raise Refused(ErrorCode.NOT_FOUND, "no such session")
            for (hashed,) in rows:
                await tx.execute(
                    "UPDATE sessions SET revoked_at = ? WHERE token_hash = ?", (now_ms(), hashed)
                )
            await _emit(tx, player_id, len(rows))
        return [str(hashed) for (hashed,) in rows]

    async def end_others(self, player_id: int, token: str) -> list[str]:
        async with self.db.transaction() as tx:
            ended = await self.accounts.end_sessions(
                tx, player_id, token_hash(token), ENDED_BY_PLAYER
            )
            await _emit(tx, player_id, len(ended))
        return ended


async def _emit(tx: Transaction, player_id: int, count: int) -> None:
    await outbox.emit(
        tx,
        SessionEnded(
            id=outbox.new_id("session_ended"), player_id=player_id, at_ms=now_ms(),
            sessions_ended=count, reason=ENDED_BY_PLAYER,
        ),
    )  # fmt: skip
