"""Two-factor login for players: TOTP (totp.py) with single-use recovery codes.

Turning it on is two steps, so a player cannot lock themselves out with a secret
their app never read: `setup` stores a new secret (sealed, secret_box.py) that is
not in use yet, `enable` takes a code from the app, switches it on and returns ten
recovery codes, shown once (only their hashes are kept). Once on, a login needs a
code (`check`, the seam `Accounts.second_factor`), and so does turning it off
(with the password). A TOTP code is taken once: the step it was accepted for is
written with a compare-and-set (`totp_last_step < step`), so two requests racing
with one code cannot both pass; a recovery code is spent the same way
(`used_at IS NULL`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from protocol.errors import ErrorCode, Refused
from server.accounts import totp
from server.accounts.passwords import verify_password
from server.accounts.secret_box import SecretBox
from server.accounts.service import Player
from server.events import outbox
from server.events.catalogue import TwoFactorChanged
from server.storage.database import Database, Transaction, now_ms

MAX_CODE = 32


def wrong_code() -> Refused:
    return Refused(ErrorCode.INVALID_TWO_FACTOR_CODE, "the two-factor code is not valid")


@dataclass(frozen=True, slots=True)
class Setup:
    secret: str  # base32, for typing into an app
    uri: str  # otpauth://, for a QR code


class TwoFactor:
    def __init__(self, db: Database, box: SecretBox) -> None:
        self.db = db
        self.box = box

    def now(self) -> float:
        """The time codes are judged at (a test overrides it)."""
        return time.time()

    async def enabled(self, player_id: int) -> bool:
        row = await self.db.fetchone(
            "SELECT totp_enabled_at FROM players WHERE id = ?", (player_id,)
        )
        return row is not None and row[0] is not None

    async def setup(self, player: Player) -> Setup:
        if await self.enabled(player.id):
            raise Refused(ErrorCode.VALIDATION_FAILED, "two-factor login is already on")
        secret = totp.new_secret()
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE players SET totp_secret = ?, totp_last_step = 0 WHERE id = ?",
                (self.box.seal(secret, player.id), player.id),
            )
        return Setup(totp.base32(secret), totp.otpauth_uri(secret, player.username))

    async def enable(self, player: Player, code: str) -> list[str]:
        """Switch on with a first code from the app; the recovery codes, shown once."""
        row = await self.db.fetchone(
            "SELECT totp_secret, totp_enabled_at FROM players WHERE id = ?", (player.id,)
        )
        if row is None or row[0] is None:
            raise Refused(ErrorCode.VALIDATION_FAILED, "start two-factor set-up first")
        if row[1] is not None:
            raise Refused(ErrorCode.VALIDATION_FAILED, "two-factor login is already on")
        step = totp.matching_step(self.box.open(str(row[0]), player.id), code, self.now(), 0)
        if step is None:
            raise wrong_code()
        codes = totp.new_recovery_codes()
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE players SET totp_enabled_at = ?, totp_last_step = ? WHERE id = ?"
                " AND totp_enabled_at IS NULL AND totp_secret = ?",
                (now_ms(), step, player.id, row[0]),
            )
            if not changed:
                raise Refused(ErrorCode.VALIDATION_FAILED, "set-up changed meanwhile: start again")
            await tx.execute("DELETE FROM recovery_codes WHERE player_id = ?", (player.id,))
            await tx.executemany(
                "INSERT INTO recovery_codes (player_id, code_hash) VALUES (?, ?)",
                [(player.id, totp.recovery_hash(c)) for c in codes],
            )
            await _emit(tx, player.id, "enabled")
        return codes

    async def disable(self, player: Player, password: str, code: str) -> None:
        row = await self.db.fetchone("SELECT password_hash FROM players WHERE id = ?", (player.id,))
        if row is None or not await verify_password(str(row[0]), password):
            raise Refused(ErrorCode.INVALID_CREDENTIALS, "the password is wrong")
        if not await self.enabled(player.id):
            raise Refused(ErrorCode.VALIDATION_FAILED, "two-factor login is not on")
        async with self.db.transaction() as tx:
            await self._spend(tx, player.id, code)
            await tx.execute(
                "UPDATE players SET totp_secret = NULL, totp_enabled_at = NULL,"
                " totp_last_step = 0 WHERE id = ?",
                (player.id,),
            )
            await tx.execute("DELETE FROM recovery_codes WHERE player_id = ?", (player.id,))
            await _emit(tx, player.id, "disabled")

    async def check(self, player_id: int, code: str | None) -> None:
        """The login seam: nothing to do when two-factor is off; else `code` must pass."""
        if not await self.enabled(player_id):
            return
        if not code:
            raise Refused(
                ErrorCode.TWO_FACTOR_REQUIRED, "enter the code from your authenticator app"
            )
        async with self.db.transaction() as tx:
            await self._spend(tx, player_id, code)

    async def _spend(self, tx: Transaction, player_id: int, code: str) -> None:
        """Accept `code` once, in `tx`: a TOTP code of an unused adjacent step, or an unspent
        recovery code; else INVALID_TWO_FACTOR_CODE."""
        code = code.strip().replace(" ", "")[:MAX_CODE]
        if totp.looks_like_recovery_code(code):
            spent = await tx.execute(
                "UPDATE recovery_codes SET used_at = ? WHERE player_id = ? AND code_hash = ?"
                " AND used_at IS NULL",
                (now_ms(), player_id, totp.recovery_hash(code)),
            )
            if not spent:
                raise wrong_code()
            await _emit(tx, player_id, "recovery_code_used")
            return
        row = await tx.fetchone(
            "SELECT totp_secret, totp_last_step FROM players WHERE id = ?", (player_id,)
        )
        if row is None or row[0] is None:
            raise wrong_code()
        secret = self.box.open(str(row[0]), player_id)
        step = totp.matching_step(secret, code, self.now(), int(row[1]))
        if step is None:
            raise wrong_code()
        taken = await tx.execute(
            "UPDATE players SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?",
            (step, player_id, step),
        )
        if not taken:
            raise wrong_code()


async def _emit(tx: Transaction, player_id: int, change: str) -> None:
    await outbox.emit(
        tx,
        TwoFactorChanged(
            id=outbox.new_id("two_factor"), player_id=player_id, at_ms=now_ms(),
            change=change,  # type: ignore[arg-type]
        ),
    )  # fmt: skip
