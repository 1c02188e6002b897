"""Staff members for tests: created with the real command (`run.py staff add`) against a
server's database, and logged in through the real API with a TOTP code computed from the
secret the command printed."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

import rng
from server.accounts import totp
from server.storage.database import DatabaseTarget
from tests.support import db as test_db

ROOT = Path(__file__).resolve().parent.parent.parent
PASSWORD = "staff-Password-42"


@dataclass(frozen=True)
class Member:
    name: str
    role: str
    secret: bytes
    recovery_codes: list[str]

    def code(self, at: float | None = None) -> str:
        return totp.code_at(self.secret, time.time() if at is None else at)


def staff_command(
    database_path: DatabaseTarget, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CASINO_NO_BOOTSTRAP": "1",
        "CASINO_DATA_DIR": str(test_db.workdir_of(database_path)),
        "CASINO_DATABASE_URL": test_db.url_of(database_path),
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "staff", *args],
        input=stdin, capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip


def add_staff(database_path: DatabaseTarget, role: str, name: str | None = None) -> Member:
    name = name or f"{role}-{rng.randbytes(4).hex()}"
    done = staff_command(database_path, "add", name, "--role", role, stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    secret = next(line for line in lines if line.startswith("TOTP secret: ")).split(": ")[1]
    padded = secret + "=" * (-len(secret) % 8)
    codes = [line.strip() for line in lines if line.startswith("  ")]
    return Member(name, role, base64.b32decode(padded), codes)


def login(base_url: str, member: Member, code: str | None = None) -> str:
    """A session token for `member` (a fresh TOTP code unless `code` is given)."""
    reply = httpx.post(
        f"{base_url}/api/staff/login",
        json={"name": member.name, "password": PASSWORD, "code": code or member.code()},
    )
    assert reply.status_code == 200, reply.text
    return str(reply.json()["token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
