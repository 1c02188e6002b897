"""Player management for staff: find a player, read everything the back office shows of
one (profile, balances, open login sessions, KYC, alerts, notes), write a note.

Reads only, apart from notes: suspending and reinstating go through accounts' `set_status`
(which ends the player's access in the same transaction) from the routes, so the one place
that restricts an account stays the one place.
"""

from __future__ import annotations

from typing import Any

from server.kyc import levels
from server.money.hot import HotWallet
from server.storage.database import Database, Transaction, now_ms

NOTE_MAX = 2_000


async def search(db: Database, query: str, limit: int = 20) -> list[dict[str, Any]]:
    """Players whose id, username or email is `query` (names and emails case-insensitively,
    also by their start), or who made a payment with that gateway reference."""
    text = query.strip()
    player_id = int(text) if text.isdigit() and len(text) <= 18 else None
    rows = await db.fetchall(
        "SELECT id, username, email, country, currency, status, created_at FROM players"
        " WHERE id = ? OR lower(username) = lower(?) OR lower(email) = lower(?)"
        " OR lower(username) LIKE lower(?) || '%' OR lower(email) LIKE lower(?) || '%'"
        " OR id IN (SELECT player_id FROM payments WHERE gateway_reference = ?)"
        " ORDER BY id LIMIT ?",
        (player_id, text, text, text, text, text, limit),
    )
    return [_summary(row) for row in rows]


def _summary(row: tuple[Any, ...]) -> dict[str, Any]:
    return {
        "player_id": int(row[0]), "username": str(row[1]), "email": str(row[2]),
        "country": str(row[3]), "currency": str(row[4]), "status": str(row[5]),
        "created_at": int(row[6]),
    }  # fmt: skip


async def profile(db: Database, hot: HotWallet, player_id: int) -> dict[str, Any] | None:
    """Everything the back office shows of one player, or None when there is none."""
    row = await db.fetchone(
        "SELECT id, username, email, country, currency, status, created_at FROM players"
        " WHERE id = ?",
        (player_id,),
    )
    if row is None:
        return None
    found = _summary(row)
    currency = found["currency"]
    sessions = await db.fetchall(
        "SELECT created_at, expires_at FROM sessions WHERE player_id = ? AND revoked_at IS NULL"
        " AND expires_at > ? ORDER BY created_at DESC LIMIT 20",
        (player_id, now_ms()),
    )
    alerts = await db.fetchall(
        "SELECT id, rule, severity, status, action, raised_at FROM risk_alerts"
        " WHERE player_id = ? ORDER BY id DESC LIMIT 20",
        (player_id,),
    )
    return {
        **found,
        "balances": {
            "cash": await hot.balance(player_id, currency),
            "bonus": await hot.bonus(player_id, currency),
            "locked": await hot.locked(player_id, currency),
            "currency": currency,
        },
        "kyc_level": await levels.level_of(db, player_id),
        "sessions": [{"created_at": int(s[0]), "expires_at": int(s[1])} for s in sessions],
        "alerts": [
            {
                "id": int(a[0]),
                "rule": str(a[1]),
                "severity": str(a[2]),
                "status": str(a[3]),
                "action": str(a[4]),
                "created_at": int(a[5]),
            }
            for a in alerts
        ],
        "notes": await notes(db, player_id),
    }


async def notes(db: Database, player_id: int) -> list[dict[str, Any]]:
    rows = await db.fetchall(
        "SELECT id, author, text, created_at FROM staff_notes WHERE player_id = ?"
        " ORDER BY id DESC LIMIT 100",
        (player_id,),
    )
    return [
        {"id": int(r[0]), "author": str(r[1]), "text": str(r[2]), "created_at": int(r[3])}
        for r in rows
    ]


async def add_note(tx: Transaction, player_id: int, author: str, text: str) -> int:
    note_id = await tx.insert(
        "INSERT INTO staff_notes (player_id, author, text, created_at) VALUES (?, ?, ?, ?)",
        (player_id, author, text, now_ms()),
    )
    assert note_id is not None
    return note_id
