"""schemathesis against the live server from its `GET /openapi.json`: no 5xx, replies as described.

Each operation gets a bounded number of generated requests, valid and invalid
ones, sent with a real player's bearer token (the logout operation gets a
fresh token per request, so it cannot end the shared one). The provider wallet
calls are sent unsigned: they must answer RS_ERROR_INVALID_SIGNATURE (or
WRONG_SYNTAX for an oversized body) and never reach the wallet. The payments
operations go to the payments tests' private world (its own server, Redis and
sandbox gateway process), whose books must reconcile afterwards.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from server.api_docs.document import document
from server.app import create_app
from server.config import Settings
from tests.conftest import STRONG_PASSWORD, ServerProcess, settled_report, unique
from tests.test_payments_kit import Paying, paying  # noqa: F401 (the fixture, used by name)

EXAMPLES_PER_OPERATION = 25
UNSIGNED_REPLIES = {"RS_ERROR_INVALID_SIGNATURE", "RS_ERROR_WRONG_SYNTAX"}
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {
            # Unknown query parameters are ignored, as HTTP servers do; not a refusal to test.
            "allow-extra-parameters": False,
            # The bearer token is the real one, set on every request below.
            "with-security-parameters": False,
        }
    }
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture(scope="module")
def api_document(casino: ServerProcess) -> Any:
    return schemathesis.openapi.from_url(f"{casino.base_url}/openapi.json", config=CONFIG)


@pytest.fixture(scope="module")
def player_tokens() -> dict[str, str]:
    """Per server base URL, the bearer token of a player with money, shared by the module.

    Generated password changes lock this account's logins: the token stays valid."""
    return {}


def _player_token(tokens: dict[str, str], base_url: str) -> str:
    if base_url not in tokens:
        with httpx.Client(base_url=base_url, timeout=30) as http:
            token = _login(http, _register(http))
            deposit = http.post(
                "/api/sandbox/deposits",
                json={"amount": 10_000},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": unique("st-")},
            )
            assert deposit.status_code == 201
        tokens[base_url] = token
    return tokens[base_url]


@pytest.fixture(scope="module")
def leaver(casino: ServerProcess) -> str:
    """A player who only logs in and out: the logout operation's fresh tokens are theirs."""
    with httpx.Client(base_url=casino.base_url, timeout=30) as http:
        return _register(http)


def _register(http: httpx.Client) -> str:
    name = unique("st_")
    registered = http.post(
        "/api/players",
        json={
            "email": f"{name}@example.com",
            "username": name,
            "password": STRONG_PASSWORD,
            "date_of_birth": "1985-06-15",
            "country": "DE",
            "currency": "EUR",
        },
    )
    assert registered.status_code == 201, registered.text
    return name


def _login(http: httpx.Client, name: str) -> str:
    reply = http.post("/api/sessions", json={"login": name, "password": STRONG_PASSWORD})
    assert reply.status_code == 201, reply.text
    token: str = reply.json()["token"]
    return token


def _operations() -> list[tuple[str, str]]:
    described = document(create_app(Settings.from_env({})).routes)["paths"]
    return [(method, path) for path, operations in described.items() for method in operations]


def _valid_and_invalid(operation: APIOperation[Any, Any, Any, Any]) -> SearchStrategy[Case[Any]]:
    return st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )


@pytest.mark.parametrize(("method", "path"), _operations(), ids=lambda value: str(value))
def test_no_request_gets_a_5xx_and_every_reply_is_as_documented(
    method: str,
    path: str,
    api_document: Any,
    casino: ServerProcess,
    player_tokens: dict[str, str],
    leaver: str,
    request: pytest.FixtureRequest,
) -> None:
    unsigned = path.startswith(("/provider/transaction/", "/provider/user/"))
    # Payments need a gateway: the shared server has none (PAYMENTS_UNAVAILABLE, by design).
    world: Paying | None = request.getfixturevalue("paying") if "/payments" in path else None
    target = world.server if world is not None else casino
    player_token = _player_token(player_tokens, target.base_url)

    @given(case=_valid_and_invalid(api_document[path][method.upper()]))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,  # each run explores afresh
    )
    def exchange(case: Case[Any]) -> None:
        bearer = player_token
        if (method, path) == ("delete", "/api/sessions/current"):
            with httpx.Client(base_url=casino.base_url, timeout=30) as http:
                bearer = _login(http, leaver)  # logging out must not end the shared token
        headers = {"Authorization": f"Bearer {bearer}"}
        if unsigned:
            response = case.call_and_validate(
                base_url=target.base_url, headers=headers, checks=CHECKS
            )
            assert response.status_code == 200
            assert response.json()["status"] in UNSIGNED_REPLIES
            return
        case.call_and_validate(
            base_url=target.base_url, headers=headers, checks=[*CHECKS, negative_data_rejection]
        )

    exchange()
    if world is not None:
        report = asyncio.run(settled_report(world.server))
        assert report.ok, "\n".join(report.lines())
