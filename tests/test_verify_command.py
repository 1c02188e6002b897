"""`run.py verify ROUND_ID`: a stored round re-verifies once its seed is revealed, and any
tampering with what was stored is caught."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from server.storage.database import DatabaseTarget
from tests.conftest import ServerProcess, new_player
from tests.support import db as test_db

ROOT = Path(__file__).resolve().parent.parent


def verify(database: DatabaseTarget, round_id: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "verify", round_id],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **os.environ,
            "CASINO_NO_BOOTSTRAP": "1",
            "CASINO_DATABASE_URL": test_db.url_of(database),
        },
        cwd=ROOT,
    )


def snapshot(casino: ServerProcess, target: Path) -> Path:
    """A consistent copy of the live database (WAL included) to tamper with."""
    with sqlite3.connect(casino.database_path) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return target


async def played_rounds(casino: ServerProcess, rotate: bool) -> list[str]:
    client, _ = await new_player(casino.base_url, deposit=10_000)
    async with client, client.socket() as sock:
        assert client.token is not None
        await sock.hello(client.token)
        spin = await sock.spin("classic-sevens", 100)
        hand = await sock.request("play", game="punto-banco", stake=100, options={"bet": "player"})
        blackjack = await sock.request("play", game="blackjack", stake=100)
        while not blackjack["finished"]:
            action = "no_insurance" if "no_insurance" in blackjack["actions"] else "hit"
            action = action if action in blackjack["actions"] else "stand"
            blackjack = await sock.request("act", round_id=blackjack["round_id"], action=action)
        if rotate:
            await sock.request("rotate_seed")
        await sock.history()  # waits until the rounds are durable
    return [spin["round_id"], hand["round_id"], blackjack["round_id"]]


async def test_rounds_verify_once_the_seed_is_revealed(casino: ServerProcess) -> None:
    for round_id in await played_rounds(casino, rotate=True):
        result = verify(casino.database_path, round_id)
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.startswith(f"round {round_id}: MATCH")


async def test_a_round_whose_seed_is_still_secret_cannot_be_verified(casino: ServerProcess) -> None:
    round_id = (await played_rounds(casino, rotate=False))[0]
    result = verify(casino.database_path, round_id)
    assert result.returncode == 3
    assert "NOT-REVEALED" in result.stdout
    seed_hash = re.search(r"whose SHA-256 is ([0-9a-f]{64});", result.stdout)
    assert seed_hash, result.stdout
    assert "server seed " + seed_hash[1] not in result.stdout  # a hash, not called the seed


@pytest.mark.sqlite_only(reason="tampers with a copy of the SQLite file (its backup API)")
async def test_a_tampered_outcome_is_an_outcome_mismatch(
    casino: ServerProcess, tmp_path: Path
) -> None:
    round_id = (await played_rounds(casino, rotate=True))[0]
    copy = snapshot(casino, tmp_path / "copy.db")
    with sqlite3.connect(copy) as db:
        db.execute(
            "UPDATE rounds SET outcome = '{\"stops\":[0,0,0]}' WHERE round_id = ?", (round_id,)
        )
    result = verify(copy, round_id)
    assert result.returncode == 1
    assert "OUTCOME-MISMATCH" in result.stdout


@pytest.mark.sqlite_only(reason="tampers with a copy of the SQLite file (its backup API)")
async def test_a_tampered_nonce_is_an_outcome_mismatch(
    casino: ServerProcess, tmp_path: Path
) -> None:
    round_id = (await played_rounds(casino, rotate=True))[0]
    copy = snapshot(casino, tmp_path / "copy.db")
    with sqlite3.connect(copy) as db:
        db.execute("UPDATE rounds SET nonce = nonce + 1 WHERE round_id = ?", (round_id,))
    assert "OUTCOME-MISMATCH" in verify(copy, round_id).stdout


@pytest.mark.sqlite_only(reason="tampers with a copy of the SQLite file (its backup API)")
async def test_a_swapped_server_seed_is_a_seed_mismatch(
    casino: ServerProcess, tmp_path: Path
) -> None:
    round_id = (await played_rounds(casino, rotate=True))[0]
    copy = snapshot(casino, tmp_path / "copy.db")
    with sqlite3.connect(copy) as db:
        db.execute(
            "UPDATE fair_seeds SET server_seed = ? WHERE seed_hash ="
            " (SELECT server_seed_hash FROM rounds WHERE round_id = ?)",
            ("00" * 32, round_id),
        )
    assert "SEED-MISMATCH" in verify(copy, round_id).stdout


def test_an_unknown_round_is_not_found(casino: ServerProcess) -> None:
    result = verify(casino.database_path, "no-such-round")
    assert (result.returncode, "NOT-FOUND" in result.stdout) == (4, True)


@pytest.mark.sqlite_only(reason="tampers with a copy of the SQLite file (its backup API)")
async def test_an_altered_client_seed_is_an_outcome_mismatch_for_every_game(
    casino: ServerProcess, tmp_path: Path
) -> None:
    round_ids = await played_rounds(casino, rotate=True)
    copy = snapshot(casino, tmp_path / "copy.db")
    with sqlite3.connect(copy) as db:
        db.executemany(
            "UPDATE rounds SET client_seed = client_seed || 'x' WHERE round_id = ?",
            [(round_id,) for round_id in round_ids],
        )
    for round_id in round_ids:
        result = verify(copy, round_id)
        assert result.returncode == 1
        assert result.stdout.startswith(f"round {round_id}: OUTCOME-MISMATCH"), (
            result.stdout + result.stderr
        )
