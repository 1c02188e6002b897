"""Sending mail through the configured SMTP server (CASINO_SMTP_URL), off the event loop.

`smtp://user:pass@host:587` speaks STARTTLS before it authenticates and refuses a
server that does not offer it, unless the host is this machine (the sandbox mail
sink listens on 127.0.0.1 with no TLS); `smtps://host:465` is TLS from the first
byte. smtplib blocks, so each message is sent in a thread. `post` sends in the
background: a request never waits for (or learns from) the mail server, so a
reply takes the same time whether or not a mail went out, and a mail server that
is down costs a log line, not a request. It never logs an address, a link or the
URL's password.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str
    kind: str  # which template: logged instead of the address


@dataclass(frozen=True, slots=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool
    user: str
    password: str

    @classmethod
    def parse(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("an SMTP URL is smtp://[user:pass@]host[:port] or smtps://...")
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit else 587),
            implicit_tls=implicit,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
        )


def message(mail: Mail, sender: str) -> EmailMessage:
    built = EmailMessage()
    built["From"] = sender
    built["To"] = mail.to
    built["Subject"] = mail.subject
    built.set_content(mail.text)
    built.add_alternative(mail.html, subtype="html")
    return built


class Mailer:
    def __init__(
        self,
        smtp_url: str,
        sender: str,
        timeout_s: float = 10.0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.server = SmtpServer.parse(smtp_url) if smtp_url else None
        self.sender = sender
        self.timeout_s = timeout_s
        # The system's trust store, certificate and host name checked; a test passes its own.
        self.tls = tls or ssl.create_default_context()
        self._pending: set[asyncio.Task[None]] = set()

    def _send_now(self, mail: Mail) -> None:
        server = self.server
        if server is None:
            log.warning("no CASINO_SMTP_URL: a %s email was not sent", mail.kind)
            return
        context = self.tls
        smtp: smtplib.SMTP
        if server.implicit_tls:
            smtp = smtplib.SMTP_SSL(
                server.host, server.port, timeout=self.timeout_s, context=context
            )
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=self.timeout_s)
        with smtp:
            smtp.ehlo()
            if not server.implicit_tls:
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
                elif server.host not in LOOPBACK:
                    # A password or a reset link must not cross a network in the clear.
                    raise smtplib.SMTPNotSupportedError("the SMTP server offers no STARTTLS")
            if server.user:
                smtp.login(server.user, server.password)
            smtp.send_message(message(mail, self.sender))

    async def send(self, mail: Mail) -> None:
        await asyncio.to_thread(self._send_now, mail)

    def post(self, mail: Mail) -> None:
        """Send `mail` in the background; a failure is logged (by kind, not address)."""

        async def run() -> None:
            try:
                await self.send(mail)
            except (OSError, smtplib.SMTPException) as error:
                log.warning("a %s email could not be sent: %s", mail.kind, type(error).__name__)

        task = asyncio.create_task(run(), name=f"mail-{mail.kind}")
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        """Wait for the mails posted so far (shutdown)."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
