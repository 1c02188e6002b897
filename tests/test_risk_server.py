"""Fraud monitoring in a running server: logins through the HTTP API are recorded with their
signals and judged by the monitor task, and staff list, assign and resolve the alerts over
the staff API, every resolution landing in the audit trail."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.storage.redis_child import RedisChild
from tests.conftest import ServerProcess, start_server, stop_server
from tests.support import db as test_db
from tests.support import geoip as test_geoip
from tests.support.accounts import login, register

STAFF = "risk-staff-token-for-tests-0123456789"
STAFF_AUTH = {"Authorization": f"Bearer {STAFF}"}


@pytest.fixture
def server(tmp_path: Path, private_redis: RedisChild) -> Iterator[ServerProcess]:
    env = {
        "CASINO_STAFF_TOKEN": STAFF,
        "CASINO_GEOIP_FILE": str(test_geoip.build(tmp_path)),
    }
    running = start_server(tmp_path, private_redis, env)
    yield running
    stop_server(running)


async def alerts_of(http: httpx.AsyncClient, **query: Any) -> list[dict[str, Any]]:
    reply = await http.get("/api/staff/risk/alerts", params=query, headers=STAFF_AUTH)
    assert reply.status_code == 200, reply.text
    return list(reply.json()["alerts"])


async def wait_for_alerts(http: httpx.AsyncClient, **query: Any) -> list[dict[str, Any]]:
    for _ in range(100):  # the monitor reads the stream after the outbox relays the login
        found = await alerts_of(http, **query)
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError("no alert was raised")


async def test_a_login_from_a_new_device_is_an_alert_staff_resolve_with_a_reason(
    server: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        name, _ = await register(http)
        assert (await login(http, name, device="phone-1")).status_code == 201
        assert (await login(http, name, device="laptop-2")).status_code == 201
        (alert,) = await wait_for_alerts(http, rule="new_device")
        assert (alert["severity"], alert["action"], alert["status"]) == ("low", "flag", "open")
        assert alert["evidence"] == {"device_id": "laptop-2", "address": "127.0.0.1"}
        assigned = await http.post(
            f"/api/staff/risk/alerts/{alert['id']}/assign",
            json={"assignee": "bob"}, headers=STAFF_AUTH,
        )  # fmt: skip
        assert (assigned.status_code, assigned.json()["assignee"]) == (200, "bob")
        resolved = await http.post(
            f"/api/staff/risk/alerts/{alert['id']}/resolve",
            json={"outcome": "dismissed", "reason": "player bought a laptop"},
            headers=STAFF_AUTH,
        )
        assert resolved.status_code == 200, resolved.text
        assert (resolved.json()["status"], resolved.json()["resolved_by"]) == (
            "dismissed", "automation",
        )  # fmt: skip
        again = await http.post(
            f"/api/staff/risk/alerts/{alert['id']}/resolve",
            json={"outcome": "confirmed", "reason": "second thoughts"}, headers=STAFF_AUTH,
        )  # fmt: skip
        assert (again.status_code, again.json()["error"]["code"]) == (409, "RISK_ALERT_RESOLVED")
        assert await alerts_of(http) == []  # open ones only, by default
        assert len(await alerts_of(http, status="any")) == 1
    signals = test_db.query(
        server.database_path,
        "SELECT country, device_id, user_agent FROM login_signals ORDER BY at_ms",
    )
    trail = test_db.query(
        server.database_path,
        "SELECT actor, action, reason FROM audit_trail WHERE action LIKE 'risk_alert_%'"
        " ORDER BY id",
    )
    assert [row[:2] for row in signals] == [("DE", "phone-1"), ("DE", "laptop-2")]
    assert trail == [
        ("rule:new_device", "risk_alert_raised", "low new_device"),
        ("staff:automation", "risk_alert_assigned", "assigned to bob"),
        ("staff:automation", "risk_alert_dismissed", "player bought a laptop"),
    ]


async def test_the_alerts_api_is_for_staff_only(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        reply = await http.get("/api/staff/risk/alerts")
        assert (reply.status_code, reply.json()["error"]["code"]) == (401, "STAFF_ONLY")
        bad = await http.get("/api/staff/risk/alerts", params={"status": "x"}, headers=STAFF_AUTH)
        assert bad.json()["error"]["code"] == "VALIDATION_FAILED"
