"""The KYC rules that refuse a withdrawal or a deposit before any money moves.

Each is an async function of the database and the request's player and amount,
returning a `Refused` (KYC_REQUIRED, with `required` and `level`) or None.
KYC is a domain and payments another, so neither imports the other: the wiring
adapts these to the payments seam (`WITHDRAWAL_RULES` in server/payments/rules.py)
and to money's deposit seam (server/money/deposit_rules.py, where the deposit rule reads
through the deposit's own write transaction). The levels they need come from
server/kyc/levels.py; `demanded_refusal` holds a level another domain demands of one player
(a fraud alert's `require_kyc`, composed by the wiring) to the same seams.
"""

from __future__ import annotations

from protocol.errors import ErrorCode, Refused
from server.kyc.levels import (
    LEVEL_NAMES,
    Action,
    country_of,
    jurisdiction,
    level_of,
    required_level,
)
from server.storage.database import Database, Transaction


async def _refusal(
    db: Database | Transaction, player_id: int, action: Action, amount: int
) -> Refused | None:
    required = required_level(await country_of(db, player_id), action, amount)
    return await _below(db, player_id, action, required)


async def _below(
    db: Database | Transaction, player_id: int, action: Action, required: int
) -> Refused | None:
    level = await level_of(db, player_id)
    if level >= required:
        return None
    return Refused(
        ErrorCode.KYC_REQUIRED,
        f"this {action} needs KYC level {required} ({LEVEL_NAMES[required]} verified);"
        f" yours is {level}",
        required=required,
        level=level,
    )


async def withdrawal_refusal(db: Database, player_id: int, amount: int) -> Refused | None:
    return await _refusal(db, player_id, Action.WITHDRAW, amount)


async def deposit_refusal(
    db: Database | Transaction, player_id: int, amount: int
) -> Refused | None:
    return await _refusal(db, player_id, Action.DEPOSIT, amount)


async def demanded_refusal(
    db: Database | Transaction, player_id: int, action: Action, amount: int, demanded: int
) -> Refused | None:
    """A level demanded of this player beyond the jurisdiction's: it holds for any withdrawal
    and for a deposit above the large-deposit threshold, until the player reaches it."""
    threshold = jurisdiction(await country_of(db, player_id)).large_deposit
    if action is Action.DEPOSIT and amount <= threshold:
        return None
    return await _below(db, player_id, action, demanded)
