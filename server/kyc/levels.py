"""KYC levels, and what each jurisdiction requires of them: the one table of it, and its questions.

Level 0 is a registered player, 1 a verified identity, 2 a verified address and
source of funds. Which level an action needs is data, keyed by the player's
country (ISO 3166 alpha-2) with a `DEFAULT` row: a regulator's rule is a row
here, never a branch in code. `required_level` is pure, so the withdrawal and
deposit rules (server/kyc/rules.py), the player's KYC screen ("what is needed
and why") and the tests read one answer. Amounts are minor units of the
player's currency (the thresholds are set in euro cents and read as such for
every currency: a known simplification until FX exists).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from server.storage.database import Database, Transaction

REGISTERED, IDENTITY, ADDRESS_AND_FUNDS = 0, 1, 2
LEVEL_NAMES = {REGISTERED: "registered", IDENTITY: "identity", ADDRESS_AND_FUNDS: "address"}


class Action(StrEnum):
    WITHDRAW = "withdraw"
    DEPOSIT = "deposit"


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    """What a country requires: the level for any withdrawal, for any deposit, and for a
    deposit above `large_deposit` (minor units); a blocked country is never verified."""

    withdraw: int = IDENTITY
    deposit: int = REGISTERED
    large_deposit: int = 200_000  # EUR 2,000: the casino CDD threshold (UK MLR 2017 reg. 27)
    large_deposit_level: int = ADDRESS_AND_FUNDS
    blocked: bool = False
    minimum_age: int = 18


DEFAULT = "DEFAULT"
JURISDICTIONS: dict[str, Jurisdiction] = {
    DEFAULT: Jurisdiction(),
    # Great Britain: the Gambling Commission requires identity before any gambling (LCCP 2019).
    "GB": Jurisdiction(deposit=IDENTITY),
    # Sweden: Spelinspektionen requires identity before play; age 18.
    "SE": Jurisdiction(deposit=IDENTITY),
    # Estonia and Germany: 21 for online casino games in some states; here a stricter age.
    "EE": Jurisdiction(minimum_age=21),
    # Countries this operator does not serve (sanctions or no licence).
    "US": Jurisdiction(blocked=True),
    "KP": Jurisdiction(blocked=True),
    "IR": Jurisdiction(blocked=True),
}


def jurisdiction(country: str) -> Jurisdiction:
    return JURISDICTIONS.get(country.upper(), JURISDICTIONS[DEFAULT])


def required_level(country: str, action: Action | str, amount: int) -> int:
    """The KYC level `action` of `amount` minor units needs in `country`."""
    rules = jurisdiction(country)
    if Action(action) is Action.WITHDRAW:
        return rules.withdraw
    if amount > rules.large_deposit:
        return max(rules.deposit, rules.large_deposit_level)
    return rules.deposit


def needs(country: str) -> list[dict[str, object]]:
    """What the player's country asks, in words for the KYC screen: each action, its level
    and why."""
    rules = jurisdiction(country)
    found: list[dict[str, object]] = [
        {"action": "withdraw", "level": rules.withdraw, "why": "any withdrawal"},
        {
            "action": "deposit",
            "level": max(rules.deposit, rules.large_deposit_level),
            "above": rules.large_deposit,
            "why": f"a deposit above {rules.large_deposit // 100}.00",
        },
    ]
    if rules.deposit:
        found.append({"action": "deposit", "level": rules.deposit, "why": "any deposit"})
    return found


async def level_of(db: Database | Transaction, player_id: int) -> int:
    """The player's verified KYC level (0 without any review)."""
    row = await db.fetchone("SELECT level FROM kyc_status WHERE player_id = ?", (player_id,))
    return int(row[0]) if row else REGISTERED


async def country_of(db: Database | Transaction, player_id: int) -> str:
    row = await db.fetchone("SELECT country FROM players WHERE id = ?", (player_id,))
    return str(row[0]) if row else DEFAULT
