"""Email verification and password reset: the two features built on emailed links.

Verification: registration (and a change of email) sends a link; following it marks
the address it was sent to as verified. A player may ask for it again, within
`MailLimit`. Until verified, the withdrawal rule (`withdrawal_rule.py`) refuses
withdrawals where the jurisdiction asks for it.

Password reset never tells whether an account exists: a request by any email or
username gets the same status and body, and takes at least `RESET_REPLY_FLOOR_S`
whichever path it took (the mail itself is sent in the background, and the few
milliseconds of a database write hide under the floor). It is counted per address
and per account (an unknown name per hash of the name, like an account), so the
limit's refusal reveals nothing either. Setting the new password uses the link
up, ends every session of the player and what they opened elsewhere, and mails
the player that the password changed.
"""

from __future__ import annotations

import asyncio
import time

from protocol.errors import ErrorCode, Refused, wait_minutes
from server.accounts import tokens
from server.accounts.lockout import Locked, MailLimit, account_key
from server.accounts.notices import Notices, Recipient
from server.accounts.passwords import hash_password
from server.accounts.rules import check_password
from server.accounts.service import PASSWORD_RESET, Accounts, token_hash
from server.events import outbox
from server.events.catalogue import EmailVerified, PasswordReset
from server.storage.database import Database, now_ms

RESET_REPLY_FLOOR_S = 0.4  # above the slowest path's usual time: both paths take this long


def too_many(retry_after: int) -> Refused:
    return Refused(
        ErrorCode.TOO_MANY_REQUESTS,
        f"too many emails asked for: retry in {retry_after} s",
        retry_after=retry_after,
        params={"minutes": wait_minutes(retry_after)},
    )


class Recovery:
    def __init__(
        self,
        db: Database,
        accounts: Accounts,
        notices: Notices,
        limit: MailLimit,
        verify_ttl_s: int,
        reset_ttl_s: int,
    ) -> None:
        self.db = db
        self.accounts = accounts
        self.notices = notices
        self.limit = limit
        self.verify_ttl_ms = verify_ttl_s * 1000
        self.reset_ttl_ms = reset_ttl_s * 1000

    async def send_verification(self, player_id: int, base_url: str) -> None:
        """A fresh verification link to the player's current address (older links die)."""
        to = await self.notices.recipient(player_id)
        if to is None:
            return
        async with self.db.transaction() as tx:
            token = await tokens.issue(
                tx, player_id, tokens.VERIFY_EMAIL, to.email, self.verify_ttl_ms
            )
        self.notices.verification(to, base_url, token)

    async def resend_verification(
        self, player_id: int, username: str, address: str, base_url: str
    ) -> None:
        row = await self.db.fetchone(
            "SELECT email_verified_at FROM players WHERE id = ?", (player_id,)
        )
        if row is not None and row[0] is not None:
            raise Refused(ErrorCode.VALIDATION_FAILED, "the email address is already verified")
        try:
            await self.limit.attempt(account_key(player_id, username), address)
        except Locked as locked:
            raise too_many(locked.retry_after) from None
        await self.send_verification(player_id, base_url)

    async def verify(self, token: str) -> int:
        """Use a verification link up; the player id. Only the address the link was sent to
        is verified: after a change of email, an old link verifies nothing."""
        async with self.db.transaction() as tx:
            redeemed = await tokens.redeem(tx, token, tokens.VERIFY_EMAIL)
            changed = await tx.execute(
                "UPDATE players SET email_verified_at = ? WHERE id = ? AND email = ?"
                " AND email_verified_at IS NULL",
                (now_ms(), redeemed.player_id, redeemed.email),
            )
            if changed:
                await outbox.emit(
                    tx,
                    EmailVerified(
                        id=outbox.new_id("email_verified"), player_id=redeemed.player_id,
                        at_ms=now_ms(),
                    ),
                )  # fmt: skip
        return redeemed.player_id

    async def request_reset(self, login: str, address: str, base_url: str) -> None:
        """Email a reset link to the account `login` names, if there is one. Same answer,
        same time floor, either way."""
        started = time.monotonic()
        try:
            await self._request_reset(login.strip(), address, base_url)
        finally:
            left = RESET_REPLY_FLOOR_S - (time.monotonic() - started)
            if left > 0:
                await asyncio.sleep(left)

    async def _request_reset(self, name: str, address: str, base_url: str) -> None:
        row = await self.db.fetchone(
            "SELECT id, email, username, language FROM players"
            " WHERE lower(email) = lower(?) OR lower(username) = lower(?)"
            " ORDER BY CASE WHEN username = ? OR email = ? THEN 0 ELSE 1 END,"
            " username_clash, email_clash, id LIMIT 1",
            (name, name, name, name),
        )
        try:
            await self.limit.attempt(account_key(int(row[0]) if row else None, name), address)
        except Locked as locked:
            raise too_many(locked.retry_after) from None
        if row is None:
            return
        player_id = int(row[0])
        async with self.db.transaction() as tx:
            token = await tokens.issue(
                tx, player_id, tokens.RESET_PASSWORD, str(row[1]), self.reset_ttl_ms
            )
        self.notices.reset(Recipient(str(row[1]), str(row[2]), str(row[3])), base_url, token)

    async def reset(self, token: str, new_password: str) -> tuple[int, list[str]]:
        """Set the password through a reset link; the player and the hashes of the sessions
        it ended (all of theirs). A weak password is refused before the link is used up."""
        row = await self.db.fetchone(
            "SELECT p.id, p.username, p.email FROM account_tokens t"
            " JOIN players p ON p.id = t.player_id WHERE t.token_hash = ? AND t.purpose = ?",
            (token_hash(token), tokens.RESET_PASSWORD),
        )
        if row is not None:
            check_password(new_password, str(row[1]), str(row[2]), field="new_password")
        new_hash = await hash_password(new_password)  # on both paths: the same work
        async with self.db.transaction() as tx:
            redeemed = await tokens.redeem(tx, token, tokens.RESET_PASSWORD)
            await tx.execute(
                "UPDATE players SET password_hash = ? WHERE id = ?",
                (new_hash, redeemed.player_id),
            )
            ended = await self.accounts.end_sessions(tx, redeemed.player_id, None, PASSWORD_RESET)
            await outbox.emit(
                tx,
                PasswordReset(
                    id=outbox.new_id("password_reset"), player_id=redeemed.player_id,
                    at_ms=now_ms(), sessions_ended=len(ended),
                ),
            )  # fmt: skip
        # The failed logins of the guesser who may have caused this are no longer the owner's.
        await self.accounts.lockout.redis.delete(account_key(redeemed.player_id, ""))
        await self.notices.password_changed(redeemed.player_id)
        return redeemed.player_id, ended
