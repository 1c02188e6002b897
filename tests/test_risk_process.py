"""The risk monitor runs in a child process of each server process: it evaluates what the
server's players do, comes back after a crash where its group left off, hands account
actions to the server, and never outlives the server.

Against the real server (`run.py serve`) on a real port, a real redis-server and a real
SQLite file."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from server.risk.policy import DEFAULTS
from server.risk.process import MODULE
from server.storage.redis_child import RedisChild
from tests.conftest import ServerProcess, start_server, stop_server
from tests.support import db as test_db
from tests.support import geoip as test_geoip
from tests.support import processes
from tests.support.accounts import login, register
from tests.support.observability import delta, scrape

STAFF = "risk-staff-token-for-tests-0123456789"
STAFF_AUTH = {"Authorization": f"Bearer {STAFF}"}
TIMEOUT_S = 20.0
T = TypeVar("T")


def risk_processes(parent: int) -> set[int]:
    """The live risk monitor processes whose parent is `parent`."""
    return set(processes.running(MODULE, {parent}))


def until(find: Callable[[], T], done: Callable[[T], bool], what: str) -> T:
    return processes.until(find, done, what, TIMEOUT_S)


def the_risk_process_of(server: ServerProcess, other_than: int = 0) -> int:
    found = until(
        lambda: risk_processes(server.process.pid),
        lambda f: len(f) == 1 and other_than not in f,
        "one risk monitor process",
    )
    return next(iter(found))


def start(tmp_path: Path, redis: RedisChild, rules: dict[str, Any] | None = None) -> ServerProcess:
    env = {"CASINO_STAFF_TOKEN": STAFF, "CASINO_GEOIP_FILE": str(test_geoip.build(tmp_path))}
    if rules is not None:
        policy = tmp_path / "risk-policy.json"
        policy.write_text(json.dumps({"rules": rules}))
        env["CASINO_RISK_POLICY_FILE"] = str(policy)
    return start_server(tmp_path, redis, env)


@pytest.fixture
def server(tmp_path: Path, private_redis: RedisChild) -> Iterator[ServerProcess]:
    running = start(tmp_path, private_redis)
    yield running
    stop_server(running)


async def alerts_for(http: httpx.AsyncClient, rule: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        reply = await http.get("/api/staff/risk/alerts", params={"rule": rule}, headers=STAFF_AUTH)
        assert reply.status_code == 200, reply.text
        if found := list(reply.json()["alerts"]):
            return found
        assert time.monotonic() < deadline, f"no {rule} alert"
        await asyncio.sleep(0.1)


async def two_devices(http: httpx.AsyncClient) -> str:
    """A player who logs in on a phone, then on a laptop: a `new_device` hit."""
    name, _ = await register(http)
    assert (await login(http, name, device="phone-1")).status_code == 201
    assert (await login(http, name, device="laptop-2")).status_code == 201
    return name


def test_the_risk_monitor_is_a_child_process_of_the_server(server: ServerProcess) -> None:
    pid = the_risk_process_of(server)
    assert processes.cmdline(pid)[1:3] == ["-m", MODULE]
    assert server.redis.password not in " ".join(processes.cmdline(pid))


async def test_a_killed_risk_process_is_replaced_and_judges_what_came_meanwhile(
    server: ServerProcess,
) -> None:
    first = the_risk_process_of(server)
    os.kill(first, signal.SIGKILL)
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        await two_devices(http)  # while no member of the group may be running
        the_risk_process_of(server, other_than=first)
        (alert,) = await alerts_for(http, "new_device")
    assert alert["evidence"]["device_id"] == "laptop-2"
    assert f"risk monitor process {first} ended with exit code -9" in server.log()


async def test_what_the_child_evaluated_shows_on_the_server_metrics(server: ServerProcess) -> None:
    before = await scrape(server.base_url)
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        await two_devices(http)
        await alerts_for(http, "new_device")
    deadline = time.monotonic() + TIMEOUT_S
    while delta(before, after := await scrape(server.base_url), "casino_risk_alerts_total") < 1:
        assert time.monotonic() < deadline, "the alert never showed on /metrics"
        await asyncio.sleep(0.05)
    rules_on = len([r for r in DEFAULTS.values() if r.enabled])
    # Two logins, each judged by every rule (the registration's events are read, not judged).
    assert delta(before, after, "casino_risk_rules_evaluated_total") == 2 * rules_on
    assert delta(before, after, "casino_risk_hits_total", rule="new_device") == 1
    assert delta(before, after, "casino_risk_alert_lag_seconds_count") == 1


async def test_a_restricting_hit_in_the_child_restricts_the_account_in_the_server(
    tmp_path: Path, private_redis: RedisChild
) -> None:
    server = start(tmp_path, private_redis, {"new_device": {"action": "restrict"}})
    try:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            name = await two_devices(http)
            (alert,) = await alerts_for(http, "new_device")
            assert alert["action"] == "restrict"
            deadline = time.monotonic() + TIMEOUT_S
            while True:
                row = test_db.one(
                    server.database_path, "SELECT status FROM players WHERE username = ?", (name,)
                )
                assert row is not None
                if row[0] == "restricted":
                    break
                assert time.monotonic() < deadline, f"the account is still {row[0]}"
                await asyncio.sleep(0.05)
    finally:
        stop_server(server)


def test_the_risk_process_stops_with_the_server(tmp_path: Path, private_redis: RedisChild) -> None:
    server = start(tmp_path, private_redis)
    child = the_risk_process_of(server)
    stop_server(server)
    until(lambda: processes.alive(child), lambda alive: not alive, "the risk process to stop")


def test_a_server_killed_with_sigkill_leaves_no_risk_process(server: ServerProcess) -> None:
    child = the_risk_process_of(server)
    server.process.kill()
    server.process.wait(10)
    until(
        lambda: processes.alive(child), lambda alive: not alive, "the orphaned risk process to exit"
    )
