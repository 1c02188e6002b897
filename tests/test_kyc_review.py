"""The KYC status: its state machine, the back-office review command, and `kyc.is_verified`."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from clients.api import CasinoClient
from server import kyc
from server.kyc.review import Decision, IllegalReview, Status, after_review, after_upload
from server.storage.database import Database
from tests.conftest import ROOT, ServerProcess, new_player
from tests.support import db as test_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (Status.UNVERIFIED, Status.PENDING),
        (Status.PENDING, Status.PENDING),
        (Status.REJECTED, Status.PENDING),
        (Status.VERIFIED, Status.VERIFIED),
    ],
)
def test_an_upload_moves_the_status(before: Status, after: Status) -> None:
    assert after_upload(before) is after


def test_approving_a_pending_player_verifies_them() -> None:
    assert after_review(Status.PENDING, Decision.APPROVE) is Status.VERIFIED


def test_rejecting_a_pending_player_rejects_them() -> None:
    assert after_review(Status.PENDING, Decision.REJECT) is Status.REJECTED


@pytest.mark.parametrize("status", [Status.UNVERIFIED, Status.VERIFIED, Status.REJECTED])
def test_only_a_pending_player_can_be_reviewed(status: Status) -> None:
    with pytest.raises(
        IllegalReview, match=f"cannot approve a player whose KYC status is {status}"
    ):
        after_review(status, Decision.APPROVE)


def admin(casino: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CASINO_DATABASE_URL": test_db.url_of(casino.database_path)}
    return subprocess.run(
        [sys.executable, "-m", "server.kyc.admin", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def pending_player(casino: ServerProcess) -> tuple[CasinoClient, int]:
    client, player = await new_player(casino.base_url)
    response = await client.http.post(
        "/api/kyc/documents",
        params={"kind": "id"},
        content=PDF,
        headers={"Authorization": f"Bearer {client.token}"},
    )
    assert response.status_code == 201
    return client, int(str(player["player_id"]))


async def verified(casino: ServerProcess, player_id: int) -> bool:
    db = Database(casino.database_path)
    await db.open()
    try:
        return await kyc.is_verified(db, player_id)
    finally:
        await db.close()


async def test_approval_makes_the_player_verified(casino: ServerProcess) -> None:
    client, player_id = await pending_player(casino)
    async with client:
        done = admin(casino, "review", str(player_id), "approve")
        assert (done.returncode, done.stdout) == (0, f"player {player_id}: verified\n")
        status = await client.call("GET", "/api/kyc/status")
        assert (status["kyc_status"], status["level"]) == ("verified", 1)
    assert await verified(casino, player_id) is True


async def test_a_rejected_player_is_not_verified(casino: ServerProcess) -> None:
    client, player_id = await pending_player(casino)
    async with client:
        done = admin(casino, "review", str(player_id), "reject", "--note", "blurred scan")
        assert (done.returncode, done.stdout) == (0, f"player {player_id}: rejected\n")
    assert await verified(casino, player_id) is False


async def test_a_new_upload_after_rejection_is_pending_again(casino: ServerProcess) -> None:
    client, player_id = await pending_player(casino)
    async with client:
        admin(casino, "review", str(player_id), "reject")
        response = await client.http.post(
            "/api/kyc/documents",
            params={"kind": "id"},
            content=PDF,
            headers={"Authorization": f"Bearer {client.token}"},
        )
    assert response.json()["kyc_status"] == "pending"


async def test_a_player_without_documents_cannot_be_approved(casino: ServerProcess) -> None:
    client, player = await new_player(casino.base_url)
    await client.http.aclose()
    done = admin(casino, "review", str(player["player_id"]), "approve")
    assert done.returncode == 1
    assert done.stderr == (
        "error: KYC_REVIEW_REFUSED: cannot approve a player whose KYC status is unverified\n"
    )
    assert await verified(casino, int(str(player["player_id"]))) is False


async def test_the_status_command_lists_documents_without_contents(casino: ServerProcess) -> None:
    client, player_id = await pending_player(casino)
    await client.http.aclose()
    done = admin(casino, "status", str(player_id))
    lines = done.stdout.splitlines()
    assert lines[0] == f"player {player_id}: pending"
    assert len(lines) == 2 and "application/pdf" in lines[1] and f"{len(PDF)} bytes" in lines[1]
    assert "%PDF" not in done.stdout


def test_reviewing_an_unknown_player_fails(casino: ServerProcess) -> None:
    done = admin(casino, "review", "999999999", "approve")
    assert (done.returncode, done.stderr) == (1, "error: no player 999999999\n")
