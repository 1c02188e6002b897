"""The withdrawal rule of the accounts domain: no withdrawal before the player's email
address is verified, in the jurisdictions (player countries) CASINO_VERIFIED_EMAIL_FOR_WITHDRAWAL
names (`*` every one). Deposits are never held back by it: a player may fund and play
first. Registered in payments' WITHDRAWAL_RULES at wiring time (server/app.py), so
neither domain imports the other.
"""

from __future__ import annotations

from typing import Protocol

from protocol.errors import ErrorCode, Refused
from server.storage.database import Database


class Request(Protocol):
    @property
    def player_id(self) -> int: ...


class VerifiedEmailRule:
    def __init__(self, db: Database, countries: tuple[str, ...]) -> None:
        self.db = db
        self.countries = countries

    def applies_to(self, country: str) -> bool:
        return "*" in self.countries or country.upper() in self.countries

    async def __call__(self, request: Request) -> Refused | None:
        if not self.countries:
            return None
        row = await self.db.fetchone(
            "SELECT country, email_verified_at FROM players WHERE id = ?", (request.player_id,)
        )
        if row is None or row[1] is not None or not self.applies_to(str(row[0])):
            return None
        return Refused(
            ErrorCode.WITHDRAWAL_REFUSED,
            "verify your email address first: follow the link we sent (or ask for a new one)",
            reason="email_not_verified",
        )
