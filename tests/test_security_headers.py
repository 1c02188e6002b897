"""Security headers on every HTTP response, and CORS closed unless the operator lists origins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.app import CasinoApp, _internal_error
from server.config import ConfigError, Settings
from server.cors import ALLOWED_HEADERS
from server.security_headers import API_CONTENT_SECURITY_POLICY
from server.storage.redis_child import RedisChild
from tests.conftest import ServerProcess, new_player, start_server, stop_server

LISTED = "https://play.example.com"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization",
}


def _assert_common_headers(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"


def _cors_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


async def test_an_api_reply_with_money_is_never_stored_and_may_load_nothing(
    casino: ServerProcess,
) -> None:
    client, _ = await new_player(casino.base_url, deposit=500)
    async with client:
        reply = await client.http.get(
            "/api/wallet", headers={"Authorization": f"Bearer {client.token}"}
        )
    assert reply.status_code == 200 and reply.json()["balance"] == 500
    _assert_common_headers(reply)
    assert reply.headers["cache-control"] == "no-store"
    assert reply.headers["content-security-policy"] == API_CONTENT_SECURITY_POLICY


async def test_a_login_reply_carrying_a_token_is_never_stored(casino: ServerProcess) -> None:
    client, player = await new_player(casino.base_url)
    async with client:
        reply = await client.http.post(
            "/api/sessions", json={"login": player["username"], "password": "Correct-Horse-42"}
        )
    assert reply.status_code == 201 and reply.json()["token"]
    assert reply.headers["cache-control"] == "no-store"


async def test_a_page_keeps_its_own_policy_and_gains_the_common_headers(
    casino: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        page = await http.get("/")
    assert page.status_code == 200
    _assert_common_headers(page)
    assert page.headers["content-security-policy"].startswith("default-src 'self'; script-src")
    assert page.headers["cache-control"] == "no-cache"


async def test_an_error_reply_carries_the_security_headers(casino: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        missing = await http.get("/api/no-such-thing")
        refused = await http.get("/api/me")
    assert missing.status_code == 404 and refused.status_code == 401
    for reply in (missing, refused):
        _assert_common_headers(reply)
        assert reply.headers["content-security-policy"] == API_CONTENT_SECURITY_POLICY
        assert reply.headers["cache-control"] == "no-store"


async def test_an_internal_error_reply_carries_the_security_headers_too() -> None:
    async def fails(request: Request) -> Response:
        raise RuntimeError("a fault of ours")

    app = CasinoApp(
        routes=[Route("/fails", fails)], exception_handlers={Exception: _internal_error}
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://casino") as http:
        reply = await http.get("/fails")
    assert reply.status_code == 500 and reply.json()["error"]["code"] == "INTERNAL_ERROR"
    _assert_common_headers(reply)
    assert reply.headers["cache-control"] == "no-store"


async def test_strict_transport_security_is_not_sent_over_plain_http(casino: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        plain = await http.get("/api/games")
        # X-Forwarded-Proto counts only from CASINO_TRUSTED_PROXIES, none by default (HSTS
        # through a trusted proxy: tests/test_http_edge_proxies.py).
        claimed = await http.get("/api/games", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in plain.headers
    assert "strict-transport-security" not in claimed.headers


async def test_no_origin_is_allowed_cross_origin_by_default(casino: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        reply = await http.get("/api/games", headers={"Origin": LISTED})
    assert reply.status_code == 200
    assert _cors_headers(reply) == {}


async def test_a_preflight_is_refused_by_default(casino: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        reply = await http.options("/api/sessions", headers={"Origin": LISTED, **PREFLIGHT})
    assert reply.status_code == 403
    assert reply.json()["error"]["code"] == "ORIGIN_NOT_ALLOWED"
    assert _cors_headers(reply) == {}
    _assert_common_headers(reply)


@pytest.fixture(scope="module")
def open_to_one_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of its own (own Redis and database) with CASINO_CORS_ORIGINS set."""
    workdir: Path = tmp_path_factory.mktemp("cors")
    redis = RedisChild(workdir / "redis")
    redis.start()
    server = start_server(
        workdir, redis, {"CASINO_CORS_ORIGINS": f"{LISTED}, http://localhost:3000"}
    )
    try:
        yield server
    finally:
        stop_server(server)
        redis.stop()


async def test_a_listed_origin_gets_its_preflight_answered(
    open_to_one_origin: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=open_to_one_origin.base_url) as http:
        reply = await http.options("/api/sessions", headers={"Origin": LISTED, **PREFLIGHT})
    assert reply.status_code == 204
    assert ALLOWED_HEADERS == "Authorization, Content-Type, Idempotency-Key, X-Request-ID"
    assert _cors_headers(reply) == {
        "access-control-allow-origin": LISTED,
        "access-control-allow-methods": "GET, POST, DELETE",
        "access-control-allow-headers": ALLOWED_HEADERS,
        "access-control-max-age": "600",
    }
    assert reply.headers["vary"] == "Origin"


async def test_a_listed_origin_may_read_replies_and_credentials_are_never_allowed(
    open_to_one_origin: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=open_to_one_origin.base_url) as http:
        reply = await http.get("/api/games", headers={"Origin": LISTED})
    assert reply.status_code == 200
    assert _cors_headers(reply) == {
        "access-control-allow-origin": LISTED,
        "access-control-expose-headers": "X-Request-ID, Retry-After",
    }
    assert reply.headers["vary"] == "Origin"


async def test_an_origin_not_listed_stays_refused_on_an_open_server(
    open_to_one_origin: ServerProcess,
) -> None:
    other = "https://play.example.com.evil.test"
    async with httpx.AsyncClient(base_url=open_to_one_origin.base_url) as http:
        preflight = await http.options("/api/sessions", headers={"Origin": other, **PREFLIGHT})
        reply = await http.get("/api/games", headers={"Origin": other})
    assert preflight.status_code == 403
    assert preflight.json()["error"]["code"] == "ORIGIN_NOT_ALLOWED"
    assert _cors_headers(preflight) == {} and _cors_headers(reply) == {}


def test_cors_origins_are_read_as_exact_origins() -> None:
    settings = Settings.from_env({"CASINO_CORS_ORIGINS": " https://a.example ,http://b.test:8080,"})
    assert settings.cors_origins == ("https://a.example", "http://b.test:8080")
    assert Settings.from_env({}).cors_origins == ()


@pytest.mark.parametrize("value", ["*", "https://a.example/", "a.example", "https://a.example/app"])
def test_a_wildcard_or_a_url_with_a_path_is_not_an_origin(value: str) -> None:
    with pytest.raises(ConfigError, match="CASINO_CORS_ORIGINS must list origins"):
        Settings.from_env({"CASINO_CORS_ORIGINS": value})
