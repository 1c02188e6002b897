"""Which routes each mode serves, proved by walking the app's own route table (Mounts
included), not a list written here: a live server has no sandbox route, and a real live
server answers every sandbox path NOT_FOUND, credits nothing and says `Casino-Mode: live`;
a sandbox server says `Casino-Mode: sandbox` on every reply, errors and pages included."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from server import mode
from server.app import routes
from server.config import Mode
from tests.conftest import ServerProcess, new_player
from tests.support import db as test_db
from tests.support.modes import live_server


def sandbox_operations(table: list[BaseRoute]) -> list[tuple[str, str]]:
    """(method, path) of every sandbox route in a route table, Mounts walked into."""
    found = []
    for path, route in mode.walk(table):
        if mode.is_sandbox_route(route, path) and isinstance(route, Route):
            found += [(method, path) for method in sorted(route.methods or ())]
    return found


def test_the_live_route_table_holds_no_sandbox_route() -> None:
    live = list(mode.walk(routes(Mode.LIVE)))
    assert [path for path, route in live if mode.is_sandbox_route(route, path)] == []
    assert [path for path, _ in live if "sandbox" in path] == []


def test_the_sandbox_route_table_holds_the_sandbox_deposit_and_mail() -> None:
    assert sandbox_operations(routes(Mode.SANDBOX)) == [
        ("GET", "/api/sandbox/mail"), ("HEAD", "/api/sandbox/mail"),
        ("POST", "/api/sandbox/deposits"),
    ]  # fmt: skip


def test_live_drops_exactly_the_sandbox_routes_and_keeps_the_order() -> None:
    def names(table: list[BaseRoute]) -> list[str]:
        return [f"{type(route).__name__} {path}" for path, route in mode.walk(table)]

    sandbox_table = routes(Mode.SANDBOX)
    kept = [r for r in sandbox_table if not mode.is_sandbox_route(r)]
    assert names(routes(Mode.LIVE)) == names(kept)


def test_a_sandbox_route_is_under_the_sandbox_prefix_and_from_a_sandbox_module() -> None:
    for path, route in mode.walk(routes(Mode.SANDBOX)):
        if isinstance(route, Route | WebSocketRoute):
            under_prefix = path.startswith(mode.SANDBOX_PREFIX)
            from_sandbox_module = "sandbox" in route.endpoint.__module__
            assert under_prefix == from_sandbox_module, path


async def _endpoint(request: Request) -> Response:
    return Response("")


def test_a_sandbox_route_inside_a_mount_is_found_and_left_out_in_live() -> None:
    table: list[BaseRoute] = [
        Mount("/api", routes=[Route("/sandbox/coins", _endpoint), Route("/wallet", _endpoint)]),
        Mount("/api/sandbox", routes=[Route("/faucet", _endpoint)]),
    ]
    assert [path for path, _ in mode.walk(table)] == [
        "/api", "/api/sandbox/coins", "/api/wallet", "/api/sandbox", "/api/sandbox/faucet",
    ]  # fmt: skip
    live = mode.routes_for(Mode.LIVE, table)
    assert [path for path, _ in mode.walk(live)] == ["/api", "/api/wallet"]


# -- a real live server ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def live_casino(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with live_server(tmp_path_factory.mktemp("live")) as server:
        yield server


async def test_a_live_server_answers_every_sandbox_path_not_found_and_credits_nothing(
    live_casino: ServerProcess,
) -> None:
    operations = sandbox_operations(routes(Mode.SANDBOX))
    assert operations  # the walk found what it must prove absent
    client, _ = await new_player(live_casino.base_url)
    async with client:
        assert client.token is not None
        for method, path in operations:
            response = await client.http.request(
                method,
                path,
                json={"amount": 100_000},
                headers={"Authorization": f"Bearer {client.token}", "Idempotency-Key": "k-1"},
            )
            assert response.status_code == 404, (method, path, response.text)
            if method == "HEAD":  # a reply to HEAD has no body to read
                continue
            assert response.json() == {
                "error": {"code": "NOT_FOUND", "message": "no such endpoint"}
            }
        assert (await client.call("GET", "/api/wallet"))["balance"] == 0
    assert test_db.query(live_casino.database_path, "SELECT COUNT(*) FROM deposits") == [(0,)]


async def test_a_live_server_says_live_on_every_reply(live_casino: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=live_casino.base_url) as http:
        replies = [
            await http.get("/health"),
            await http.get("/"),
            await http.get("/api/nothing-here"),
            await http.post("/api/players", content=b"not json"),
        ]
    assert [reply.headers["casino-mode"] for reply in replies] == ["live"] * 4


async def test_a_live_server_registers_no_sandbox_provider(live_casino: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=live_casino.base_url) as http:
        games = (await http.get("/games")).json()["games"]
    assert [game for game in games if game.get("provider") == "sandbox"] == []
    assert test_db.query(
        live_casino.database_path, "SELECT COUNT(*) FROM providers WHERE id = 'sandbox'"
    ) == [(0,)]


async def test_a_live_server_describes_no_sandbox_path(live_casino: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=live_casino.base_url) as http:
        paths = (await http.get("/openapi.json")).json()["paths"]
    assert "/api/wallet" in paths
    assert [path for path in paths if path.startswith(mode.SANDBOX_PREFIX)] == []


def test_a_live_server_logs_its_mode(live_casino: ServerProcess) -> None:
    assert "live mode: no sandbox route or component" in live_casino.log()


# -- the shared sandbox server -----------------------------------------------------------------
async def test_a_sandbox_server_says_sandbox_on_every_reply(casino: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        replies = [
            await http.get("/health"),
            await http.get("/"),
            await http.get("/js/app.js"),
            await http.get("/api/nothing-here"),
            await http.post("/api/sandbox/deposits", json={"amount": 1}),  # no token: 401
        ]
    assert [reply.status_code for reply in replies] == [200, 200, 200, 404, 401]
    assert [reply.headers["casino-mode"] for reply in replies] == ["sandbox"] * 5


async def test_a_post_to_a_path_no_route_has_is_not_found(casino: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        unknown = await http.post("/api/sandbox/coins", json={})
        wrong_method = await http.post("/api/wallet", json={})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "NOT_FOUND")
    assert wrong_method.status_code == 405


async def test_a_sandbox_server_lists_the_sandbox_provider_games(casino: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        games = (await http.get("/games")).json()["games"]
    assert {game["game_code"] for game in games if game["provider"] == "sandbox"} == {
        "sandbox-fruits", "sandbox-dice", "sandbox-live-wheel",
    }  # fmt: skip
