"""A sandbox national self-exclusion register: its own HTTP process, answering as GAMSTOP does.

It stands in for GAMSTOP's operator API (version 2) so the server's checks at
registration and login can be tried, and broken, without the real register.
Like GAMSTOP: one `POST /v2` per person, a form-encoded body (`firstName`,
`lastName`, `dateOfBirth` as YYYY-MM-DD, `email`, `postcode`, `mobile`), the
operator's key in `X-API-Key`, and the answer in the reply's headers, not its
body: `X-Exclusion` is `Y` (self-excluded now), `N` (not registered) or `P`
(previously self-excluded, no longer), and `X-Unique-Id` names this one
request, so the operator can quote it back to the register. A missing or wrong
key is 403, a malformed body 400. Unlike GAMSTOP it needs only `dateOfBirth`
and `email` (the server collects no name, postcode or mobile yet; the others
are taken and ignored when sent).

The test data choose the answer, by the email's local part (before the `@`),
whatever its case: containing `previous` -> `P`; else containing `excluded`
-> `Y`; anything else -> `N`. So `previously.excluded@example.com` is `P` and
`self.excluded@example.com` is `Y`. A test may also set one email's answer at run
time with `POST /admin/exclusions` `{"email": ..., "answer": "Y"|"N"|"P"}` (a
person who self-excludes after signing up).

It takes test keys only (`SANDBOX_REGISTER_KEY` in its environment, never on
the command line where `ps` shows it; default the published
`register_test_sandbox`). A test sets a fault at run time with
`POST /admin/faults` (`slow`, `dead`, or `none`, optionally for a number of
calls), and reads how many checks were answered with `GET /admin/checks`. It
keeps nothing on disk; bind it to 127.0.0.1.

    python -m clients.sandbox_register --port 8200 [--host H]
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import os
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import rng
from clients import sandbox_listen

# The published key of a register started without one; the server's default in sandbox mode
# (server/config.py SANDBOX_REGISTER_KEY holds the same).
DEFAULT_KEY = "register_test_sandbox"
TEST_KEY_PREFIX = "register_test_"
FAULTS = ("none", "slow", "dead")
FIELDS = ("firstName", "lastName", "dateOfBirth", "email", "postcode", "mobile")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def answer_for(email: str) -> str:
    """The register's answer for this person: Y, N or P (see the module's doc)."""
    local = email.partition("@")[0].lower()
    if "previous" in local:
        return "P"
    if "excluded" in local:
        return "Y"
    return "N"


@dataclass(slots=True)
class Fault:
    mode: str = "none"
    delay_ms: int = 0
    remaining: int = -1  # calls the fault still applies to; -1 until cleared

    def take(self) -> str:
        if self.mode == "none" or self.remaining == 0:
            return "none"
        if self.remaining > 0:
            self.remaining -= 1
        return self.mode


@dataclass(slots=True)
class Counts:
    answered: dict[str, int] = field(default_factory=lambda: {"Y": 0, "N": 0, "P": 0})
    set_answers: dict[str, str] = field(default_factory=dict)  # lower-cased email -> answer


def _json(data: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(data), status, media_type="application/json")


def create_app(key: str = DEFAULT_KEY) -> Starlette:
    if not key.startswith(TEST_KEY_PREFIX):
        raise ValueError(f"the sandbox register takes a {TEST_KEY_PREFIX}... key only")
    fault = Fault()
    counts = Counts()

    async def check(request: Request) -> Response:
        given = request.headers.get("x-api-key", "")
        if not given or not hmac.compare_digest(given.encode(), key.encode()):
            return Response("Invalid API key", 403, media_type="text/plain")
        mode = fault.take()
        if mode == "dead":
            return Response("Service unavailable", 503, media_type="text/plain")
        # Parsed here: Starlette's form parser needs python-multipart, which nothing else uses.
        form = parse_qs((await request.body()).decode(errors="replace"))
        values = {name: (form.get(name) or [""])[0].strip() for name in FIELDS}
        if not _DATE.fullmatch(values["dateOfBirth"]):
            return Response("dateOfBirth must be YYYY-MM-DD", 400, media_type="text/plain")
        if not _EMAIL.fullmatch(values["email"]):
            return Response("email is required", 400, media_type="text/plain")
        email = values["email"].lower()
        exclusion = counts.set_answers.get(email) or answer_for(email)
        counts.answered[exclusion] += 1
        if mode == "slow":  # the answer is ready; only its delivery is late
            await asyncio.sleep(fault.delay_ms / 1000)
        unique_id = f"{rng.randbytes(8).hex()}-{rng.randbytes(4).hex()}"
        return Response(
            b"",
            200,
            headers={"X-Exclusion": exclusion, "X-Unique-Id": unique_id},
        )

    async def set_fault(request: Request) -> Response:
        data = msgspec.json.decode(await request.body())
        if not isinstance(data, dict) or data.get("mode") not in FAULTS:
            return _json({"error": f"mode must be one of {', '.join(FAULTS)}"}, 422)
        fault.mode = str(data["mode"])
        fault.delay_ms = int(data.get("delay_ms", 0))
        fault.remaining = int(data.get("times", -1))
        return _json({"mode": fault.mode, "delay_ms": fault.delay_ms, "times": fault.remaining})

    async def set_answer(request: Request) -> Response:
        data = msgspec.json.decode(await request.body())
        if not isinstance(data, dict) or data.get("answer") not in ("Y", "N", "P"):
            return _json({"error": "send {email, answer: Y|N|P}"}, 422)
        counts.set_answers[str(data.get("email", "")).lower()] = str(data["answer"])
        return _json({"email": data.get("email"), "answer": data["answer"]})

    async def answered(request: Request) -> Response:
        return _json(counts.answered)

    async def health(request: Request) -> Response:
        return _json({"status": "ok"})

    return Starlette(
        routes=[
            Route("/v2", check, methods=["POST"]),
            Route("/admin/faults", set_fault, methods=["POST"]),
            Route("/admin/checks", answered, methods=["GET"]),
            Route("/admin/exclusions", set_answer, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sandbox_listen.add_arguments(parser)
    args = parser.parse_args(argv)
    key = os.environ.get("SANDBOX_REGISTER_KEY") or DEFAULT_KEY
    if not key.startswith(TEST_KEY_PREFIX):
        parser.error(f"SANDBOX_REGISTER_KEY must be a test key ({TEST_KEY_PREFIX}...)")
    sandbox_listen.serve(create_app(key), args)


if __name__ == "__main__":
    main()
