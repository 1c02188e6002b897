"""Player accounts and login sessions.

Owns the `players` and `sessions` tables. Session tokens are 256 random bits
from the CSPRNG, handed to the client once; only their SHA-256 is stored, so
a copy of the database logs nobody in. Tokens expire and can be revoked.

Usernames and emails are unique whatever their case (the database's indexes on
`lower(...)` decide, so two registrations racing cannot both win), and a login
name matches whatever its case. Accounts that shared a name before that rule
(migration 0011) are kept and flagged in `username_clash` / `email_clash`: the
exact spelling logs each one in, any other spelling the oldest.

Whatever ends a player's access (logout, a password change, a status other than
active) also ends what other domains opened for the player: they register an
`AccessEnded` hook at wiring time, and it runs inside the same transaction as
the change, so both happen or neither does.

Who may have an account or a session at all is for other domains to say too (the
national self-exclusion register): they register an `AccessCheck` at wiring time,
run before an account is created and before a login's session opens; it raises
`Refused` to turn the person away.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

import rng
from protocol.errors import ErrorCode, Refused, wait_minutes
from server.accounts.lockout import Locked, Lockout, RegistrationLimit, account_key, address_key
from server.accounts.passwords import hash_password, verify_password
from server.accounts.rules import Registration, check_password
from server.events import outbox
from server.events.catalogue import LoggedInV2, Registered, StatusChanged
from server.money.wallet import Wallet
from server.storage.database import Database, IntegrityError, Transaction, now_ms

log = logging.getLogger(__name__)

# `players.status`: only an active player may stake (server/money/stake_rules.py) or launch.
# A closed account (server/staff/closure.py) also logs nobody in, and stays closed.
STATUSES = ("active", "restricted", "disabled", "closed")
CLOSED = "closed"

# Runs in the transaction that ends a player's access: (transaction, player id, reason).
AccessEnded = Callable[[Transaction, int, str], Awaitable[object]]

# Runs after a profile's name, date of birth or country is set (registration included):
# (player id, full name or None, date of birth ISO, country, client address).
ProfileSet = Callable[[int, str | None, str, str, str], Awaitable[object]]
# Asked after a right password: refuses TWO_FACTOR_REQUIRED or INVALID_TWO_FACTOR_CODE.
SecondFactor = Callable[[int, str | None], Awaitable[None]]
# Told of a login from a device the player never used: (player id, user agent, address).
NewDevice = Callable[[int, str, str], Awaitable[None]]


class AccessCheck(Protocol):
    """Asked before an account is created (`player_id` None) and before a session opens, with
    the person's details as given or stored; raises `Refused` to turn them away."""

    async def __call__(
        self,
        *,
        stage: Literal["registration", "login"],
        player_id: int | None,
        email: str,
        date_of_birth: str,
        country: str,
        address: str,
    ) -> None: ...


# Why access ended (kept with what it ended, e.g. `provider_sessions.revoked_reason`).
LOGOUT = "logout"
PASSWORD_CHANGED = "password_changed"  # noqa: S105 (a reason, not a password)
PASSWORD_RESET = "password_reset"  # noqa: S105 (a reason, not a password)


def login_locked(retry_after: int) -> Refused:
    return Refused(
        ErrorCode.LOGIN_LOCKED,
        f"too many failed logins: retry in {retry_after} s",
        retry_after=retry_after,
        params={"minutes": wait_minutes(retry_after)},
    )


def registration_limited(retry_after: int) -> Refused:
    return Refused(
        ErrorCode.REGISTRATION_LIMITED,
        f"too many registrations from this address: retry in {retry_after} s",
        retry_after=retry_after,
        params={"minutes": wait_minutes(retry_after)},
    )


@dataclass(frozen=True, slots=True)
class Player:
    id: int
    username: str
    email: str
    currency: str
    country: str
    status: str


@dataclass(frozen=True, slots=True)
class Session:
    token: str
    player_id: int
    expires_at: int  # ms since the epoch


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _player(row: tuple[object, ...]) -> Player:
    return Player(int(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4]), str(row[5]))  # type: ignore[call-overload]


class Accounts:
    def __init__(
        self,
        db: Database,
        wallet: Wallet,
        session_ttl_s: int,
        *,
        lockout: Lockout,
        registrations: RegistrationLimit,
    ) -> None:
        self.db = db
        self.wallet = wallet
        self.session_ttl_ms = session_ttl_s * 1000
        self.lockout = lockout
        self.registrations = registrations
        self._access_ended: list[AccessEnded] = []
        self._profile_set: list[ProfileSet] = []
        self._access_checks: list[AccessCheck] = []
        # Wiring (server/app.py) plugs in the account-care features: each is optional.
        self.second_factor: SecondFactor | None = None
        self.new_device: NewDevice | None = None
        self.password_changed: Callable[[int], Awaitable[None]] | None = None

    def on_profile_set(self, hook: ProfileSet) -> None:
        """Wiring: run `hook` after every change of name, date of birth or country (AML
        screening), once the change committed."""
        self._profile_set.append(hook)

    def on_access_ended(self, hook: AccessEnded) -> None:
        """Wiring: run `hook` in every transaction that ends a player's access."""
        self._access_ended.append(hook)

    def on_access_check(self, check: AccessCheck) -> None:
        """Wiring: ask `check` before every registration and every login's session."""
        self._access_checks.append(check)

    async def _end_access(self, tx: Transaction, player_id: int, reason: str) -> None:
        for hook in self._access_ended:
            await hook(tx, player_id, reason)

    async def register(self, reg: Registration, address: str) -> Player:
        """A new account, counted against `address`'s registrations before any work is done."""
        try:
            await self.registrations.attempt(address)
        except Locked as locked:
            raise registration_limited(locked.retry_after) from None
        for check in self._access_checks:
            await check(
                stage="registration", player_id=None, email=reg.email,
                date_of_birth=reg.date_of_birth.isoformat(), country=reg.country, address=address,
            )  # fmt: skip
        password_hash = await hash_password(reg.password)
        try:
            async with self.db.transaction() as tx:
                player_id = await tx.insert(
                    "INSERT INTO players (email, username, password_hash, date_of_birth, country,"
                    " currency, created_at, full_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        reg.email, reg.username, password_hash, reg.date_of_birth.isoformat(),
                        reg.country, reg.currency, now_ms(), reg.full_name,
                    ),
                )  # fmt: skip
                assert player_id is not None
                await outbox.emit(
                    tx,
                    Registered(
                        id=f"registered:{player_id}", player_id=player_id, at_ms=now_ms(),
                        country=reg.country, currency=reg.currency, address=address,
                    ),
                )  # fmt: skip
        except IntegrityError as error:
            raise duplicate(str(error)) from None
        assert player_id is not None
        await self.wallet.ensure_hot(player_id, reg.currency)
        for hook in self._profile_set:
            await hook(
                player_id, reg.full_name, reg.date_of_birth.isoformat(), reg.country, address
            )
        return Player(player_id, reg.username, reg.email, reg.currency, reg.country, "active")

    async def login(
        self,
        login: str,
        password: str,
        address: str,
        user_agent: str = "",
        *,
        device_id: str = "",
        code: str | None = None,
    ) -> Session:
        """A new session for an email or username (any case) and its password, sent from
        `address`. Every attempt on an existing account emits a login event (ok, failed or
        locked); one on a name that matches no account has no player to report it for.

        An account with two-factor login also needs `code` (asked for only once the password
        was right, so the question reveals nothing to a guesser); a wrong code counts as a
        failed login. A login from a `device_id` the player never logged in from is told to
        the `new_device` hook (which emails the player)."""
        name = login.strip()
        # A client without a device id (a script, an older client) is told apart by its agent.
        device = device_id[:DEVICE_ID_KEPT] or f"ua:{token_hash(user_agent)[:16]}"
        # The exact spelling first: an account flagged as a clash is reached only by it.
        row = await self.db.fetchone(
            "SELECT id, password_hash, status, email, date_of_birth, country FROM players"
            " WHERE lower(email) = lower(?) OR lower(username) = lower(?)"
            " ORDER BY CASE WHEN username = ? OR email = ? THEN 0 ELSE 1 END,"
            " username_clash, email_clash, id LIMIT 1",
            (name, name, name, name),
        )
        account = account_key(int(row[0]) if row else None, login)
        try:
            await self.lockout.attempt(account, address_key(address))
        except Locked as locked:
            if row is not None:
                await self._login_refused(int(row[0]), address, user_agent, device, "locked")
            raise login_locked(locked.retry_after) from None
        if not await verify_password(str(row[1]) if row else None, password) or row is None:
            if row is not None:
                await self._login_refused(int(row[0]), address, user_agent, device, "failed")
            raise Refused(ErrorCode.INVALID_CREDENTIALS, "wrong login or password")
        player_id = int(row[0])
        if str(row[2]) == CLOSED:  # said only once the password was right: it is about them
            raise Refused(ErrorCode.ACCOUNT_CLOSED, "this account is closed")
        # TWO_FACTOR_REQUIRED leaves this attempt counted: were it cleared, someone holding
        # the password could reset the count before every batch of code guesses.
        if self.second_factor is not None:
            try:
                await self.second_factor(player_id, code)
            except Refused as refused:
                if refused.code is ErrorCode.INVALID_TWO_FACTOR_CODE:
                    await self._login_refused(player_id, address, user_agent, device, "failed")
                raise
        await self.lockout.succeeded(account, address_key(address))
        # Only once the password is right: the answer says something about the person.
        for check in self._access_checks:
            await check(
                stage="login", player_id=int(row[0]), email=str(row[3]),
                date_of_birth=str(row[4]), country=str(row[5]), address=address,
            )  # fmt: skip
        token = rng.token_urlsafe(32)
        created = now_ms()
        expires = created + self.session_ttl_ms
        async with self.db.transaction() as tx:
            known = await tx.fetchone(
                "SELECT count(*), sum(CASE WHEN device_id = ? THEN 1 ELSE 0 END) FROM sessions"
                " WHERE player_id = ?",
                (device, player_id),
            )
            await tx.execute(
                "INSERT INTO sessions (token_hash, player_id, created_at, expires_at, device_id,"
                " address, user_agent, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    token_hash(token), player_id, created, expires, device, address,
                    user_agent[:USER_AGENT_KEPT], created,
                ),
            )  # fmt: skip
            await outbox.emit(
                tx, _login_event(player_id, address, user_agent, device, "ok", created)
            )
        # The first login of an account is no news; a device never seen before is.
        if known is not None and int(known[0]) > 0 and not known[1] and self.new_device:
            await self.new_device(player_id, user_agent[:USER_AGENT_KEPT], address)
        return Session(token, player_id, expires)

    async def _login_refused(
        self,
        player_id: int,
        address: str,
        user_agent: str,
        device: str,
        outcome: Literal["failed", "locked"],
    ) -> None:
        event = _login_event(player_id, address, user_agent, device, outcome, now_ms())
        async with self.db.transaction() as tx:
            await outbox.emit(tx, event)

    async def change_password(
        self, player: Player, token: str, current: str, new: str, address: str
    ) -> list[str]:
        """Replace the password and revoke every other live session of the player; the
        revoked sessions' token hashes (the session of `token` stays).

        The current password is checked under the same lockout as a login, so a stolen
        session token cannot be used to guess it."""
        row = await self.db.fetchone("SELECT password_hash FROM players WHERE id = ?", (player.id,))
        if row is None:
            raise Refused(ErrorCode.INVALID_TOKEN, "session token is not valid")
        account = account_key(player.id, player.username)
        try:
            await self.lockout.attempt(account, address_key(address))
        except Locked as locked:
            raise login_locked(locked.retry_after) from None
        if not await verify_password(str(row[0]), current):
            raise Refused(ErrorCode.INVALID_CREDENTIALS, "current password is wrong")
        await self.lockout.succeeded(account, address_key(address))
        check_password(new, player.username, player.email, field="new_password")
        if await verify_password(str(row[0]), new):
            raise Refused(
                ErrorCode.WEAK_PASSWORD,
                "new password must differ from the old",
                field="new_password",
            )
        new_hash = await hash_password(new)
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE players SET password_hash = ? WHERE id = ?", (new_hash, player.id)
            )
            revoked = await self.end_sessions(tx, player.id, token_hash(token), PASSWORD_CHANGED)
        if self.password_changed is not None:
            await self.password_changed(player.id)
        return revoked

    async def end_sessions(
        self, tx: Transaction, player_id: int, keep: str | None, reason: str
    ) -> list[str]:
        """Revoke every live session of the player but the one whose hash is `keep` (all of
        them when None), in `tx`; the revoked sessions' hashes. After a password change or
        reset, what the player's access opened elsewhere (provider games) ends too: whoever
        knew the old password may have opened it."""
        now = now_ms()
        revoked = await tx.fetchall(
            "SELECT token_hash FROM sessions WHERE player_id = ? AND token_hash <> ?"
            " AND revoked_at IS NULL AND expires_at > ?",
            (player_id, keep or "", now),
        )
        await tx.execute(
            "UPDATE sessions SET revoked_at = ? WHERE player_id = ? AND token_hash <> ?"
            " AND revoked_at IS NULL",
            (now, player_id, keep or ""),
        )
        if reason in (PASSWORD_CHANGED, PASSWORD_RESET):
            await self._end_access(tx, player_id, reason)
        return [str(hashed) for (hashed,) in revoked]

    async def logout(self, token: str) -> None:
        """Revoke a login session, and with it everything the player's access opened
        elsewhere (a provider's game sessions)."""
        hashed = token_hash(token)
        async with self.db.transaction() as tx:
            revoked = await tx.execute(
                "UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
                (now_ms(), hashed),
            )
            row = await tx.fetchone(
                "SELECT player_id FROM sessions WHERE token_hash = ?", (hashed,)
            )
            if revoked and row is not None:
                await self._end_access(tx, int(row[0]), LOGOUT)

    async def set_status(self, player_id: int, status: str, reason: str) -> None:
        """Restrict, disable or reopen an account. Any status but active ends the player's
        access elsewhere in the same transaction (`reason` is kept with what it ended); the
        place for every later feature that restricts an account (self-exclusion, a time-out,
        a fraud hold) to call. Closing also ends every login session. A closed account stays
        closed: reopening it is refused (ACCOUNT_CLOSED); a restriction, or closing it again,
        changes nothing (an automated rule hitting a closed account has nothing left to do)."""
        if status not in STATUSES:
            raise ValueError(f"status is one of {', '.join(STATUSES)}")
        async with self.db.transaction() as tx:
            row = await tx.fetchone("SELECT status FROM players WHERE id = ?", (player_id,))
            if row is None:
                raise Refused(ErrorCode.NOT_FOUND, f"no player {player_id}")
            if str(row[0]) == CLOSED:
                if status != "active":
                    return
                raise Refused(ErrorCode.ACCOUNT_CLOSED, f"player {player_id} is closed")
            await tx.execute("UPDATE players SET status = ? WHERE id = ?", (status, player_id))
            if status == CLOSED:
                await self.end_sessions(tx, player_id, None, reason)
            if status != "active":
                await self._end_access(tx, player_id, reason)
            await outbox.emit(
                tx,
                StatusChanged(
                    id=outbox.new_id("status"), player_id=player_id, at_ms=now_ms(),
                    status=status, reason=reason,
                ),
            )  # fmt: skip
        log.info("player %d status set to %s (%s)", player_id, status, reason)

    async def authenticate(self, token: str) -> Player:
        """The player a live session token belongs to; refuses unknown, revoked or expired."""
        player, _ = await self.authenticate_session(token)
        return player

    async def authenticate_session(self, token: str) -> tuple[Player, int]:
        """The player and the session's expiry (ms) for a live token."""
        hashed = token_hash(token)
        row = await self.db.fetchone(
            "SELECT s.expires_at, s.revoked_at, p.id, p.username, p.email, p.currency, p.country,"
            " p.status, s.last_seen_at FROM sessions s JOIN players p ON p.id = s.player_id"
            " WHERE s.token_hash = ?",
            (hashed,),
        )
        if row is None or row[1] is not None:
            raise Refused(ErrorCode.INVALID_TOKEN, "session token is not valid")
        now = now_ms()
        if int(row[0]) <= now:
            raise Refused(ErrorCode.TOKEN_EXPIRED, "session token has expired")
        if row[8] is None or int(row[8]) < now - LAST_SEEN_EVERY_MS:
            # "Last seen" is for people: a write a minute at most, not one per request.
            async with self.db.transaction() as tx:
                await tx.execute(
                    "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", (now, hashed)
                )
        return _player(row[2:8]), int(row[0])

    async def player(self, player_id: int) -> Player | None:
        row = await self.db.fetchone(
            "SELECT id, username, email, currency, country, status FROM players WHERE id = ?",
            (player_id,),
        )
        return _player(row) if row else None


# A User-Agent header may be kilobytes long; an event keeps enough of it to tell devices apart.
USER_AGENT_KEPT = 256
DEVICE_ID_KEPT = 64
LAST_SEEN_EVERY_MS = 60_000


def _login_event(
    player_id: int,
    address: str,
    user_agent: str,
    device: str,
    outcome: Literal["ok", "failed", "locked"],
    at_ms: int,
) -> LoggedInV2:
    return LoggedInV2(
        id=outbox.new_id("login"), player_id=player_id, at_ms=at_ms, address=address,
        user_agent=user_agent[:USER_AGENT_KEPT], outcome=outcome, device_id=device,
    )  # fmt: skip


def duplicate(detail: str) -> Refused:
    """The refusal an IntegrityError of the players table stands for."""
    # The exact-spelling constraints of 0001 or the case-insensitive indexes of 0011.
    # SQLite names the column (players.email), PostgreSQL the constraint (players_email_key).
    if "players.email" in detail or "players_email_key" in detail or "players_email_ci" in detail:
        return Refused(ErrorCode.EMAIL_TAKEN, "an account with this email already exists")
    if any(name in detail for name in ("players.username", "players_username_")):
        return Refused(ErrorCode.USERNAME_TAKEN, "this username is taken")
    return Refused(ErrorCode.VALIDATION_FAILED, "registration conflicts with an existing account")


def today_utc() -> datetime:
    return datetime.now(UTC)
