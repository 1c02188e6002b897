"""Account care against the real server: email verification, password reset, two-factor
login, the profile and the player's own sessions, with the mail read from the sandbox sink."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import STRONG_PASSWORD, ServerProcess, unique
from tests.support import db as test_db
from tests.support.accounts import (
    auth,
    code_now,
    events_of,
    expire_tokens,
    link_token,
    login,
    mail,
    mails,
    player_id,
    register,
    secret_of,
    token_of,
)

NEW_PASSWORD = "Brand-New-Pass-77"


@pytest.fixture
async def http(casino: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=casino.base_url, timeout=20) as client:
        yield client


# Email verification


async def test_registration_mails_a_link_that_verifies_the_address(
    http: httpx.AsyncClient, casino: ServerProcess
) -> None:
    name, email = await register(http)
    token = link_token(await mail(http, email, "Confirm your email"), "verify")
    reply = await http.post("/api/email-verifications", json={"token": token})
    assert (reply.status_code, reply.json()) == (200, {"email_verified": True})
    profile = await http.get("/api/me/profile", headers=auth(await token_of(http, name)))
    assert profile.json()["email_verified"] is True
    assert "email_verified" in events_of(
        casino.database_path, player_id(casino.database_path, name)
    )


async def test_a_verification_link_works_once(http: httpx.AsyncClient) -> None:
    _, email = await register(http)
    token = link_token(await mail(http, email, "Confirm your email"), "verify")
    await http.post("/api/email-verifications", json={"token": token})
    again = await http.post("/api/email-verifications", json={"token": token})
    assert again.status_code == 410
    assert again.json()["error"]["code"] == "INVALID_LINK"


async def test_an_expired_verification_link_is_refused_and_verifies_nothing(
    http: httpx.AsyncClient, casino: ServerProcess
) -> None:
    name, email = await register(http)
    token = link_token(await mail(http, email, "Confirm your email"), "verify")
    expire_tokens(casino.database_path, player_id(casino.database_path, name))
    reply = await http.post("/api/email-verifications", json={"token": token})
    assert (reply.status_code, reply.json()["error"]["code"]) == (410, "LINK_EXPIRED")
    profile = await http.get("/api/me/profile", headers=auth(await token_of(http, name)))
    assert profile.json()["email_verified"] is False


async def test_a_made_up_verification_token_is_an_invalid_link(http: httpx.AsyncClient) -> None:
    reply = await http.post("/api/email-verifications", json={"token": "x" * 43})
    assert (reply.status_code, reply.json()["error"]["code"]) == (410, "INVALID_LINK")


async def test_a_missing_token_is_a_validation_error(http: httpx.AsyncClient) -> None:
    reply = await http.post("/api/email-verifications", json={})
    assert (reply.status_code, reply.json()["error"]["code"]) == (422, "VALIDATION_FAILED")


@pytest.mark.parametrize(
    "body", [{"login": "ann\u0000"}, {"login": ["a", {"k": "\u0000"}]}, {"\u0000": "ann"}]
)
async def test_a_nul_character_anywhere_in_a_body_is_a_validation_error(
    http: httpx.AsyncClient, body: dict[str, object]
) -> None:
    # PostgreSQL cannot store a NUL in text; it is refused on both databases, before any work.
    reply = await http.post("/api/password-resets", json=body)
    assert (reply.status_code, reply.json()["error"]) == (
        422,
        {"code": "VALIDATION_FAILED", "message": "text may not contain the NUL character"},
    )


async def test_a_resent_link_retires_the_first(http: httpx.AsyncClient) -> None:
    name, email = await register(http)
    first = link_token(await mail(http, email, "Confirm your email"), "verify")
    resent = await http.post("/api/me/email-verification", headers=auth(await token_of(http, name)))
    assert resent.status_code == 202
    second = link_token(await mail(http, email, "Confirm your email", count=2), "verify")
    old = await http.post("/api/email-verifications", json={"token": first})
    assert old.json()["error"]["code"] == "INVALID_LINK"
    new = await http.post("/api/email-verifications", json={"token": second})
    assert new.status_code == 200


# Password reset


async def test_reset_answers_the_same_for_an_account_and_for_nobody(
    http: httpx.AsyncClient,
) -> None:
    name, _ = await register(http)
    known = await http.post("/api/password-resets", json={"login": name})
    unknown = await http.post("/api/password-resets", json={"login": unique("nobody_")})
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content


async def test_reset_takes_at_least_the_floor_on_both_paths(http: httpx.AsyncClient) -> None:
    from server.accounts.recovery import RESET_REPLY_FLOOR_S

    name, _ = await register(http)
    for login_name in (name, unique("nobody_")):
        reply = await http.post("/api/password-resets", json={"login": login_name})
        assert reply.elapsed.total_seconds() >= RESET_REPLY_FLOOR_S


async def test_reset_for_nobody_mails_nobody(http: httpx.AsyncClient) -> None:
    nobody = unique("nobody_")
    await http.post("/api/password-resets", json={"login": f"{nobody}@example.com"})
    assert await mails(http, f"{nobody}@example.com") == []


async def test_a_reset_link_sets_the_password_and_ends_every_session(
    http: httpx.AsyncClient, casino: ServerProcess
) -> None:
    name, email = await register(http)
    old_session = await token_of(http, name)
    await http.post("/api/password-resets", json={"login": email})
    token = link_token(await mail(http, email, "Reset your password"), "reset")
    reply = await http.post(
        "/api/password-resets/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert (reply.status_code, reply.json()) == (200, {"sessions_ended": 1})
    assert (await http.get("/api/me", headers=auth(old_session))).status_code == 401
    assert (await login(http, name, NEW_PASSWORD)).status_code == 201
    assert (await login(http, name, STRONG_PASSWORD)).status_code == 401
    assert "password_reset" in events_of(
        casino.database_path, player_id(casino.database_path, name)
    )


async def test_the_player_is_mailed_that_the_password_changed(http: httpx.AsyncClient) -> None:
    name, email = await register(http)
    await http.post("/api/password-resets", json={"login": name})
    token = link_token(await mail(http, email, "Reset your password"), "reset")
    await http.post(
        "/api/password-resets/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert (await mail(http, email, "Your password was changed"))["to"] == email


async def test_a_reset_link_works_once(http: httpx.AsyncClient) -> None:
    name, email = await register(http)
    await http.post("/api/password-resets", json={"login": name})
    token = link_token(await mail(http, email, "Reset your password"), "reset")
    body = {"token": token, "new_password": NEW_PASSWORD}
    assert (await http.post("/api/password-resets/confirm", json=body)).status_code == 200
    body["new_password"] = "Another-Pass-88"
    again = await http.post("/api/password-resets/confirm", json=body)
    assert (again.status_code, again.json()["error"]["code"]) == (410, "INVALID_LINK")
    assert (await login(http, name, NEW_PASSWORD)).status_code == 201


async def test_an_expired_reset_link_is_refused_and_changes_nothing(
    http: httpx.AsyncClient, casino: ServerProcess
) -> None:
    name, email = await register(http)
    await http.post("/api/password-resets", json={"login": name})
    token = link_token(await mail(http, email, "Reset your password"), "reset")
    expire_tokens(casino.database_path, player_id(casino.database_path, name))
    reply = await http.post(
        "/api/password-resets/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert (reply.status_code, reply.json()["error"]["code"]) == (410, "LINK_EXPIRED")
    assert (await login(http, name, STRONG_PASSWORD)).status_code == 201


async def test_a_weak_new_password_is_refused_and_leaves_the_link_usable(
    http: httpx.AsyncClient,
) -> None:
    name, email = await register(http)
    await http.post("/api/password-resets", json={"login": name})
    token = link_token(await mail(http, email, "Reset your password"), "reset")
    weak = await http.post(
        "/api/password-resets/confirm", json={"token": token, "new_password": "short"}
    )
    assert (weak.status_code, weak.json()["error"]["code"]) == (422, "WEAK_PASSWORD")
    strong = await http.post(
        "/api/password-resets/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert strong.status_code == 200


# Two-factor login


async def two_factor_on(http: httpx.AsyncClient, name: str) -> tuple[bytes, list[str]]:
    token = await token_of(http, name)
    setup = (await http.post("/api/me/two-factor/setup", headers=auth(token))).json()
    secret = secret_of(setup)
    enabled = await http.post(
        "/api/me/two-factor/enable", json={"code": code_now(secret)}, headers=auth(token)
    )
    assert enabled.status_code == 200, enabled.text
    return secret, list(enabled.json()["recovery_codes"])


async def test_with_two_factor_a_right_password_alone_asks_for_the_code(
    http: httpx.AsyncClient,
) -> None:
    name, _ = await register(http)
    await two_factor_on(http, name)
    reply = await login(http, name)
    assert (reply.status_code, reply.json()["error"]["code"]) == (401, "TWO_FACTOR_REQUIRED")


async def test_with_two_factor_a_wrong_password_is_still_just_wrong(
    http: httpx.AsyncClient,
) -> None:
    name, _ = await register(http)
    await two_factor_on(http, name)
    reply = await login(http, name, "Wrong-Password-99")
    assert reply.json()["error"]["code"] == "INVALID_CREDENTIALS"


async def test_the_next_step_s_code_logs_in_once(http: httpx.AsyncClient) -> None:
    name, _ = await register(http)
    secret, _ = await two_factor_on(http, name)
    code = code_now(secret, steps_ahead=1)  # the enable used up this step's code
    assert (await login(http, name, code=code)).status_code == 201
    again = await login(http, name, code=code)
    assert (again.status_code, again.json()["error"]["code"]) == (401, "INVALID_TWO_FACTOR_CODE")


async def test_the_code_that_enabled_two_factor_cannot_log_in(http: httpx.AsyncClient) -> None:
    name, _ = await register(http)
    token = await token_of(http, name)
    secret = secret_of((await http.post("/api/me/two-factor/setup", headers=auth(token))).json())
    code = code_now(secret)
    await http.post("/api/me/two-factor/enable", json={"code": code}, headers=auth(token))
    reply = await login(http, name, code=code)
    assert reply.json()["error"]["code"] == "INVALID_TWO_FACTOR_CODE"


async def test_a_code_two_steps_ahead_is_refused(http: httpx.AsyncClient) -> None:
    name, _ = await register(http)
    secret, _ = await two_factor_on(http, name)
    reply = await login(http, name, code=code_now(secret, steps_ahead=3))
    assert reply.json()["error"]["code"] == "INVALID_TWO_FACTOR_CODE"


async def test_a_recovery_code_logs_in_once(http: httpx.AsyncClient, casino: ServerProcess) -> None:
    name, _ = await register(http)
    _, codes = await two_factor_on(http, name)
    assert (await login(http, name, code=codes[0])).status_code == 201
    again = await login(http, name, code=codes[0])
    assert again.json()["error"]["code"] == "INVALID_TWO_FACTOR_CODE"
    assert (await login(http, name, code=codes[1])).status_code == 201
    kinds = events_of(casino.database_path, player_id(casino.database_path, name))
    assert kinds.count("two_factor") == 3  # enabled, then two recovery codes used


async def test_enabling_with_a_wrong_code_leaves_two_factor_off(http: httpx.AsyncClient) -> None:
    name, _ = await register(http)
    token = await token_of(http, name)
    await http.post("/api/me/two-factor/setup", headers=auth(token))
    reply = await http.post(
        "/api/me/two-factor/enable", json={"code": "000000"}, headers=auth(token)
    )
    assert reply.json()["error"]["code"] == "INVALID_TWO_FACTOR_CODE"
    state = await http.get("/api/me/two-factor", headers=auth(token))
    assert state.json() == {"enabled": False}
    assert (await login(http, name)).status_code == 201


async def test_two_factor_is_turned_off_with_password_and_code(http: httpx.AsyncClient) -> None:
    name, _ = await register(http)
    secret, codes = await two_factor_on(http, name)
    token = (await login(http, name, code=codes[0])).json()["token"]
    off = await http.post(
        "/api/me/two-factor/disable",
        json={"password": STRONG_PASSWORD, "code": code_now(secret, steps_ahead=1)},
        headers=auth(token),
    )
    assert (off.status_code, off.json()) == (200, {"enabled": False})
    assert (await login(http, name)).status_code == 201


# Profile


async def test_language_and_postal_address_change(
    http: httpx.AsyncClient, casino: ServerProcess
) -> None:
    name, _ = await register(http)
    token = await token_of(http, name)
    reply = await http.post(
        "/api/me/profile",
        json={"language": "de", "postal_address": "Hauptstr. 1, Berlin"},
        headers=auth(token),
    )
    assert reply.status_code == 200
    assert (reply.json()["language"], reply.json()["postal_address"]) == (
        "de", "Hauptstr. 1, Berlin",
    )  # fmt: skip
    assert "profile" in events_of(casino.database_path, player_id(casino.database_path, name))


async def test_a_german_player_gets_german_mail(http: httpx.AsyncClient) -> None:
    name, email = await register(http)
    token = await token_of(http, name)
    await http.post("/api/me/profile", json={"language": "de"}, headers=auth(token))
    await http.post("/api/me/email-verification", headers=auth(token))
    message = await mail(http, email, "Bestätigen Sie Ihre E-Mail-Adresse")
    assert "<a href=" in message["html"]


@pytest.mark.parametrize("field", ["date_of_birth", "username", "name"])
async def test_identity_fields_are_refused_and_point_to_kyc(
    http: httpx.AsyncClient, field: str
) -> None:
    name, _ = await register(http)
    reply = await http.post(
        "/api/me/profile", json={field: "x"}, headers=auth(await token_of(http, name))
    )
    error = reply.json()["error"]
    assert (reply.status_code, error["code"], error["field"]) == (422, "VALIDATION_FAILED", field)
    assert "KYC" in error["message"]


async def test_an_unknown_language_is_refused(http: httpx.AsyncClient) -> None:
    name, _ = await register(http)
    reply = await http.post(
        "/api/me/profile", json={"language": "xx"}, headers=auth(await token_of(http, name))
    )
    assert (reply.json()["error"]["code"], reply.json()["error"]["field"]) == (
        "VALIDATION_FAILED", "language",
    )  # fmt: skip


async def test_a_new_email_needs_the_password_and_is_verified_again(
    http: httpx.AsyncClient,
) -> None:
    name, email = await register(http)
    token = await token_of(http, name)
    first = link_token(await mail(http, email, "Confirm your email"), "verify")
    await http.post("/api/email-verifications", json={"token": first})
    new_email = f"{unique('new_')}@example.com"
    wrong = await http.post(
        "/api/me/email", json={"email": new_email, "password": "Wrong-Pass-11"},
        headers=auth(token),
    )  # fmt: skip
    assert wrong.json()["error"]["code"] == "INVALID_CREDENTIALS"
    reply = await http.post(
        "/api/me/email", json={"email": new_email, "password": STRONG_PASSWORD},
        headers=auth(token),
    )  # fmt: skip
    assert (reply.json()["email"], reply.json()["email_verified"]) == (new_email, False)
    assert (await mail(http, email, "Your email address was changed"))["to"] == email
    token_new = link_token(await mail(http, new_email, "Confirm your email"), "verify")
    assert (
        await http.post("/api/email-verifications", json={"token": token_new})
    ).status_code == 200


async def test_an_email_another_account_uses_is_taken(http: httpx.AsyncClient) -> None:
    name, _ = await register(http)
    _, other_email = await register(http)
    reply = await http.post(
        "/api/me/email", json={"email": other_email, "password": STRONG_PASSWORD},
        headers=auth(await token_of(http, name)),
    )  # fmt: skip
    assert (reply.status_code, reply.json()["error"]["code"]) == (409, "EMAIL_TAKEN")


# Sessions


async def test_my_sessions_list_device_address_and_which_is_current(
    http: httpx.AsyncClient,
) -> None:
    name, _ = await register(http)
    await token_of(http, name, device="phone")
    token = await token_of(http, name, device="laptop")
    found = (await http.get("/api/me/sessions", headers=auth(token))).json()["sessions"]
    assert len(found) == 2
    assert sorted(s["current"] for s in found) == [False, True]
    assert {s["address"] for s in found} == {"127.0.0.1"}
    assert {s["device"] for s in found} == {"TestBrowser/1.0"}


async def test_ending_one_session_logs_that_one_out(
    http: httpx.AsyncClient, casino: ServerProcess
) -> None:
    name, _ = await register(http)
    other = await token_of(http, name, device="phone")
    token = await token_of(http, name, device="laptop")
    found = (await http.get("/api/me/sessions", headers=auth(token))).json()["sessions"]
    (target,) = [s["id"] for s in found if not s["current"]]
    reply = await http.delete(f"/api/me/sessions/{target}", headers=auth(token))
    assert reply.json() == {"sessions_ended": 1}
    assert (await http.get("/api/me", headers=auth(other))).status_code == 401
    assert (await http.get("/api/me", headers=auth(token))).status_code == 200
    assert "session_ended" in events_of(casino.database_path, player_id(casino.database_path, name))


async def test_ending_all_other_sessions_keeps_this_one(http: httpx.AsyncClient) -> None:
    name, _ = await register(http)
    others = [await token_of(http, name, device=f"d{i}") for i in range(3)]
    token = await token_of(http, name)
    reply = await http.delete("/api/me/sessions", headers=auth(token))
    assert reply.json() == {"sessions_ended": 3}
    for other in others:
        assert (await http.get("/api/me", headers=auth(other))).status_code == 401
    assert (await http.get("/api/me", headers=auth(token))).status_code == 200


async def test_a_session_of_another_player_is_not_found(http: httpx.AsyncClient) -> None:
    name, _ = await register(http)
    stranger, _ = await register(http)
    await token_of(http, stranger)
    token = await token_of(http, name)
    theirs = await token_of(http, stranger, device="b")
    mine = (await http.get("/api/me/sessions", headers=auth(theirs))).json()["sessions"]
    reply = await http.delete(f"/api/me/sessions/{mine[0]['id']}", headers=auth(token))
    assert (reply.status_code, reply.json()["error"]["code"]) == (404, "NOT_FOUND")


async def test_a_login_from_a_new_device_is_mailed(http: httpx.AsyncClient) -> None:
    name, email = await register(http)
    await token_of(http, name, device="first")
    await token_of(http, name, device="first")
    assert [m for m in await mails(http, email) if "New sign-in" in m["subject"]] == []
    await login(http, name, device="second", user_agent="OtherBrowser/2.0")
    message = await mail(http, email, "New sign-in")
    assert "OtherBrowser/2.0, from 127.0.0.1." in message["text"]


async def test_wrong_codes_count_as_failed_logins_until_the_lock(http: httpx.AsyncClient) -> None:
    name, _ = await register(http)
    await two_factor_on(http, name)
    codes = [(await login(http, name, code="000000")).json()["error"]["code"] for _ in range(6)]
    assert codes == ["INVALID_TWO_FACTOR_CODE"] * 5 + ["LOGIN_LOCKED"]  # 5 failures allowed


async def test_the_two_factor_secret_is_stored_encrypted(
    http: httpx.AsyncClient, casino: ServerProcess
) -> None:

    name, _ = await register(http)
    token = await token_of(http, name)
    setup = (await http.post("/api/me/two-factor/setup", headers=auth(token))).json()
    [(stored,)] = test_db.query(
        casino.database_path, "SELECT totp_secret FROM players WHERE username = ?", (name,)
    )
    assert stored.startswith("v1:")
    assert setup["secret"] not in stored and secret_of(setup).hex() not in stored


async def test_a_reset_closes_the_sockets_of_the_ended_sessions(
    http: httpx.AsyncClient, casino: ServerProcess
) -> None:
    from websockets.exceptions import ConnectionClosed

    from clients.api import CasinoClient

    name, email = await register(http)
    async with CasinoClient(casino.base_url) as client, client.socket() as sock:
        await client.login(name, STRONG_PASSWORD)
        assert client.token is not None
        await sock.hello(client.token)
        await http.post("/api/password-resets", json={"login": name})
        token = link_token(await mail(http, email, "Reset your password"), "reset")
        await http.post(
            "/api/password-resets/confirm", json={"token": token, "new_password": NEW_PASSWORD}
        )
        pushed = await sock.next_push()
        with pytest.raises(ConnectionClosed) as closed:
            await sock.receive()
    assert pushed == {"type": "forced_logout", "reason": "password_reset"}
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4003
