"""The real server on PostgreSQL: `run.py serve` with CASINO_DATABASE_URL pointing at a
private cluster (tests/support/postgres.py) registers a player, takes a deposit, plays
spins, pays a withdrawal, and the ledger reconciles against Redis, as on SQLite."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from clients.api import CasinoClient
from server.storage.database import opened
from server.storage.redis_child import RedisChild, free_port
from server.tools.soak import stack as soak_stack
from tests.conftest import ServerProcess, new_player, start_server, stop_server, unique
from tests.support.kyc import verify_identity
from tests.support.payments import SERVER_ENV, Gateway, pay
from tests.support.postgres import PostgresCluster, postgres_cluster
from tests.test_run_commands import run_py
from tests.test_server_accounts import refusal, registration

__all__ = ["postgres_cluster"]  # a fixture, used by name

SLOT = "classic-sevens"  # stakes in steps of 5


@pytest.fixture
def on_postgres(
    tmp_path: Path, private_redis: RedisChild, postgres_cluster: PostgresCluster
) -> Iterator[tuple[ServerProcess, str]]:
    """The server (with a sandbox payment gateway, for the withdrawal) on a fresh database."""
    url = postgres_cluster.new_database()
    gateway = Gateway(free_port(), tmp_path / "gateway.db", tmp_path / "gateway.log")
    gateway.start()
    try:
        env = {**SERVER_ENV, "CASINO_PAYMENT_GATEWAY_URL": gateway.url}
        server = start_server(tmp_path, private_redis, {**env, "CASINO_DATABASE_URL": url})
        try:
            yield server, url
        finally:
            stop_server(server)
    finally:
        gateway.stop()


async def test_a_player_deposits_plays_and_withdraws_and_the_ledger_reconciles(
    on_postgres: tuple[ServerProcess, str],
) -> None:
    server, url = on_postgres
    client, _ = await new_player(server.base_url, deposit=5_000)
    async with client:
        await verify_identity(client)
        assert client.token is not None
        async with client.socket() as sock:
            await sock.hello(client.token)
            rounds = [await sock.spin(SLOT, 100) for _ in range(20)]
        assert all(r["type"] == "spin" for r in rounds), rounds[0]
        status, body = await pay(client, "withdrawals", 1_000, unique("w-"))
        assert status in (201, 202), body
        wallet = await client.call("GET", "/api/wallet")
    report = await soak_stack.settled_report(server.redis.url, url, 30.0)
    assert report.ok, "\n".join(report.lines())
    async with opened(url) as db:
        assert await db.fetchone("SELECT COUNT(*) FROM rounds") == (20,)
    assert wallet["balance"] == 5_000 - 1_000 - sum(r["stake"] - r["payout"] for r in rounds)
    # Nothing failed out of sight either: no flusher, outbox relay or consumer error.
    errors = [line for line in server.log().splitlines() if '"level":"ERROR"' in line]
    assert errors == []


async def test_run_py_reconcile_on_postgres_names_a_deposit_the_ledger_never_received(
    on_postgres: tuple[ServerProcess, str],
) -> None:
    server, url = on_postgres
    client, player = await new_player(server.base_url, deposit=1_000)
    async with client:
        pass  # only the player and their deposit are needed
    player_id = int(str(player["player_id"]))
    env = {"CASINO_REDIS_URL": server.redis.url, "CASINO_DATABASE_URL": url}
    clean = await asyncio.to_thread(run_py, "reconcile", env=env, timeout=60)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    async with opened(url) as db, db.transaction() as tx:
        await tx.execute(
            "UPDATE deposits SET amount = amount + 50 WHERE player_id = ?", (player_id,)
        )
    tampered = await asyncio.to_thread(run_py, "reconcile", env=env, timeout=60)
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr
    (line,) = [x for x in tampered.stdout.splitlines() if f"player {player_id} " in x]
    assert line.startswith("BAD ") and line.endswith("mismatched: history")


async def test_a_taken_email_or_username_is_refused_by_name_on_postgres(
    on_postgres: tuple[ServerProcess, str],
) -> None:
    """PostgreSQL names the broken constraint, not the column: the refusal is the same."""
    server, _ = on_postgres
    first = registration()
    async with CasinoClient(server.base_url) as client:
        await client.register(**first)
    same_email = registration(email=first["email"])
    same_name = registration(username=first["username"])
    assert await refusal(server, "POST", "/api/players", same_email) == (409, "EMAIL_TAKEN")
    assert await refusal(server, "POST", "/api/players", same_name) == (409, "USERNAME_TAKEN")
