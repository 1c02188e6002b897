"""Structured logs from a real server: every line is one JSON object carrying the ids of
what it is about, levels follow configuration, and no secret or personal datum reaches
the output, even at DEBUG with a library (aiosqlite) that prints statement parameters."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import rng
from clients.api import ApiFailure, CasinoClient
from games.classic_slot import INFO as CLASSIC
from server.storage.redis_child import RedisChild
from tests.conftest import ServerProcess, start_server, stop_server, unique
from tests.support import db as test_db
from tests.support.observability import log_lines
from tests.support.provider import FRUITS, SANDBOX, launch, sandbox_client

DATE_OF_BIRTH = "1979-04-23"


@pytest.fixture
def verbose(tmp_path: Path) -> Iterator[ServerProcess]:
    """A private server logging everything, aiosqlite's statement parameters included."""
    child = RedisChild(tmp_path / "redis")
    child.start()
    server = start_server(
        tmp_path,
        child,
        {"CASINO_LOG_LEVEL": "DEBUG", "CASINO_LOG_LEVELS": "aiosqlite=DEBUG"},
    )
    yield server
    stop_server(server)
    child.stop()


@pytest.mark.sqlite_only(
    reason="the net is tested on aiosqlite's DEBUG lines, which print statement parameters"
)
async def test_no_secret_or_personal_datum_reaches_the_log(verbose: ServerProcess) -> None:
    name = unique("obs_")
    email = f"{name}@example.org"
    password = f"Pw-{rng.token_urlsafe(12)}-9"
    async with CasinoClient(verbose.base_url) as client:
        player = await client.register(
            email=email,
            username=name,
            password=password,
            date_of_birth=DATE_OF_BIRTH,
            country="DE",
            currency="EUR",
        )
        with pytest.raises(ApiFailure):
            await client.login(email, password + "-wrong")
        token = await client.login(email, password)
        deposit_key = unique("dep-")
        await client.deposit(5_000, deposit_key)
        async with client.socket() as sock:
            await sock.hello(token)
            spin = await sock.spin(CLASSIC.id, 100)
            await sock.request("set_client_seed", client_seed="my-own-seed")
            rotated = await sock.request("rotate_seed")
            await sock.history()
            await sock.send_raw(b"\xc1 not msgpack")
        async with client.socket(binary=False) as text_sock:  # the token in a JSON text frame
            await text_sock.hello(token)
        session = await launch(client, SANDBOX, FRUITS)
        provider = sandbox_client(verbose)
        try:
            info = await provider.user_info(session["token"])
        finally:
            await provider.aclose()
        assert info["status"] == "RS_OK", info
        await client.logout()
        with pytest.raises(ApiFailure):
            await client.call("GET", "/api/me")  # the revoked token, in an Authorization header
    async with httpx.AsyncClient(base_url=verbose.base_url) as http:
        await http.get("/metrics")
        await http.get("/ready")
    stop_server(verbose)  # the shutdown lines are part of the output too

    [(password_hash,)] = test_db.query(
        verbose.database_path,
        "SELECT password_hash FROM players WHERE id = ?",
        (player["player_id"],),
    )
    secrets = {
        "password": password,
        "password hash": str(password_hash),
        "session token": token,
        "session token hash": hashlib.sha256(token.encode()).hexdigest(),
        "email": email,
        "date of birth": DATE_OF_BIRTH,
        "revealed server seed": str(rotated["revealed_server_seed"]),
        "provider session token": session["token"],
        "redis password": verbose.redis.password,
    }
    output = verbose.log()
    assert [what for what, secret in secrets.items() if secret in output] == []

    entries = log_lines(output)
    loggers = {entry["logger"] for entry in entries}
    assert {"aiosqlite", "uvicorn.error", "uvicorn.access", "server.storage.sqlite"} <= loggers
    # The net had work to do: aiosqlite printed the registration's email and password hash.
    sql = " ".join(e["message"] for e in entries if e["logger"] == "aiosqlite")
    assert "[EMAIL]" in sql and "[REDACTED]" in sql and "[DATE]" in sql
    # WebSocket frames (DEBUG) are reduced to direction, type and size.
    opcode = r"[<>] (?:TEXT|BINARY|CONT|CLOSE|PING|PONG)\b"
    frames = [e["message"] for e in entries if re.match(opcode, e["message"])]
    assert any(m.startswith("< TEXT") for m in frames)  # the JSON hello, with its token
    assert all(re.fullmatch(opcode + r" \[\d+ bytes\]", m) for m in frames), frames
    # The ids of what a line is about: the spin's trace carries request, player and round.
    spin_lines = [e for e in entries if e.get("round_id") == spin["round_id"]]
    assert any(
        e.get("player_id") == str(player["player_id"]) and "request_id" in e for e in spin_lines
    )
    deposit_lines = [e for e in entries if e.get("transaction_id") == f"deposit-key:{deposit_key}"]
    assert any(e["logger"] == "uvicorn.access" for e in deposit_lines)
    # Each line names its process: the server's, or a child the server started (the flusher,
    # the risk monitor).
    children = {
        int(m.group(1))
        for e in entries
        if (m := re.fullmatch(r"(?:flusher|risk monitor) process (\d+) is running", e["message"]))
    }
    assert len(children) == 2
    assert {e["pid"] for e in entries} == {verbose.process.pid, *children}


async def test_levels_follow_the_configuration(tmp_path: Path, private_redis: RedisChild) -> None:
    server = start_server(
        tmp_path,
        private_redis,
        {"CASINO_LOG_LEVEL": "WARNING", "CASINO_LOG_LEVELS": "uvicorn.access=INFO"},
    )
    try:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            await http.get("/ready")
            await http.get("/js/app.js")
    finally:
        stop_server(server)
    entries = log_lines(server.log())
    access = [e["message"] for e in entries if e["logger"] == "uvicorn.access"]
    assert any("/ready" in line for line in access)
    # A static file's line is DEBUG: the INFO log keeps the calls an operator reads.
    assert not any("/js/app.js" in line for line in access)
    quiet = [e for e in entries if e["level"] == "INFO" and e["logger"] != "uvicorn.access"]
    assert quiet == []


async def test_static_file_access_lines_are_debug(
    tmp_path: Path, private_redis: RedisChild
) -> None:
    server = start_server(tmp_path, private_redis, {"CASINO_LOG_LEVELS": "uvicorn.access=DEBUG"})
    try:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            await http.get("/js/app.js")
            await http.get("/health")
    finally:
        stop_server(server)
    levels = {
        path: e["level"]
        for e in log_lines(server.log())
        if e["logger"] == "uvicorn.access"
        for path in ("/js/app.js", "/health")
        if f"GET {path} " in e["message"]
    }
    assert levels == {"/js/app.js": "DEBUG", "/health": "INFO"}
