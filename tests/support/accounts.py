"""What the account tests share: a player over plain HTTP, and the sandbox mail sink read
the way a tester reads it (`GET /api/sandbox/mail`), waited for since mail is sent in the
background."""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from server.accounts import totp
from server.storage.database import DatabaseTarget
from tests.conftest import STRONG_PASSWORD, unique
from tests.support import db as test_db


async def register(http: httpx.AsyncClient, country: str = "DE") -> tuple[str, str]:
    """A new player's (username, email); the server mails a verification link at once."""
    name = unique("acc_")
    email = f"{name}@example.com"
    reply = await http.post(
        "/api/players",
        json={"email": email, "username": name, "password": STRONG_PASSWORD,
              "date_of_birth": "1985-06-15", "country": country, "currency": "EUR"},
    )  # fmt: skip
    assert reply.status_code == 201, reply.text
    return name, email


async def login(
    http: httpx.AsyncClient,
    name: str,
    password: str = STRONG_PASSWORD,
    device: str = "device-a",
    code: str | None = None,
    user_agent: str = "TestBrowser/1.0",
) -> httpx.Response:
    body: dict[str, Any] = {"login": name, "password": password, "device_id": device}
    if code is not None:
        body["code"] = code
    return await http.post("/api/sessions", json=body, headers={"User-Agent": user_agent})


async def token_of(http: httpx.AsyncClient, name: str, device: str = "device-a") -> str:
    reply = await login(http, name, device=device)
    assert reply.status_code == 201, reply.text
    return str(reply.json()["token"])


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def mails(http: httpx.AsyncClient, to: str) -> list[dict[str, Any]]:
    reply = await http.get("/api/sandbox/mail", params={"to": to, "limit": 100})
    assert reply.status_code == 200, reply.text
    return list(reply.json()["messages"])


async def mail(
    http: httpx.AsyncClient, to: str, subject: str, count: int = 1, timeout_s: float = 15
) -> dict[str, Any]:
    """The newest message to `to` whose subject contains `subject`, once `count` are there."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = [m for m in await mails(http, to) if subject in m["subject"]]
        if len(found) >= count:
            return found[0]
        assert time.monotonic() < deadline, f"no mail {subject!r} to {to}"
        await asyncio.sleep(0.05)


def link_token(message: dict[str, Any], parameter: str) -> str:
    (link,) = [x for x in message["links"] if f"?{parameter}=" in x]
    return str(parse_qs(urlsplit(link).query)[parameter][0])


def secret_of(setup: dict[str, Any]) -> bytes:
    raw = str(setup["secret"])
    return base64.b32decode(raw + "=" * (-len(raw) % 8))


def code_now(secret: bytes, steps_ahead: int = 0) -> str:
    return totp.code_at(secret, time.time() + steps_ahead * totp.STEP_S)


def events_of(database: DatabaseTarget, player_id: int) -> list[str]:
    rows = test_db.query(
        database, "SELECT kind FROM event_outbox WHERE player_id = ? ORDER BY id", (player_id,)
    )
    return [str(kind) for (kind,) in rows]


def player_id(database: DatabaseTarget, name: str) -> int:
    row = test_db.one(database, "SELECT id FROM players WHERE username = ?", (name,))
    assert row is not None, name
    return int(row[0])


def expire_tokens(database: DatabaseTarget, player: int) -> None:
    """Move every emailed link of the player past its expiry (a test cannot wait 15 min)."""
    with test_db.connect(database) as conn:
        conn.execute(
            "UPDATE account_tokens SET expires_at = expires_at - 100000000 WHERE player_id = ?",
            (player,),
        )
