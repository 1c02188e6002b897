"""The withdrawal rules of the accounts domain: no withdrawal before the player's email
address is verified, in the jurisdictions (player countries) CASINO_VERIFIED_EMAIL_FOR_WITHDRAWAL
names (`*` every one); and, for a player with two-factor login on, no withdrawal to a payment
method never withdrawn to before without their current code (`NewMethodSecondFactor`), so a
stolen session cannot send the balance somewhere new. Deposits are never held back by them:
a player may fund and play first. Registered in payments' WITHDRAWAL_RULES at wiring time
(server/app.py), so neither domain imports the other.
"""

from __future__ import annotations

from typing import Protocol

from protocol.errors import ErrorCode, Refused
from server.accounts.two_factor import TwoFactor
from server.storage.database import Database


class Request(Protocol):
    @property
    def player_id(self) -> int: ...


class MethodRequest(Request, Protocol):
    @property
    def new_method(self) -> bool: ...  # nothing was ever withdrawn to this method

    @property
    def code(self) -> str | None: ...  # the two-factor code the request carried, if any


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


class NewMethodSecondFactor:
    """A withdrawal to a new method needs the player's two-factor code when two-factor is on:
    TWO_FACTOR_REQUIRED without one, INVALID_TWO_FACTOR_CODE for a wrong or used one. The code
    is spent here (each code once), so this rule goes last of the seam's rules: a refusal by
    one after it costs the player only waiting for the next code."""

    def __init__(self, two_factor: TwoFactor) -> None:
        self.two_factor = two_factor

    async def __call__(self, request: MethodRequest) -> Refused | None:
        if not request.new_method or not await self.two_factor.enabled(request.player_id):
            return None
        if not request.code:
            return Refused(
                ErrorCode.TWO_FACTOR_REQUIRED,
                "a withdrawal to a new payment method needs the code from your authenticator app",
                reason="new_payment_method",
            )
        try:
            await self.two_factor.check(request.player_id, request.code)
        except Refused as refused:
            return refused
        return None
