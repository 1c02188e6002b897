"""The national self-exclusion register: the sandbox service answers as GAMSTOP's API does,
and a server wired to it (a real process of each, on real ports) refuses a self-excluded
person at registration and at login with SELF_EXCLUDED, records what mattered, asks only
about players of the countries it covers, and lets a sandbox registration through (and
records it) when the register does not answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from server.rg.register_child import SandboxRegisterChild
from server.storage.redis_child import RedisChild
from tests.conftest import STRONG_PASSWORD, ServerProcess, start_server, stop_server, unique
from tests.support import db as test_db


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxRegisterChild]:
    child = SandboxRegisterChild(tmp_path_factory.mktemp("register"))
    child.start()
    yield child
    child.stop()


@pytest.fixture(scope="module")
def guarded(
    tmp_path_factory: pytest.TempPathFactory, register: SandboxRegisterChild
) -> Iterator[ServerProcess]:
    """A sandbox server that asks the register."""
    workdir = tmp_path_factory.mktemp("guarded")
    redis = RedisChild(workdir / "redis")
    redis.start()
    env = {
        "CASINO_EXCLUSION_REGISTER_URL": register.url,
        "CASINO_EXCLUSION_REGISTER_KEY": register.key,
    }
    try:
        server = start_server(workdir, redis, env)
    except BaseException:
        redis.stop()
        raise
    yield server
    stop_server(server)
    redis.stop()


@pytest.fixture(autouse=True)
def no_fault(register: SandboxRegisterChild) -> Iterator[None]:
    yield
    httpx.post(f"{register.url}/admin/faults", json={"mode": "none"})


def ask(register: SandboxRegisterChild, key: str | None = None, **form: str) -> httpx.Response:
    headers = {"X-API-Key": register.key if key is None else key}
    return httpx.post(f"{register.url}/v2", data=form, headers=headers)


def answered(register: SandboxRegisterChild) -> dict[str, int]:
    counts: dict[str, int] = httpx.get(f"{register.url}/admin/checks").json()
    return counts


def applicant(email_part: str, country: str = "GB") -> dict[str, str]:
    name = unique("r_")
    return {
        "email": f"{email_part}.{name}@example.com",
        "username": name,
        "password": STRONG_PASSWORD,
        "date_of_birth": "1985-06-15",
        "country": country,
        "currency": "GBP" if country == "GB" else "EUR",
    }


def post(server: ServerProcess, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{server.base_url}{path}", json=body, timeout=30)


def register_checks(server: ServerProcess) -> list[dict[str, Any]]:
    """The register_check events in the server's outbox, oldest first."""
    import json

    rows = test_db.query(
        server.database_path,
        "SELECT payload FROM event_outbox WHERE kind = 'register_check' ORDER BY id",
    )
    return [json.loads(payload) for (payload,) in rows]


def players_named(server: ServerProcess, email: str) -> int:
    [(count,)] = test_db.query(
        server.database_path, "SELECT COUNT(*) FROM players WHERE email = ?", (email,)
    )
    return int(count)


# -- the sandbox register, as GAMSTOP answers ---------------------------------------------------
def test_the_register_answers_in_headers_by_the_test_emails(
    register: SandboxRegisterChild,
) -> None:
    found = {}
    for email in ("self.excluded@example.com", "previously.excluded@example.com", "a@b.uk"):
        response = ask(register, email=email, dateOfBirth="1990-01-31", firstName="Ann")
        assert (response.status_code, response.content) == (200, b"")
        found[email] = response.headers["X-Exclusion"]
    assert found == {
        "self.excluded@example.com": "Y",
        "previously.excluded@example.com": "P",
        "a@b.uk": "N",
    }


def test_every_check_has_its_own_unique_id(register: SandboxRegisterChild) -> None:
    ids = {
        ask(register, email="a@b.uk", dateOfBirth="1990-01-31").headers["X-Unique-Id"]
        for _ in range(3)
    }
    assert len(ids) == 3


def test_the_register_refuses_a_wrong_key(register: SandboxRegisterChild) -> None:
    response = ask(register, key="register_test_wrong", email="a@b.uk", dateOfBirth="1990-01-31")
    assert (response.status_code, response.text) == (403, "Invalid API key")
    assert "X-Exclusion" not in response.headers


def test_the_register_refuses_a_malformed_birth_date(register: SandboxRegisterChild) -> None:
    response = ask(register, email="a@b.uk", dateOfBirth="31/01/1990")
    assert (response.status_code, response.text) == (400, "dateOfBirth must be YYYY-MM-DD")


# -- the server asking it -----------------------------------------------------------------------
def test_a_self_excluded_person_cannot_register_and_it_is_recorded(
    guarded: ServerProcess,
) -> None:
    body = applicant("self.excluded")
    response = post(guarded, "/api/players", body)
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "SELF_EXCLUDED"
    assert players_named(guarded, body["email"]) == 0
    last = register_checks(guarded)[-1]
    assert (last["stage"], last["answer"], last["player_id"]) == ("registration", "excluded", 0)
    assert last["reference"] == error["reference"] != ""
    assert body["email"] not in str(last)


def test_a_person_not_on_the_register_registers_and_logs_in_without_a_record(
    guarded: ServerProcess,
) -> None:
    before = len(register_checks(guarded))
    body = applicant("ordinary")
    assert post(guarded, "/api/players", body).status_code == 201
    login = post(guarded, "/api/sessions", {"login": body["username"], "password": STRONG_PASSWORD})
    assert login.status_code == 201
    assert len(register_checks(guarded)) == before


def test_a_previously_excluded_person_registers_and_the_answer_is_recorded(
    guarded: ServerProcess,
) -> None:
    body = applicant("previously.excluded")
    response = post(guarded, "/api/players", body)
    assert response.status_code == 201
    last = register_checks(guarded)[-1]
    assert (last["stage"], last["answer"]) == ("registration", "previously_excluded")


def test_a_player_who_self_excluded_since_signing_up_cannot_log_in(
    guarded: ServerProcess, register: SandboxRegisterChild
) -> None:
    body = applicant("later")
    player_id = post(guarded, "/api/players", body).json()["player_id"]
    httpx.post(f"{register.url}/admin/exclusions", json={"email": body["email"], "answer": "Y"})
    login = post(guarded, "/api/sessions", {"login": body["email"], "password": STRONG_PASSWORD})
    assert login.status_code == 403
    assert login.json()["error"]["code"] == "SELF_EXCLUDED"
    assert "token" not in login.json()
    last = register_checks(guarded)[-1]
    assert (last["stage"], last["answer"], last["player_id"]) == ("login", "excluded", player_id)


def test_a_wrong_password_is_refused_before_the_register_is_asked(
    guarded: ServerProcess, register: SandboxRegisterChild
) -> None:
    body = applicant("later")
    post(guarded, "/api/players", body)
    httpx.post(f"{register.url}/admin/exclusions", json={"email": body["email"], "answer": "Y"})
    before = answered(register)
    login = post(guarded, "/api/sessions", {"login": body["email"], "password": "Wrong-Horse-42"})
    assert login.json()["error"]["code"] == "INVALID_CREDENTIALS"
    assert answered(register) == before


def test_players_of_a_country_the_register_does_not_cover_are_not_asked(
    guarded: ServerProcess, register: SandboxRegisterChild
) -> None:
    before = answered(register)
    body = applicant("self.excluded", country="DE")
    assert post(guarded, "/api/players", body).status_code == 201
    login = post(guarded, "/api/sessions", {"login": body["username"], "password": STRONG_PASSWORD})
    assert login.status_code == 201
    assert answered(register) == before


def test_one_failed_attempt_is_retried(
    guarded: ServerProcess, register: SandboxRegisterChild
) -> None:
    httpx.post(f"{register.url}/admin/faults", json={"mode": "dead", "times": 1})
    response = post(guarded, "/api/players", applicant("self.excluded"))
    assert response.json()["error"]["code"] == "SELF_EXCLUDED"


def test_a_sandbox_registration_goes_through_when_the_register_is_down_and_is_recorded(
    guarded: ServerProcess, register: SandboxRegisterChild
) -> None:
    httpx.post(f"{register.url}/admin/faults", json={"mode": "dead"})
    body = applicant("self.excluded")
    assert post(guarded, "/api/players", body).status_code == 201
    last = register_checks(guarded)[-1]
    assert (last["stage"], last["answer"], last["reference"]) == (
        "registration",
        "unavailable",
        "",
    )
