"""Changing the password: the other logins end at once, over HTTP and on their sockets."""

from __future__ import annotations

from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from clients.api import ApiFailure, CasinoClient
from tests.conftest import STRONG_PASSWORD, ServerProcess, new_player

NEW_PASSWORD = "Battery-Staple-77"


async def change(client: CasinoClient, current: str, new: str) -> Any:
    body = {"current_password": current, "new_password": new}
    return await client.call("POST", "/api/me/password", body)


async def refusal(client: CasinoClient, current: str, new: str) -> tuple[int, str]:
    with pytest.raises(ApiFailure) as caught:
        await change(client, current, new)
    return caught.value.status, caught.value.code


async def second_login(casino: ServerProcess, player: dict[str, Any]) -> CasinoClient:
    other = CasinoClient(casino.base_url)
    await other.login(str(player["username"]), STRONG_PASSWORD)
    return other


async def test_a_change_revokes_the_players_other_sessions(casino: ServerProcess) -> None:
    client, player = await new_player(casino.base_url)
    async with client, await second_login(casino, player) as other:
        assert await change(client, STRONG_PASSWORD, NEW_PASSWORD) == {"revoked_sessions": 1}
        with pytest.raises(ApiFailure) as caught:
            await other.call("GET", "/api/me")
    assert (caught.value.status, caught.value.code) == (401, "INVALID_TOKEN")


async def test_the_session_that_changed_the_password_stays(casino: ServerProcess) -> None:
    client, player = await new_player(casino.base_url)
    async with client:
        await change(client, STRONG_PASSWORD, NEW_PASSWORD)
        assert (await client.call("GET", "/api/me"))["player_id"] == player["player_id"]


async def test_only_the_new_password_logs_in_afterwards(casino: ServerProcess) -> None:
    client, player = await new_player(casino.base_url)
    async with client:
        await change(client, STRONG_PASSWORD, NEW_PASSWORD)
        await client.login(str(player["username"]), NEW_PASSWORD)
        with pytest.raises(ApiFailure) as caught:
            await client.login(str(player["username"]), STRONG_PASSWORD)
    assert (caught.value.status, caught.value.code) == (401, "INVALID_CREDENTIALS")


async def test_a_socket_of_a_revoked_session_is_closed_with_4003(casino: ServerProcess) -> None:
    client, player = await new_player(casino.base_url)
    async with client, await second_login(casino, player) as other, other.socket() as sock:
        assert other.token is not None
        await sock.hello(other.token)
        await change(client, STRONG_PASSWORD, NEW_PASSWORD)
        pushed = await sock.next_push()
        with pytest.raises(ConnectionClosed) as closed:
            await sock.receive()
    assert pushed == {"type": "forced_logout", "reason": "password_changed"}
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4003


async def test_a_socket_of_the_changing_session_stays_open(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client, client.socket() as sock:
        assert client.token is not None
        await sock.hello(client.token)
        await change(client, STRONG_PASSWORD, NEW_PASSWORD)
        assert (await sock.balance())["type"] == "balance"
        assert sock.pushes == []


async def test_a_wrong_current_password_is_refused_and_changes_nothing(
    casino: ServerProcess,
) -> None:
    client, player = await new_player(casino.base_url)
    async with client, await second_login(casino, player) as other:
        assert await refusal(client, "Not-The-Password-1", NEW_PASSWORD) == (
            401,
            "INVALID_CREDENTIALS",
        )
        assert (await other.call("GET", "/api/me"))["player_id"] == player["player_id"]
        await other.login(str(player["username"]), STRONG_PASSWORD)


@pytest.mark.parametrize("weak", ["short1A!", "password1234", "aaaaaaaaaaaaaa"])
async def test_a_weak_new_password_is_refused(casino: ServerProcess, weak: str) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        assert await refusal(client, STRONG_PASSWORD, weak) == (422, "WEAK_PASSWORD")


async def test_a_new_password_holding_the_username_is_refused(casino: ServerProcess) -> None:
    client, player = await new_player(casino.base_url)
    async with client:
        weak = f"{player['username']}-X9!"
        assert await refusal(client, STRONG_PASSWORD, weak) == (422, "WEAK_PASSWORD")


async def test_the_same_password_again_is_refused(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        assert await refusal(client, STRONG_PASSWORD, STRONG_PASSWORD) == (422, "WEAK_PASSWORD")


async def test_a_missing_new_password_is_validation_failed(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        with pytest.raises(ApiFailure) as caught:
            await client.call("POST", "/api/me/password", {"current_password": STRONG_PASSWORD})
    assert (caught.value.status, caught.value.code) == (422, "VALIDATION_FAILED")


async def test_a_change_needs_a_session(casino: ServerProcess) -> None:
    async with CasinoClient(casino.base_url) as anonymous:
        assert await refusal(anonymous, STRONG_PASSWORD, NEW_PASSWORD) == (
            401,
            "NOT_AUTHENTICATED",
        )


async def test_wrong_current_passwords_count_towards_the_lockout(casino: ServerProcess) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        for _ in range(5):
            await refusal(client, "Not-The-Password-1", NEW_PASSWORD)
        assert await refusal(client, STRONG_PASSWORD, NEW_PASSWORD) == (429, "LOGIN_LOCKED")
