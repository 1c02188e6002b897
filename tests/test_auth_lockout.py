"""Brute-force lockout of one account, against the shared server (5 failures per account).

Each test uses fresh players, so no other test's account is ever locked.
"""

from __future__ import annotations

import httpx

from tests.conftest import STRONG_PASSWORD, ServerProcess, new_player, unique

WRONG = "Wrong-Password-7"
WINDOW_S = 900


async def attempt(casino: ServerProcess, login: str, password: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        return await http.post("/api/sessions", json={"login": login, "password": password})


def code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


async def fresh_login(casino: ServerProcess) -> str:
    client, player = await new_player(casino.base_url)
    await client.http.aclose()
    return str(player["username"])


async def test_the_right_password_is_refused_after_five_failures(casino: ServerProcess) -> None:
    login = await fresh_login(casino)
    failures = [code(await attempt(casino, login, WRONG)) for _ in range(5)]
    assert failures == [(401, "INVALID_CREDENTIALS")] * 5
    assert code(await attempt(casino, login, STRONG_PASSWORD)) == (429, "LOGIN_LOCKED")


async def test_the_lock_says_how_many_seconds_remain(casino: ServerProcess) -> None:
    login = await fresh_login(casino)
    for _ in range(5):
        await attempt(casino, login, WRONG)
    locked = await attempt(casino, login, STRONG_PASSWORD)
    retry_after = locked.json()["error"]["retry_after"]
    assert WINDOW_S - 60 < retry_after <= WINDOW_S
    assert locked.headers["retry-after"] == str(retry_after)


async def test_the_lock_covers_the_email_as_well_as_the_username(casino: ServerProcess) -> None:
    login = await fresh_login(casino)
    for _ in range(5):
        await attempt(casino, login, WRONG)
    by_email = await attempt(casino, f"{login}@example.com", STRONG_PASSWORD)
    assert code(by_email) == (429, "LOGIN_LOCKED")


async def test_a_success_resets_the_account_counter(casino: ServerProcess) -> None:
    login = await fresh_login(casino)
    for _ in range(4):
        await attempt(casino, login, WRONG)
    assert (await attempt(casino, login, STRONG_PASSWORD)).status_code == 201
    for _ in range(4):
        await attempt(casino, login, WRONG)
    assert (await attempt(casino, login, STRONG_PASSWORD)).status_code == 201


async def test_an_unknown_login_is_locked_like_a_real_one(casino: ServerProcess) -> None:
    login = unique("nobody_")
    replies = [code(await attempt(casino, login, WRONG)) for _ in range(6)]
    assert replies == [(401, "INVALID_CREDENTIALS")] * 5 + [(429, "LOGIN_LOCKED")]


async def test_other_accounts_log_in_while_one_is_locked(casino: ServerProcess) -> None:
    locked, other = await fresh_login(casino), await fresh_login(casino)
    for _ in range(6):
        await attempt(casino, locked, WRONG)
    assert (await attempt(casino, other, STRONG_PASSWORD)).status_code == 201
