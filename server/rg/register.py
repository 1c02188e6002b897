"""The national self-exclusion register (GAMSTOP), asked at registration and at login.

Owns the client of the register's operator API and the rule built on it; the
accounts domain runs the rule through its access-check hook (wired in
`server/app.py`), so accounts never imports this module. The rule:

- Only players of a country the register covers are asked (GAMSTOP: Great
  Britain, `GB`); anyone else passes without a call.
- `Y` (self-excluded now) refuses with SELF_EXCLUDED: no account is created, no
  session opened. `P` (previously excluded) and `N` (not registered) pass.
- The register unreachable (no answer after the retries, a 5xx, our key
  refused, an answer it should not give): **live** refuses with
  SERVICE_UNAVAILABLE (fail closed: a person the register would exclude must not
  slip in while it is down); **sandbox** lets the person in and logs a warning
  (play money, and its register is a test double a developer may have stopped).
  With no register configured, live refuses every covered player the same way,
  sandbox asks nobody.
- `Y`, `P` and unreachable are recorded: a `register_check` event through the
  outbox and an audit entry, in one transaction. `N` is not (a check per login
  would double the rows logins write, and the register keeps its own record of
  every request under its unique id).

It never logs or records the email or birth date it sent: the event carries the
register's unique id for the request instead, which the register can resolve.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import httpx

from protocol.errors import ErrorCode, Refused
from server.audit import trail
from server.config import Mode, Settings
from server.events import outbox
from server.events.catalogue import RegisterChecked
from server.storage.database import Database, now_ms

log = logging.getLogger(__name__)

# Countries whose players the register covers; a register of another country would be a
# second client beside this one, chosen by the same table.
COUNTRIES = frozenset({"GB"})
RETRIES = 2  # attempts after the first: a check is read-only, so retrying is always safe
BACKOFF_S = 0.1  # before the first retry; doubled each time
PATH = "/v2"

Stage = Literal["registration", "login"]


class Answer(StrEnum):
    """The register's `X-Exclusion` header."""

    EXCLUDED = "Y"
    NOT_REGISTERED = "N"
    PREVIOUSLY_EXCLUDED = "P"


@dataclass(frozen=True, slots=True)
class Checked:
    answer: Answer
    unique_id: str  # the register's `X-Unique-Id` for this one request


class RegisterUnavailable(RuntimeError):
    """No usable answer from the register: its state for this person is unknown."""


class RegisterClient:
    """The register's operator API: one form-encoded POST per person, answer in headers."""

    def __init__(
        self, base_url: str, api_key: str, timeout_s: float, retries: int = RETRIES
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.retries = retries

    async def check(self, email: str, date_of_birth: str) -> Checked:
        """Ask about one person; RegisterUnavailable when no attempt gave an answer."""
        # A client per check: registrations and logins are rare next to bets, and no
        # connection is left to close at shutdown.
        async with httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(self.timeout_s),
            headers={"X-API-Key": self.api_key},
        ) as http:
            delay = BACKOFF_S
            last = "no attempt"
            for attempt in range(self.retries + 1):
                if attempt:
                    await asyncio.sleep(delay)
                    delay *= 2
                try:
                    response = await http.post(
                        PATH,
                        data={
                            "firstName": "", "lastName": "", "dateOfBirth": date_of_birth,
                            "email": email, "postcode": "", "mobile": "",
                        },
                    )  # fmt: skip
                except httpx.HTTPError as error:  # timeout, refused, reply dropped
                    last = type(error).__name__
                    log.warning("self-exclusion register attempt %d: %s", attempt + 1, last)
                    continue
                if response.status_code >= 500 or response.status_code == 429:
                    last = f"HTTP {response.status_code}"
                    log.warning("self-exclusion register attempt %d: %s", attempt + 1, last)
                    continue
                if response.status_code in (401, 403):
                    log.error(
                        "the self-exclusion register refused our API key (HTTP %d): check"
                        " CASINO_EXCLUSION_REGISTER_KEY",
                        response.status_code,
                    )
                    raise RegisterUnavailable(f"API key refused: HTTP {response.status_code}")
                return _checked(response)
        raise RegisterUnavailable(f"no answer after {self.retries + 1} tries: {last}")


def _checked(response: httpx.Response) -> Checked:
    if response.status_code != 200:
        raise RegisterUnavailable(f"HTTP {response.status_code}: {response.text[:200]}")
    try:
        answer = Answer(response.headers.get("x-exclusion", ""))
    except ValueError:
        raise RegisterUnavailable("the answer carries no X-Exclusion of Y, N or P") from None
    return Checked(answer, response.headers.get("x-unique-id", ""))


class RegisterGate:
    """The access check accounts run before creating an account and opening a session
    (`Accounts.on_access_check`)."""

    def __init__(self, db: Database, client: RegisterClient | None, fail_closed: bool) -> None:
        self.db = db
        self.client = client
        self.fail_closed = fail_closed

    @classmethod
    def from_settings(cls, db: Database, settings: Settings) -> RegisterGate:
        client = None
        if settings.exclusion_register_url:
            client = RegisterClient(
                settings.exclusion_register_url,
                settings.exclusion_register_key,
                settings.exclusion_register_timeout_ms / 1000,
            )
        return cls(db, client, fail_closed=settings.mode is Mode.LIVE)

    async def __call__(
        self,
        *,
        stage: Stage,
        player_id: int | None,
        email: str,
        date_of_birth: str,
        country: str,
        address: str,
    ) -> None:
        if country not in COUNTRIES:
            return
        try:
            if self.client is None:
                raise RegisterUnavailable("no register configured (CASINO_EXCLUSION_REGISTER_URL)")
            checked = await self.client.check(email, date_of_birth)
        except RegisterUnavailable as error:
            if self.client is None and not self.fail_closed:
                return  # a sandbox without a register asks nobody
            await self._record(stage, player_id, "unavailable", "", address)
            if self.fail_closed:
                log.error("self-exclusion register unavailable, %s refused: %s", stage, error)
                raise Refused(
                    ErrorCode.SERVICE_UNAVAILABLE,
                    "the national self-exclusion register cannot be reached: try again later",
                ) from None
            log.warning("self-exclusion register unavailable, %s let through: %s", stage, error)
            return
        if checked.answer is Answer.EXCLUDED:
            await self._record(stage, player_id, "excluded", checked.unique_id, address)
            raise Refused(
                ErrorCode.SELF_EXCLUDED,
                "you are registered with the national self-exclusion scheme (GAMSTOP):"
                " you cannot open an account or log in while it lasts",
                reference=checked.unique_id,
            )
        if checked.answer is Answer.PREVIOUSLY_EXCLUDED:
            await self._record(stage, player_id, "previously_excluded", checked.unique_id, address)

    async def _record(
        self,
        stage: Stage,
        player_id: int | None,
        answer: Literal["excluded", "previously_excluded", "unavailable"],
        unique_id: str,
        address: str,
    ) -> None:
        event_id = f"register:{unique_id}" if unique_id else outbox.new_id("register")
        subject = f"player:{player_id}" if player_id is not None else "applicant"
        async with self.db.transaction() as tx:
            # player_id 0: refused before any account existed (at registration).
            await outbox.emit(
                tx,
                RegisterChecked(
                    id=event_id, player_id=player_id or 0, at_ms=now_ms(), stage=stage,
                    answer=answer, reference=unique_id, address=address,
                ),
            )  # fmt: skip
            await trail.record(
                tx, "rule:register", f"register_check:{stage}", subject, answer, address,
                {"reference": unique_id},
            )  # fmt: skip
