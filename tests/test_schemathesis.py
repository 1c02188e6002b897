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
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from clients.provider_sim import Signer
from server.api_docs.document import document
from server.app import routes
from server.provider.signatures import PROVIDER_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER
from tests.conftest import STRONG_PASSWORD, ServerProcess, settled_report, unique
from tests.support.payments import Paying, paying  # noqa: F401 (the fixture, used by name)
from tests.support.provider import FRUITS, SANDBOX, sandbox_client, sandbox_secret

EXAMPLES_PER_OPERATION = 25
WALLET_CALLS = ("/provider/transaction/", "/provider/user/")
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
    described = document(routes())["paths"]
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
    unsigned = path.startswith(WALLET_CALLS)
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


@pytest.fixture(scope="module")
def provider_session(casino: ServerProcess, player_tokens: dict[str, str]) -> dict[str, str]:
    """A sandbox game launched by the module's player: what a provider's calls for it carry."""
    token = _player_token(player_tokens, casino.base_url)
    with httpx.Client(base_url=casino.base_url, timeout=30) as http:
        launched = http.post(
            "/api/games/launch",
            json={"provider": SANDBOX, "game_code": FRUITS},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert launched.status_code == 201, launched.text
    query = parse_qs(urlsplit(launched.json()["url"]).query)

    async def open_session() -> str:
        """The provider's first user/info: the launch token for the session token."""
        provider = sandbox_client(casino)
        try:
            return (await provider.open_session({k: v[0] for k, v in query.items()}))["token"]
        finally:
            await provider.aclose()

    return {
        "token": asyncio.run(open_session()),
        "user": query["user"][0],
        "game_code": FRUITS,
        "currency": "EUR",
    }


@pytest.mark.parametrize("path", [p for m, p in _operations() if p.startswith(WALLET_CALLS)])
def test_signed_provider_calls_never_fail_on_our_side(
    path: str, api_document: Any, casino: ServerProcess, provider_session: dict[str, str]
) -> None:
    """Signed as the sandbox provider, half of them with the real session's token, user, game
    and currency, so generated bets, wins and rollbacks reach the wallet; the books are
    reconciled after (the autouse fixture)."""
    signer = Signer(secret=sandbox_secret(casino))
    operation = api_document[path]["POST"]

    @given(case=_valid_and_invalid(operation), real_session=st.booleans())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def exchange(case: Case[Any], real_session: bool) -> None:
        body = case.body
        if real_session and isinstance(body, dict):
            body = {**body, **provider_session}
        if body is NOT_SET:
            raw = b""
        elif isinstance(body, bytes):  # an invalid case's body that is not JSON at all
            raw = body
        else:
            raw = json.dumps(body).encode()
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            PROVIDER_HEADER: SANDBOX,
            TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: signer.sign(stamp, raw),
        }
        response = httpx.post(f"{casino.base_url}{path}", content=raw, headers=headers, timeout=30)
        case.validate_response(response, checks=CHECKS)
        assert response.status_code == 200
        assert response.json()["status"] not in {"RS_ERROR_UNKNOWN", "RS_ERROR_INVALID_SIGNATURE"}

    exchange()
