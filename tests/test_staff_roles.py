"""Every staff route declares the roles that may call it, and each role is refused every
route not granted to it (walking the app's own route table, over real HTTP)."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.routing import Route

from server import app
from server.staff import routes as staff_routes
from server.staff.guard import declared_roles
from server.staff.roles import Role
from tests.conftest import ServerProcess
from tests.support.kyc import STAFF_TOKEN
from tests.support.staff import add_staff, bearer, login


def staff_routes_of_app() -> list[Route]:
    return [
        route
        for route in app.routes()
        if isinstance(route, Route) and route.path.startswith("/api/staff/")
    ]


def concrete(path: str) -> str:
    """A path with its parameters filled in: ids 1, words `x`."""
    return re.sub(r"\{(\w+)(?::(\w+))?\}", lambda m: "1" if m[2] == "int" else "x", path)


def calls() -> list[tuple[str, str, frozenset[Role]]]:
    found = []
    for route in staff_routes_of_app():
        roles = declared_roles(route.endpoint)
        if roles is None:
            continue
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                found.append((method, concrete(route.path), roles))
    return found


@pytest.fixture(scope="module")
def tokens(casino: ServerProcess) -> dict[Role, str]:
    return {
        role: login(casino.base_url, add_staff(casino.database_path, role.value)) for role in Role
    }


def test_every_staff_route_but_the_login_declares_its_roles() -> None:
    undeclared = [
        route.path
        for route in staff_routes_of_app()
        if declared_roles(route.endpoint) is None and route.path not in staff_routes.OPEN_PATHS
    ]
    assert undeclared == []


def test_admin_is_granted_every_declared_staff_route() -> None:
    assert [path for _, path, roles in calls() if Role.ADMIN not in roles] == []


def test_the_role_table_is_what_the_operators_page_says() -> None:
    granted = {(method, path): sorted(r.value for r in roles) for method, path, roles in calls()}
    assert granted[("POST", "/api/staff/aml/cases/1/x")] == ["admin", "compliance"]
    assert granted[("GET", "/api/staff/kyc/queue")] == ["admin", "compliance"]
    assert granted[("POST", "/api/staff/payments/1/refund")] == ["admin", "finance"]
    assert granted[("GET", "/api/staff/risk/alerts")] == ["admin", "risk"]
    assert granted[("GET", "/api/staff/me")] == sorted(r.value for r in Role)


def _send(base_url: str, method: str, path: str, token: str) -> httpx.Response:
    body: dict[str, object] | None = {} if method == "POST" else None
    return httpx.request(method, base_url + path, json=body, headers=bearer(token), timeout=30)


def test_each_role_is_refused_every_route_not_granted_to_it(
    casino: ServerProcess, tokens: dict[Role, str]
) -> None:
    wrong = []
    for method, path, roles in calls():
        for role in set(Role) - roles:
            reply = _send(casino.base_url, method, path, tokens[role])
            code = reply.json().get("error", {}).get("code")
            if (reply.status_code, code) != (403, "STAFF_ROLE_REFUSED"):
                wrong.append(f"{role} {method} {path}: {reply.status_code} {code}")
    assert wrong == []


def test_each_role_passes_the_guard_of_every_route_granted_to_it(
    casino: ServerProcess, tokens: dict[Role, str]
) -> None:
    wrong = []
    for method, path, roles in calls():
        if path == "/api/staff/logout":
            continue  # it would end the session the other routes use
        for role in roles:
            reply = _send(casino.base_url, method, path, tokens[role])
            code = reply.json().get("error", {}).get("code") if reply.status_code >= 400 else None
            if code in ("STAFF_ROLE_REFUSED", "STAFF_ONLY"):
                wrong.append(f"{role} {method} {path}: {code}")
    assert wrong == []


def test_no_session_is_refused_every_declared_route_as_staff_only(casino: ServerProcess) -> None:
    wrong = []
    for method, path, _ in calls():
        reply = _send(casino.base_url, method, path, "not-a-session")
        if (reply.status_code, reply.json()["error"]["code"]) != (401, "STAFF_ONLY"):
            wrong.append(f"{method} {path}: {reply.status_code}")
    assert wrong == []


def test_the_automation_key_acts_as_admin(casino: ServerProcess) -> None:
    reply = httpx.get(f"{casino.base_url}/api/staff/me", headers=bearer(STAFF_TOKEN))
    assert reply.json() == {"id": 0, "name": "automation", "role": "admin"}
