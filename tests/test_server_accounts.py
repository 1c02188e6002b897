"""Registration, login and logout over real HTTP against the running server."""

from __future__ import annotations

from typing import Any

import pytest

from clients.api import ApiFailure, CasinoClient
from tests.conftest import STRONG_PASSWORD, ServerProcess, unique
from tests.support import db as test_db


def registration(**overrides: str) -> dict[str, str]:
    name = unique("u_")
    fields = {
        "email": f"{name}@example.com",
        "username": name,
        "password": STRONG_PASSWORD,
        "date_of_birth": "1990-02-03",
        "country": "MT",
        "currency": "EUR",
    }
    fields.update(overrides)
    return fields


async def refusal(
    casino: ServerProcess, method: str, path: str, body: Any = None
) -> tuple[int, str]:
    async with CasinoClient(casino.base_url) as client:
        with pytest.raises(ApiFailure) as caught:
            await client.call(method, path, body)
    return caught.value.status, caught.value.code


async def test_registration_creates_a_player_with_the_given_details(casino: ServerProcess) -> None:
    fields = registration(country="se", currency="sek")
    async with CasinoClient(casino.base_url) as client:
        player = await client.register(**fields)
    assert player == {
        "player_id": player["player_id"],
        "username": fields["username"],
        "email": fields["email"],
        "currency": "SEK",
        "country": "SE",
        "limits": {},  # no deposit limits asked for at registration
    }


async def test_passwords_are_stored_only_as_argon2id_hashes(casino: ServerProcess) -> None:
    fields = registration()
    async with CasinoClient(casino.base_url) as client:
        player = await client.register(**fields)
    [(stored,)] = test_db.query(
        casino.database_path,
        "SELECT password_hash FROM players WHERE id = ?",
        (player["player_id"],),
    )
    assert stored.startswith("$argon2id$")
    assert STRONG_PASSWORD not in stored


async def test_a_duplicate_email_is_refused(casino: ServerProcess) -> None:
    first = registration()
    async with CasinoClient(casino.base_url) as client:
        await client.register(**first)
    again = registration(email=first["email"].upper())
    assert await refusal(casino, "POST", "/api/players", again) == (409, "EMAIL_TAKEN")


async def test_a_duplicate_username_is_refused(casino: ServerProcess) -> None:
    first = registration()
    async with CasinoClient(casino.base_url) as client:
        await client.register(**first)
    again = registration(username=first["username"])
    assert await refusal(casino, "POST", "/api/players", again) == (409, "USERNAME_TAKEN")


@pytest.mark.parametrize("password", ["short1A!", "aaaaaaaaaaaaaa", "password1234", "abcdefghijkl"])
async def test_a_weak_password_is_refused(casino: ServerProcess, password: str) -> None:
    body = registration(password=password)
    assert await refusal(casino, "POST", "/api/players", body) == (422, "WEAK_PASSWORD")


async def test_a_password_containing_the_username_is_refused(casino: ServerProcess) -> None:
    body = registration()
    body["password"] = f"{body['username']}-X9!"
    assert await refusal(casino, "POST", "/api/players", body) == (422, "WEAK_PASSWORD")


async def test_a_player_under_18_is_refused(casino: ServerProcess) -> None:
    body = registration(date_of_birth="2015-01-01")
    assert await refusal(casino, "POST", "/api/players", body) == (422, "UNDERAGE")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("username", "a b"),
        ("date_of_birth", "03/02/1990"),
        ("date_of_birth", "2999-01-01"),
        ("country", "XX"),
        ("currency", "DOGE"),
        ("email", ""),
    ],
)
async def test_a_malformed_field_is_refused_as_validation_failed(
    casino: ServerProcess, field: str, value: str
) -> None:
    body = registration(**{field: value})
    assert await refusal(casino, "POST", "/api/players", body) == (422, "VALIDATION_FAILED")


async def test_a_missing_field_is_refused_as_validation_failed(casino: ServerProcess) -> None:
    body = registration()
    del body["country"]
    assert await refusal(casino, "POST", "/api/players", body) == (422, "VALIDATION_FAILED")


async def test_a_body_that_is_not_json_is_bad_frame(casino: ServerProcess) -> None:
    async with CasinoClient(casino.base_url) as client:
        response = await client.http.post(
            "/api/players", content=b"{nope", headers={"Content-Type": "application/json"}
        )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "BAD_FRAME")


async def test_nothing_is_stored_for_a_refused_registration(casino: ServerProcess) -> None:
    body = registration(date_of_birth="2015-01-01")
    await refusal(casino, "POST", "/api/players", body)
    found = test_db.query(
        casino.database_path, "SELECT COUNT(*) FROM players WHERE username = ?", (body["username"],)
    )
    assert found == [(0,)]


async def test_login_by_username_or_email_returns_an_expiring_token(casino: ServerProcess) -> None:
    fields = registration()
    async with CasinoClient(casino.base_url) as client:
        player = await client.register(**fields)
        by_name = await client.call(
            "POST", "/api/sessions", {"login": fields["username"], "password": STRONG_PASSWORD}
        )
        by_email = await client.call(
            "POST", "/api/sessions", {"login": fields["email"], "password": STRONG_PASSWORD}
        )
    assert by_name["player_id"] == by_email["player_id"] == player["player_id"]
    assert by_name["token"] != by_email["token"]
    assert len(by_name["token"]) >= 43
    assert by_name["expires_at"] > 0


async def test_only_a_hash_of_the_session_token_is_stored(casino: ServerProcess) -> None:
    fields = registration()
    async with CasinoClient(casino.base_url) as client:
        await client.register(**fields)
        token = await client.login(fields["username"], STRONG_PASSWORD)
    hashes = [
        row[0] for row in test_db.query(casino.database_path, "SELECT token_hash FROM sessions")
    ]
    assert token not in hashes
    assert len(hashes[-1]) == 64


async def test_a_wrong_password_is_invalid_credentials(casino: ServerProcess) -> None:
    fields = registration()
    async with CasinoClient(casino.base_url) as client:
        await client.register(**fields)
    body = {"login": fields["username"], "password": "Wrong-Password-1"}
    assert await refusal(casino, "POST", "/api/sessions", body) == (401, "INVALID_CREDENTIALS")


async def test_an_unknown_login_is_invalid_credentials(casino: ServerProcess) -> None:
    body = {"login": unique("nobody_"), "password": STRONG_PASSWORD}
    assert await refusal(casino, "POST", "/api/sessions", body) == (401, "INVALID_CREDENTIALS")


async def test_logout_revokes_the_token(casino: ServerProcess) -> None:
    fields = registration()
    async with CasinoClient(casino.base_url) as client:
        await client.register(**fields)
        await client.login(fields["username"], STRONG_PASSWORD)
        assert (await client.call("GET", "/api/me"))["username"] == fields["username"]
        await client.logout()
        with pytest.raises(ApiFailure) as caught:
            await client.call("GET", "/api/me")
    assert (caught.value.status, caught.value.code) == (401, "INVALID_TOKEN")


async def test_a_request_without_a_token_is_not_authenticated(casino: ServerProcess) -> None:
    assert await refusal(casino, "GET", "/api/me") == (401, "NOT_AUTHENTICATED")


async def test_an_unknown_path_is_not_found_as_json(casino: ServerProcess) -> None:
    assert await refusal(casino, "GET", "/api/nothing-here") == (404, "NOT_FOUND")


async def test_health_reports_redis_and_database(casino: ServerProcess) -> None:
    async with CasinoClient(casino.base_url) as client:
        assert await client.call("GET", "/health") == {
            "status": "ok",
            "redis": "ok",
            "database": "ok",
        }
