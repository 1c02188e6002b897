"""What a player may change about themselves: language, postal address and email (verified
again). (A withdrawal to a new payment method needs the second factor whenever it is on:
server/accounts/withdrawal_rule.py; there is no setting for it.) Name and date of birth are
not here on purpose: they identify the player for KYC and change only through a KYC review.

Every change emits `ProfileChanged` with the names of the fields, never their values;
a change of the postal address (`ProfileChangedV2`) also carries digests of it (never the
text), which the fraud monitor links accounts by.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from protocol.errors import ErrorCode, Refused
from server.accounts.lockout import Locked, account_key, address_key
from server.accounts.passwords import verify_password
from server.accounts.rules import EMAIL
from server.accounts.service import Accounts, Player, duplicate, login_locked
from server.events import outbox
from server.events.catalogue import ProfileChanged, ProfileChangedV2
from server.mail.templates import LANGUAGES
from server.storage.database import Database, IntegrityError, now_ms

MAX_ADDRESS = 500
# Fields that identify the player: a KYC review changes them, never the player's own form.
KYC_FIELDS = ("username", "date_of_birth", "first_name", "last_name", "name", "country")


def normalise_address(address: str) -> str:
    """An address as compared for linking accounts: case folded, every run of anything but
    letters and digits one space ("Flat 2,  10 High-St." -> "flat 2 10 high st")."""
    return " ".join(re.sub(r"[\W_]+", " ", address.casefold()).split())


def address_digests(address: str) -> tuple[str, str]:
    """(digest of the normalised address, digest of its normalised first line, up to the
    first comma or line break: the building, for a household): SHA-256, hex; ("", "") for
    no address. The event carries these, never the address."""
    whole = normalise_address(address)
    if not whole:
        return "", ""
    street = normalise_address(re.split(r"[,\n]", address, maxsplit=1)[0]) or whole

    def digest(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    return digest(whole), digest(street)


class Profile:
    def __init__(self, db: Database, accounts: Accounts) -> None:
        self.db = db
        self.accounts = accounts

    async def read(self, player_id: int) -> dict[str, Any]:
        row = await self.db.fetchone(
            "SELECT username, email, email_verified_at, language, postal_address, date_of_birth,"
            " country, totp_enabled_at FROM players WHERE id = ?",
            (player_id,),
        )
        if row is None:
            raise Refused(ErrorCode.NOT_FOUND, "no such player")
        return {
            "username": row[0], "email": row[1], "email_verified": row[2] is not None,
            "language": row[3], "postal_address": row[4], "date_of_birth": row[5],
            "country": row[6], "two_factor": row[7] is not None, "languages": list(LANGUAGES),
        }  # fmt: skip

    async def update(self, player: Player, data: dict[str, Any]) -> list[str]:
        """Apply the fields given (language, postal_address); the names of those changed."""
        for name in KYC_FIELDS:
            if name in data:
                raise Refused(
                    ErrorCode.VALIDATION_FAILED,
                    f"{name} changes only through identity verification (KYC): contact support",
                    field=name,
                )
        changes: dict[str, str] = {}
        if "language" in data:
            language = data["language"]
            if language not in LANGUAGES:
                raise Refused(
                    ErrorCode.VALIDATION_FAILED,
                    f"language is one of {', '.join(LANGUAGES)}",
                    field="language",
                )
            changes["language"] = language
        if "postal_address" in data:
            address = data["postal_address"]
            if not isinstance(address, str) or len(address) > MAX_ADDRESS:
                raise Refused(
                    ErrorCode.VALIDATION_FAILED,
                    f"postal_address is text of at most {MAX_ADDRESS} characters",
                    field="postal_address",
                )
            changes["postal_address"] = address.strip()
        if not changes:
            raise Refused(
                ErrorCode.VALIDATION_FAILED, "nothing to change: language, postal_address"
            )
        address_digest, street_digest = address_digests(changes.get("postal_address", ""))
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE players SET language = coalesce(?, language),"
                " postal_address = coalesce(?, postal_address) WHERE id = ?",
                (changes.get("language"), changes.get("postal_address"), player.id),
            )
            await outbox.emit(
                tx,
                ProfileChangedV2(
                    id=outbox.new_id("profile"), player_id=player.id, at_ms=now_ms(),
                    fields=sorted(changes), address_digest=address_digest,
                    street_digest=street_digest,
                ),
            )  # fmt: skip
        return sorted(changes)

    async def change_email(self, player: Player, password: str, email: str, address: str) -> str:
        """Move the account to a new address, unverified until its link is followed; the
        old address. The password is checked under the login lockout, as for a password
        change: a stolen session must not be able to take the account's mail."""
        email = email.strip().lower()
        if len(email) > 320 or not EMAIL.fullmatch(email):
            raise Refused(ErrorCode.VALIDATION_FAILED, "email address is malformed", field="email")
        row = await self.db.fetchone(
            "SELECT password_hash, email FROM players WHERE id = ?", (player.id,)
        )
        if row is None:
            raise Refused(ErrorCode.INVALID_TOKEN, "session token is not valid")
        account = account_key(player.id, player.username)
        try:
            await self.accounts.lockout.attempt(account, address_key(address))
        except Locked as locked:
            raise login_locked(locked.retry_after) from None
        if not await verify_password(str(row[0]), password):
            raise Refused(ErrorCode.INVALID_CREDENTIALS, "the password is wrong")
        await self.accounts.lockout.succeeded(account, address_key(address))
        if email == str(row[1]).lower():
            raise Refused(ErrorCode.VALIDATION_FAILED, "that is the current address", field="email")
        try:
            async with self.db.transaction() as tx:
                await tx.execute(
                    "UPDATE players SET email = ?, email_verified_at = NULL WHERE id = ?",
                    (email, player.id),
                )
                await outbox.emit(
                    tx,
                    ProfileChanged(
                        id=outbox.new_id("profile"), player_id=player.id, at_ms=now_ms(),
                        fields=["email"],
                    ),
                )  # fmt: skip
        except IntegrityError as error:
            raise duplicate(str(error)) from None
        return str(row[1])
