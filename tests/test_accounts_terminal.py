"""The terminal client's account menu and its two-factor login, driven through standard
input against the real server."""

from __future__ import annotations

import asyncio
import sys
import time

import httpx

from server.accounts import totp
from tests.conftest import ROOT, STRONG_PASSWORD, ServerProcess
from tests.support.accounts import auth, code_now, register, secret_of, token_of
from tests.test_terminal_client import client_env


async def play(base_url: str, user: str, stdin: str, code: str = "") -> tuple[int, str]:
    env = client_env(STRONG_PASSWORD)
    if code:
        env["CASINO_TOTP_CODE"] = code
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "run.py"), "play", "--url", base_url, "--user", user,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT, env={**env, "COLUMNS": "200"}, cwd=ROOT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(stdin.encode()), 60)
    return await process.wait(), output.decode()


async def test_the_account_menu_shows_the_profile_and_ends_other_sessions(
    casino: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        name, email = await register(http)
        other = await token_of(http, name, device="phone")
        code, output = await play(casino.base_url, name, "a\ne\nb\nq\n")
        assert code == 0, output
        assert f"email {email}: NOT verified (no withdrawals yet)" in output
        assert "change only through identity verification (KYC)" in output
        assert "1 other session(s) logged out" in output
        assert (await http.get("/api/me", headers=auth(other))).status_code == 401


async def test_a_two_factor_account_logs_in_with_its_code(casino: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        name, _ = await register(http)
        token = await token_of(http, name)
        secret = secret_of(
            (await http.post("/api/me/two-factor/setup", headers=auth(token))).json()
        )
        await http.post(
            "/api/me/two-factor/enable", json={"code": code_now(secret)}, headers=auth(token)
        )
    refused, output = await play(casino.base_url, name, "q\n")
    assert refused == 1 and "INVALID_TWO_FACTOR_CODE" not in output
    assert "TWO_FACTOR_REQUIRED" in output
    code = totp.code_at(secret, time.time() + totp.STEP_S)
    status, output = await play(casino.base_url, name, "a\nb\nq\n", code=code)
    assert status == 0, output
    assert "two-factor login on" in output
