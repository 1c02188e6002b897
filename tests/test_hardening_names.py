"""Usernames and emails are unique whatever their case (issue 26, finding 7: "usernames
differing only in case can both be registered"), and a database written before that rule,
holding such accounts, is migrated without losing or renaming any: start-up names them,
each still logs in, and an operator renames them."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher

from server.storage.database import _statements, migrations
from server.storage.redis_child import RedisChild
from tests.conftest import (
    ROOT,
    STRONG_PASSWORD,
    ServerProcess,
    new_player,
    start_server,
    stop_server,
    unique,
)
from tests.support import db as test_db
from tests.support.provider import db_query
from tests.test_hardening_registration_limit import register

TODAYS_SCHEMA = 10  # the schema before case-insensitive names (migration 0011)


async def login(base_url: str, name: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base_url) as http:
        return await http.post("/api/sessions", json={"login": name, "password": STRONG_PASSWORD})


# -- on a database of today's schema -------------------------------------------------------


async def test_a_username_differing_only_in_case_is_taken(casino: ServerProcess) -> None:
    name = unique("Case_")
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        first = await register(http, name)
        second = await register(http, name.upper(), email=f"{unique('o_')}@example.com")
    assert first.status_code == 201
    assert (second.status_code, second.json()["error"]["code"]) == (409, "USERNAME_TAKEN")
    assert db_query(casino, "SELECT 1 FROM players WHERE username = ?", (name.upper(),)) == []


async def test_a_username_ending_in_a_newline_is_refused_and_creates_nothing(
    casino: ServerProcess,
) -> None:
    # Python's `$` also matches before a last newline: "name\n" would pass for "name".
    name = unique("nl_")
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        reply = await register(http, name + "\n", email=f"{name}@example.com")
    assert (reply.status_code, reply.json()["error"]["code"]) == (422, "VALIDATION_FAILED")
    assert reply.json()["error"]["field"] == "username"
    assert db_query(casino, "SELECT 1 FROM players WHERE username = ?", (name + "\n",)) == []


async def test_an_email_differing_only_in_case_is_taken(casino: ServerProcess) -> None:
    local = unique("Mixed.Case")
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        first = await register(http, unique("e_"), email=f"{local}@Example.com")
        second = await register(http, unique("e_"), email=f"{local.lower()}@example.COM")
    assert first.status_code == 201
    assert (second.status_code, second.json()["error"]["code"]) == (409, "EMAIL_TAKEN")


async def test_registrations_racing_with_one_name_in_three_cases_create_one_account(
    casino: ServerProcess,
) -> None:
    name = unique("race_")
    spellings = [name, name.upper(), name.capitalize()]
    async with httpx.AsyncClient(base_url=casino.base_url, timeout=30) as http:
        replies = await asyncio.gather(
            *(
                register(http, spelling, email=f"{unique('x_')}@example.com")
                for spelling in spellings
            )
        )
    assert sorted(reply.status_code for reply in replies) == [201, 409, 409]
    assert len(db_query(casino, "SELECT 1 FROM players WHERE lower(username) = ?", (name,))) == 1


async def test_a_login_name_matches_whatever_its_case(casino: ServerProcess) -> None:
    client, player = await new_player(casino.base_url)
    await client.http.aclose()
    by_name = await login(casino.base_url, str(player["username"]).upper())
    by_email = await login(casino.base_url, str(player["email"]).upper())
    assert (by_name.status_code, by_name.json()["player_id"]) == (201, player["player_id"])
    assert (by_email.status_code, by_email.json()["player_id"]) == (201, player["player_id"])


def test_a_database_without_clashes_starts_without_a_warning(casino: ServerProcess) -> None:
    assert "share a username or email" not in casino.log()


# -- a database written before the rule ----------------------------------------------------


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    email: str


# Players 2 and 5 share player 1's username, player 4 shares player 3's email, ignoring case.
ACCOUNTS = (
    Account(1, "alice", "alice@example.com"),
    Account(2, "ALICE", "alice.two@example.com"),
    Account(3, "carol", "Carol@Example.com"),
    Account(4, "carol_b", "carol@example.com"),
    Account(5, "Alice", "alice.five@example.com"),
)


def database_of_todays_schema(path: Path) -> None:
    """The migrations up to TODAYS_SCHEMA applied as the server applies them, and the
    accounts above written as that schema allowed."""
    password_hash = PasswordHasher().hash(STRONG_PASSWORD)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
        )
        for version, name, sql in migrations():
            if version > TODAYS_SCHEMA:
                break
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 0)", (version, name))
        conn.executemany(
            "INSERT INTO players (id, email, username, password_hash, date_of_birth, country,"
            " currency, created_at) VALUES (?, ?, ?, ?, '1980-01-01', 'DE', 'EUR', 0)",
            [(a.id, a.email, a.username, password_hash) for a in ACCOUNTS],
        )


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server started on a database of today's schema holding clashing accounts."""
    workdir = tmp_path_factory.mktemp("clashes")
    database = workdir / "old.db"
    database_of_todays_schema(database)
    child = RedisChild(workdir / "redis")
    child.start()
    server = start_server(workdir, child, {"CASINO_DATABASE_URL": f"sqlite:///{database}"})
    yield server
    stop_server(server)
    child.stop()


@pytest.mark.sqlite_only(reason="upgrades an old-schema database built with sqlite3")
def test_the_migration_keeps_every_account_as_it_was(upgraded: ServerProcess) -> None:
    rows = db_query(upgraded, "SELECT id, username, email FROM players ORDER BY id")
    assert rows == [(a.id, a.username, a.email) for a in ACCOUNTS]


@pytest.mark.sqlite_only(reason="upgrades an old-schema database built with sqlite3")
def test_start_up_names_the_clashing_accounts_by_id_only(upgraded: ServerProcess) -> None:
    warnings = [line for line in upgraded.log().splitlines() if "share a username" in line]
    assert len(warnings) == 1 and '"level":"WARNING"' in warnings[0]
    assert (
        "3 accounts share a username or email, ignoring case, with another account: player 2"
        " (username of player 1), player 4 (email of player 3), player 5 (username of player 1)"
    ) in warnings[0]
    for account in ACCOUNTS:
        assert account.email not in warnings[0] and account.email.lower() not in warnings[0]


@pytest.mark.parametrize(
    ("name", "player_id"),
    [
        ("alice", 1),
        ("ALICE", 2),  # the exact spelling reaches the younger account
        ("Alice", 5),
        ("aLiCe", 1),  # any other spelling, the oldest
        ("alice.two@example.com", 2),
        ("carol@example.com", 4),
        ("Carol@Example.com", 3),
        ("CAROL@EXAMPLE.COM", 3),
    ],
)
@pytest.mark.sqlite_only(reason="upgrades an old-schema database built with sqlite3")
async def test_every_account_still_logs_in(
    upgraded: ServerProcess, name: str, player_id: int
) -> None:
    reply = await login(upgraded.base_url, name)
    assert (reply.status_code, reply.json()["player_id"]) == (201, player_id)


@pytest.mark.sqlite_only(reason="upgrades an old-schema database built with sqlite3")
async def test_a_new_registration_cannot_take_a_clashing_name_in_any_case(
    upgraded: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=upgraded.base_url) as http:
        replies = [
            await register(http, "AlIcE", email="new.alice@example.com"),
            await register(http, "carol_new", email="CAROL@example.com"),
        ]
    assert [reply.json()["error"]["code"] for reply in replies] == [
        "USERNAME_TAKEN",
        "EMAIL_TAKEN",
    ]


def admin(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.accounts.admin", *args],
        env={**os.environ, "CASINO_NO_BOOTSTRAP": "1",
             "CASINO_DATABASE_URL": test_db.url_of(server.database_path)},
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.sqlite_only(reason="upgrades an old-schema database built with sqlite3")
async def test_the_operator_lists_the_clashes_and_renames_one_away(
    upgraded: ServerProcess,
) -> None:
    listed = admin(upgraded, "clashes")
    taken = admin(upgraded, "rename", "5", "--username", "ALICE")
    renamed = admin(upgraded, "rename", "5", "--username", "alice_five")
    after = admin(upgraded, "clashes")
    assert listed.stdout.splitlines() == [
        "player 2\tusername\tALICE\tshared with player 1\talice",
        "player 4\temail\tcarol@example.com\tshared with player 3\tCarol@Example.com",
        "player 5\tusername\tAlice\tshared with player 1\talice",
    ]
    assert (taken.returncode, taken.stderr.strip()) == (
        1,
        "error: USERNAME_TAKEN: this username is taken",
    )
    assert (renamed.returncode, renamed.stdout.strip()) == (0, "player 5: username changed")
    assert [line.split("\t")[0] for line in after.stdout.splitlines()] == ["player 2", "player 4"]
    reply = await login(upgraded.base_url, "ALICE_FIVE")
    assert reply.json()["player_id"] == 5
