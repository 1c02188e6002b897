"""Single-use, expiring links sent by email: verify an address, reset a password.

A token is 256 bits from `rng`, handed out once inside a link; only its SHA-256 is
stored, so the table logs nobody in. Redeeming marks it used in the same statement
that checks it is unused (`used_at IS NULL`), inside the caller's transaction, so
two clicks racing redeem it once. Issuing a new link of one purpose retires the
player's older ones, so only the newest email works.
"""

from __future__ import annotations

from dataclasses import dataclass

import rng
from protocol.errors import ErrorCode, Refused
from server.accounts.service import token_hash
from server.storage.database import Transaction, now_ms

VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"  # noqa: S105 (a purpose, not a password)


@dataclass(frozen=True, slots=True)
class Redeemed:
    player_id: int
    email: str


async def issue(tx: Transaction, player_id: int, purpose: str, email: str, ttl_ms: int) -> str:
    now = now_ms()
    await tx.execute(
        "UPDATE account_tokens SET used_at = ? WHERE player_id = ? AND purpose = ?"
        " AND used_at IS NULL",
        (now, player_id, purpose),
    )
    token = rng.token_urlsafe(32)
    await tx.execute(
        "INSERT INTO account_tokens (token_hash, player_id, purpose, email, created_at,"
        " expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        (token_hash(token), player_id, purpose, email, now, now + ttl_ms),
    )
    return token


async def redeem(tx: Transaction, token: str, purpose: str) -> Redeemed:
    """Use `token` up, or refuse: INVALID_LINK (unknown, used, another purpose) or
    LINK_EXPIRED. A refusal changes nothing."""
    hashed = token_hash(token)
    row = await tx.fetchone(
        "SELECT player_id, email, expires_at, used_at FROM account_tokens"
        " WHERE token_hash = ? AND purpose = ?",
        (hashed, purpose),
    )
    if row is None or row[3] is not None:
        raise Refused(ErrorCode.INVALID_LINK, "this link is not valid (or was already used)")
    now = now_ms()
    if int(row[2]) <= now:
        raise Refused(ErrorCode.LINK_EXPIRED, "this link has expired: ask for a new one")
    used = await tx.execute(
        "UPDATE account_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL",
        (now, hashed),
    )
    if not used:  # another request redeemed it between our read and this write
        raise Refused(ErrorCode.INVALID_LINK, "this link is not valid (or was already used)")
    return Redeemed(int(row[0]), str(row[1]))
