"""Shared helpers of the provider conformance suite (this module holds no tests).

A `Table` is one launched provider game session: a real player (registered,
logged in, with a sandbox deposit) who launched a sandbox game, and the
sandbox provider's signed client, which exchanged the launch token for the
session token, ready to send bets, wins and rollbacks the way a provider would.
Helpers that reach into the database stand in for what an operator or the
passage of time would do (expire a token, disable a player).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from clients.api import CasinoClient
from clients.provider_sim import ProviderClient, Signer, new_uuid
from server.money import keys
from server.provider import registry
from server.provider.signatures import Scheme
from server.storage.database import Database
from server.storage.redis_client import connect as connect_redis
from tests.conftest import ServerProcess, new_player
from tests.support import db as test_db

SANDBOX = "sandbox"
FRUITS = "sandbox-fruits"  # stakes 10..10_000
DICE = "sandbox-dice"


def db_query(server: ServerProcess, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    return test_db.query(server.database_path, sql, params)


def db_execute(server: ServerProcess, sql: str, params: tuple[Any, ...] = ()) -> None:
    test_db.execute(server.database_path, sql, params)


def sandbox_secret(server: ServerProcess) -> str:
    rows = db_query(server, "SELECT hmac_secret FROM providers WHERE id = ?", (SANDBOX,))
    return str(rows[0][0])


async def add_hmac_provider(server: ServerProcess, status: str = "active") -> tuple[str, str]:
    """Register a fresh HMAC provider in the running server's database: (id, secret)."""
    name = f"p{new_uuid()[:8]}"
    db = Database(server.database_path)
    await db.open()
    try:
        secret = await registry.add(db, name, name, Scheme.HMAC_SHA256, "https://p.invalid/")
        if status != "active":
            await registry.set_status(db, name, status)
    finally:
        await db.close()
    assert secret is not None
    return name, secret


def sandbox_client(server: ServerProcess) -> ProviderClient:
    return ProviderClient(server.base_url, SANDBOX, Signer(secret=sandbox_secret(server)))


async def launch(player: CasinoClient, provider: str, game: str) -> dict[str, str]:
    """The launch URL's parameters: `token` is the single-use launch token."""
    launched = await player.call(
        "POST", "/api/games/launch", {"provider": provider, "game_code": game}
    )
    query = parse_qs(urlsplit(launched["url"]).query)
    return {name: values[0] for name, values in query.items()}


@dataclass
class Table:
    provider: ProviderClient
    player: CasinoClient
    session: dict[str, str]
    round: str = field(default_factory=new_uuid)

    @property
    def token(self) -> str:
        """The session token (the launch token was exchanged for it)."""
        return self.session["token"]

    @property
    def user(self) -> str:
        return self.session["user"]

    def body(self, **fields: Any) -> dict[str, Any]:
        """A transaction body for this session; `fields` override or add."""
        base = {
            "token": self.token,
            "user": self.user,
            "game_code": self.session["game_code"],
            "round": self.round,
            "transaction_uuid": new_uuid(),
        }
        return {**base, **fields}

    async def bet(self, amount: int, **fields: Any) -> dict[str, Any]:
        body = self.body(**{"currency": "EUR", "amount": amount, **fields})
        return await self.provider.transaction("bet", body)

    async def win(self, reference: str, amount: int, **fields: Any) -> dict[str, Any]:
        body = self.body(
            **{"currency": "EUR", "amount": amount, "reference_transaction_uuid": reference,
               **fields}
        )  # fmt: skip
        return await self.provider.transaction("win", body)

    async def rollback(self, reference: str, **fields: Any) -> dict[str, Any]:
        body = self.body(reference_transaction_uuid=reference, **fields)
        return await self.provider.transaction("rollback", body)

    async def send(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        """Send exactly this body (a retry resends the same one)."""
        return await self.provider.transaction(kind, body)

    async def balance(self) -> int:
        return int((await self.player.call("GET", "/api/wallet"))["balance"])


async def seat(server: ServerProcess, deposit: int = 10_000, game: str = FRUITS) -> Table:
    player, _ = await new_player(server.base_url, deposit=deposit)
    provider = sandbox_client(server)
    session = await provider.open_session(await launch(player, SANDBOX, game))
    return Table(provider, player, session)


@pytest.fixture
async def table(casino: ServerProcess) -> AsyncIterator[Table]:
    seated = await seat(casino)
    yield seated
    await seated.provider.aclose()
    await seated.player.http.aclose()


def expire_session(server: ServerProcess, token_owner: str) -> None:
    """Let a player's provider sessions run out, as time would."""
    db_execute(
        server,
        "UPDATE provider_sessions SET expires_at = ? WHERE player_id = ?",
        (int(time.time() * 1000) - 1, int(token_owner)),
    )


async def forget_in_redis(server: ServerProcess, table: Table, *transaction_uuids: str) -> None:
    """Drop what Redis keeps about these transactions of the table's provider and its round,
    as the retention period would: a retry then meets only the durable record."""
    pid, provider = int(table.user), table.provider.provider_id
    doomed = [keys.provider_round(pid, provider, table.round)]
    for tx in transaction_uuids:
        doomed += [keys.provider_tx(pid, provider, tx), keys.provider_claim(provider, tx)]
    client = connect_redis(server.redis.url)
    try:
        await client.delete(*doomed)
    finally:
        await client.aclose()


async def durable_row(
    server: ServerProcess, transaction_uuid: str, timeout_s: float = 5.0
) -> tuple[Any, ...]:
    """The provider_transactions row once the flusher has written it (bounded wait)."""
    deadline = time.monotonic() + timeout_s
    while True:
        rows = db_query(
            server,
            "SELECT kind, amount, status, player_id FROM provider_transactions"
            " WHERE transaction_uuid = ?",
            (transaction_uuid,),
        )
        if rows:
            return tuple(rows[0])
        assert time.monotonic() < deadline, f"{transaction_uuid} never reached the database"
        await asyncio.sleep(0.02)


async def sub_balances(server: ServerProcess, table: Table) -> tuple[int, int]:
    """(cash, bonus) of the seated player's EUR wallet, as Redis holds them."""
    redis = connect_redis(server.redis.url)
    try:
        cash, bonus = await redis.hmget(keys.wallet(int(table.user), "EUR"), ["cash", "bonus"])
    finally:
        await redis.aclose()
    return int(cash or 0), int(bonus or 0)


async def active_bonus(table: Table) -> dict[str, Any]:
    """The seated player's active bonus, as the bonus page shows it."""
    found: dict[str, Any] = (await table.player.call("GET", "/api/bonus"))["active"]
    return found
