"""Staff accounts, apart from players: creation, login with password and second factor,
sessions that expire, and lock-out.

A staff member has a name, one role (server/staff/roles.py), an argon2 password and a TOTP
second factor that is always on: `create` returns the secret and ten recovery codes once,
and only the sealed secret and the codes' SHA-256 are kept. A login needs the password and
a code (a TOTP code of an adjacent, unused step, or an unspent recovery code); it is
counted by the same Redis lock-out players have, under keys of its own (`{staff:...}`), so
a guesser gets `limit` tries per window on a name (known or not) and per address. A
session's bearer token is kept as its SHA-256 only and expires `session_ttl_s` after the
login; logout ends it at once, and a disabled account's sessions stop working.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import rng
from protocol.errors import ErrorCode, Refused
from server.accounts import totp
from server.accounts.lockout import Locked, Lockout
from server.accounts.passwords import hash_password, verify_password
from server.accounts.secret_box import SecretBox
from server.accounts.service import login_locked
from server.staff.roles import Role
from server.storage.database import Database, Transaction, now_ms

MAX_NAME = 64
MIN_PASSWORD = 12  # staff reach every player's data: a longer minimum than players'
MAX_PASSWORD = 1024
MAX_CODE = 32


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: int  # 0: the automation key (CASINO_STAFF_TOKEN), which has no account
    name: str
    role: Role

    @property
    def actor(self) -> str:
        """Who this is on the audit trail."""
        return f"staff:{self.name}"


@dataclass(frozen=True, slots=True)
class Created:
    member: StaffMember
    totp_secret: str  # base32, for an authenticator app; shown once
    otpauth_uri: str
    recovery_codes: list[str]  # shown once


@dataclass(frozen=True, slots=True)
class Session:
    token: str
    member: StaffMember
    expires_at: int  # ms since the epoch


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def valid_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME or not all(c.isalnum() or c in "._-" for c in name):
        raise Refused(
            ErrorCode.VALIDATION_FAILED,
            f"a staff name is 1-{MAX_NAME} letters, digits, dots, dashes or underscores",
            field="name",
        )
    if name.lower() == "automation":  # the automation key's name on the audit trail
        raise Refused(ErrorCode.USERNAME_TAKEN, "automation is reserved", field="name")
    return name


def account_key(name: str) -> str:
    # By the name's hash, known or not, so a lock says nothing about who exists.
    digest = hashlib.sha256(name.strip().lower().encode()).hexdigest()[:32]
    return f"{{staff:n:{digest}}}:login_attempts"


def address_key(address: str) -> str:
    return f"{{staff:a:{address}}}:login_attempts"


def _wrong() -> Refused:
    # One answer for a wrong name, password or code: which one was wrong is not told.
    return Refused(ErrorCode.INVALID_CREDENTIALS, "wrong name, password or code")


class StaffAccounts:
    def __init__(self, db: Database, box: SecretBox, lockout: Lockout, session_ttl_s: int) -> None:
        self.db = db
        self.box = box
        self.lockout = lockout
        self.session_ttl_ms = session_ttl_s * 1000

    def now(self) -> float:
        """The clock TOTP codes are judged by (a test may move it)."""
        return time.time()

    def _seal(self, secret: bytes, staff_id: int) -> str:
        # Bound to the negative id: no player has one, so a player's sealed secret copied
        # into a staff row does not open, nor the other way round.
        return self.box.seal(secret, -staff_id)

    async def create(self, name: str, role: Role, password: str) -> Created:
        name = valid_name(name)
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise Refused(
                ErrorCode.WEAK_PASSWORD,
                f"a staff password is {MIN_PASSWORD}-{MAX_PASSWORD} characters",
                field="password",
            )
        password_hash = await hash_password(password)
        secret = totp.new_secret()
        codes = totp.new_recovery_codes()
        async with self.db.transaction() as tx:
            taken = await tx.fetchone(
                "SELECT id FROM staff_accounts WHERE lower(name) = lower(?)", (name,)
            )
            if taken is not None:
                raise Refused(ErrorCode.USERNAME_TAKEN, f"staff member {name} exists")
            staff_id = await tx.insert(
                "INSERT INTO staff_accounts (name, role, password_hash, totp_secret, created_at)"
                " VALUES (?, ?, ?, '', ?)",
                (name, role.value, password_hash, now_ms()),
            )
            assert staff_id is not None
            await tx.execute(
                "UPDATE staff_accounts SET totp_secret = ? WHERE id = ?",
                (self._seal(secret, staff_id), staff_id),
            )
            await tx.executemany(
                "INSERT INTO staff_recovery_codes (staff_id, code_hash) VALUES (?, ?)",
                [(staff_id, totp.recovery_hash(code)) for code in codes],
            )
        return Created(
            StaffMember(staff_id, name, role),
            totp.base32(secret),
            totp.otpauth_uri(secret, name, "Casino staff"),
            codes,
        )

    async def login(self, name: str, password: str, code: str, address: str) -> Session:
        """A new session, or INVALID_CREDENTIALS (name, password or code wrong) or
        LOGIN_LOCKED; every attempt counts until one succeeds."""
        account = account_key(name)
        try:
            await self.lockout.attempt(account, address_key(address))
        except Locked as locked:
            raise login_locked(locked.retry_after) from None
        row = await self.db.fetchone(
            "SELECT id, name, role, password_hash FROM staff_accounts"
            " WHERE lower(name) = lower(?) AND disabled_at IS NULL",
            (name.strip(),),
        )
        if not await verify_password(str(row[3]) if row else None, password) or row is None:
            raise _wrong()
        member = StaffMember(int(row[0]), str(row[1]), Role(str(row[2])))
        token = rng.token_urlsafe(32)
        created = now_ms()
        expires = created + self.session_ttl_ms
        async with self.db.transaction() as tx:
            await self._spend(tx, member.id, code)
            await tx.execute(
                "INSERT INTO staff_sessions (token_hash, staff_id, address, created_at,"
                " expires_at) VALUES (?, ?, ?, ?, ?)",
                (token_hash(token), member.id, address, created, expires),
            )
        await self.lockout.succeeded(account, address_key(address))
        return Session(token, member, expires)

    async def _spend(self, tx: Transaction, staff_id: int, code: str) -> None:
        """Accept `code` once: a TOTP code of an unused adjacent step, or an unspent
        recovery code; else INVALID_CREDENTIALS (rolling the login back)."""
        code = code.strip().replace(" ", "")[:MAX_CODE]
        if totp.looks_like_recovery_code(code):
            spent = await tx.execute(
                "UPDATE staff_recovery_codes SET used_at = ? WHERE staff_id = ?"
                " AND code_hash = ? AND used_at IS NULL",
                (now_ms(), staff_id, totp.recovery_hash(code)),
            )
            if not spent:
                raise _wrong()
            return
        row = await tx.fetchone(
            "SELECT totp_secret, totp_last_step FROM staff_accounts WHERE id = ?", (staff_id,)
        )
        assert row is not None
        secret = self.box.open(str(row[0]), -staff_id)
        step = totp.matching_step(secret, code, self.now(), int(row[1]))
        if step is None:
            raise _wrong()
        taken = await tx.execute(
            "UPDATE staff_accounts SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?",
            (step, staff_id, step),
        )
        if not taken:
            raise _wrong()

    async def authenticate(self, token: str) -> StaffMember | None:
        """The staff member whose live session `token` is, or None (unknown, ended,
        expired, or the account disabled)."""
        row = await self.db.fetchone(
            "SELECT a.id, a.name, a.role FROM staff_sessions s"
            " JOIN staff_accounts a ON a.id = s.staff_id"
            " WHERE s.token_hash = ? AND s.ended_at IS NULL AND s.expires_at > ?"
            " AND a.disabled_at IS NULL",
            (token_hash(token), now_ms()),
        )
        return None if row is None else StaffMember(int(row[0]), str(row[1]), Role(str(row[2])))

    async def logout(self, token: str) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE staff_sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL",
                (now_ms(), token_hash(token)),
            )

    async def disable(self, name: str) -> bool:
        """Disable an account (its sessions stop at once); False when there is none."""
        async with self.db.transaction() as tx:
            return bool(
                await tx.execute(
                    "UPDATE staff_accounts SET disabled_at = ? WHERE lower(name) = lower(?)"
                    " AND disabled_at IS NULL",
                    (now_ms(), name.strip()),
                )
            )

    async def listing(self) -> list[tuple[StaffMember, bool]]:
        """Every account, with whether it is enabled, by name."""
        rows = await self.db.fetchall(
            "SELECT id, name, role, disabled_at FROM staff_accounts ORDER BY name"
        )
        return [(StaffMember(int(r[0]), str(r[1]), Role(str(r[2]))), r[3] is None) for r in rows]
