"""The emails of the accounts domain: who gets which template, in which language, with
which link. Links point at the browser client (`/?verify=...`, `/?reset=...`), on
CASINO_PUBLIC_URL when set, else on the address the request came to. Every mail is
posted (sent in the background, server/mail/smtp.py), so no reply waits on SMTP.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.mail.smtp import Mailer
from server.mail.templates import DEFAULT_LANGUAGE, render
from server.storage.database import Database


@dataclass(frozen=True, slots=True)
class Recipient:
    email: str
    username: str
    language: str


class Notices:
    def __init__(
        self, db: Database, mailer: Mailer, public_url: str, verify_ttl_s: int, reset_ttl_s: int
    ) -> None:
        self.db = db
        self.mailer = mailer
        self.public_url = public_url
        self.verify_ttl_s = verify_ttl_s
        self.reset_ttl_s = reset_ttl_s

    async def recipient(self, player_id: int) -> Recipient | None:
        row = await self.db.fetchone(
            "SELECT email, username, language FROM players WHERE id = ?", (player_id,)
        )
        if row is None:
            return None
        return Recipient(str(row[0]), str(row[1]), str(row[2] or DEFAULT_LANGUAGE))

    def link(self, base_url: str, parameter: str, token: str) -> str:
        return f"{(self.public_url or base_url).rstrip('/')}/?{parameter}={token}"

    def post(self, kind: str, to: Recipient, **values: str) -> None:
        self.mailer.post(render(kind, to.language, to.email, username=to.username, **values))

    def verification(self, to: Recipient, base_url: str, token: str) -> None:
        link = self.link(base_url, "verify", token)
        self.post("verify_email", to, link=link, hours=str(self.verify_ttl_s // 3600 or 1))

    def reset(self, to: Recipient, base_url: str, token: str) -> None:
        link = self.link(base_url, "reset", token)
        self.post("reset_password", to, link=link, minutes=str(self.reset_ttl_s // 60 or 1))

    async def password_changed(self, player_id: int) -> None:
        to = await self.recipient(player_id)
        if to is not None:
            self.post("password_changed", to)

    async def new_device(self, player_id: int, user_agent: str, address: str) -> None:
        to = await self.recipient(player_id)
        if to is not None:
            self.post("new_device", to, device=user_agent or "an unnamed device", address=address)
