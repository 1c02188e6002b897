"""`run.py doctor` and `run.py migrate` on real deployments: a fresh directory, a healthy
embedded server, and a broken one (Redis without AOF and evicting, a database newer than
the code, which `serve` and `migrate` must refuse with a clear message). The doctor's
judgements are also checked one by one."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from server.config import Settings
from server.doctor import (
    GIB,
    Level,
    clock_finding,
    disk_finding,
    exposure_findings,
    persistence_findings,
    redis_url_findings,
)
from server.storage.database import DatabaseTarget, is_postgres, latest_schema
from server.storage.redis_child import RedisChild, free_port
from tests.support.observability import log_lines
from tests.support.postgres import database_target, postgres_cluster
from tests.test_run_commands import ROOT, embedded_env, run_py

__all__ = ["database_target", "postgres_cluster"]  # fixtures, used by name


def _levels(output: str) -> dict[str, str]:
    """check name -> worst level printed for it."""
    order = ["skip", "ok", "warn", "FAIL"]
    found: dict[str, str] = {}
    for line in output.splitlines():
        level, _, rest = line.partition(" ")
        if level in order and ":" in rest:
            check = rest.strip().split(":", 1)[0]
            if order.index(level) >= order.index(found.get(check, "skip")):
                found[check] = level
    return found


def test_a_fresh_directory_needs_migrate_and_migrate_is_idempotent(
    tmp_path: Path, database_target: DatabaseTarget
) -> None:
    env = embedded_env(tmp_path)
    if is_postgres(database_target):
        env["CASINO_DATABASE_URL"] = str(database_target)
    before = run_py("doctor", env=env, timeout=30)
    assert before.returncode == 1, before.stdout
    assert _levels(before.stdout)["database schema"] == "FAIL"
    assert "fix: run `python3 run.py migrate`" in before.stdout

    first = run_py("migrate", env=env, timeout=30)
    assert first.returncode == 0, first.stderr
    assert "applied 0001_initial.sql" in first.stdout
    assert first.stdout.strip().endswith(f"schema version {latest_schema()}")
    again = run_py("migrate", env=env, timeout=30)
    assert again.returncode == 0, again.stderr
    assert "applied" not in again.stdout
    assert f"schema version {latest_schema()} (already current)" in again.stdout

    after = run_py("doctor", env=env, timeout=30)
    assert after.returncode == 0, after.stdout
    assert _levels(after.stdout)["database schema"] == "ok"


@pytest.fixture
def embedded_server(tmp_path: Path) -> Iterator[Path]:
    """`run.py serve` with its private Redis in tmp_path, up and answering."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "serve", "--port", str(port)],
        env=embedded_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        yield tmp_path
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)


def test_doctor_passes_a_healthy_embedded_deployment(embedded_server: Path) -> None:
    result = run_py("doctor", env=embedded_env(embedded_server), timeout=30)
    assert result.returncode == 0, result.stdout
    levels = _levels(result.stdout)
    for check in ("configuration", "redis reachable", "redis persistence", "clock", "flusher"):
        assert levels[check] == "ok", result.stdout
    assert levels["database schema"] == "ok"
    assert "appendonly yes, appendfsync always (CONFIG GET)" in result.stdout
    assert "nothing to fix" in result.stdout


@pytest.fixture
def careless_redis(tmp_path: Path) -> Iterator[RedisChild]:
    """A Redis that would lose balances: no AOF, and evicting keys under memory pressure."""
    child = RedisChild(tmp_path / "redis")
    child.start()
    client = redis.Redis.from_url(child.url)
    client.config_set("appendonly", "no")
    client.config_set("maxmemory-policy", "allkeys-lru")
    client.close()
    yield child
    child.stop()


def test_doctor_flags_a_bad_deployment_and_serve_refuses_a_newer_schema(
    tmp_path: Path, careless_redis: RedisChild
) -> None:
    env = {**embedded_env(tmp_path), "CASINO_REDIS_URL": careless_redis.url}
    assert run_py("migrate", env=env, timeout=30).returncode == 0
    with sqlite3.connect(tmp_path / "casino.db") as db:  # as if a newer release had run
        db.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'x.sql', 0)"
        )
    result = run_py("doctor", env=env, timeout=30)
    assert result.returncode == 1, result.stdout
    levels = _levels(result.stdout)
    assert levels["redis persistence"] == "FAIL"
    assert levels["redis eviction"] == "FAIL"
    assert levels["database schema"] == "FAIL"
    assert "fix: set `appendonly yes` in redis.conf" in result.stdout
    assert "fix: set `maxmemory-policy noeviction`" in result.stdout
    assert "schema 999, newer than this code" in result.stdout
    assert careless_redis.password not in result.stdout

    served = run_py("serve", "--port", str(free_port()), env=env, timeout=30)
    assert served.returncode == 2
    (refusal,) = log_lines(served.stderr)
    assert refusal["level"] == "CRITICAL"
    assert "is at schema 999, newer than this code" in refusal["message"]
    migrated = run_py("migrate", env=env, timeout=30)
    assert migrated.returncode == 2
    assert "newer than this code" in migrated.stderr


# -- the judgements, one by one ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "level"),
    [
        ("redis://10.0.0.5:6379/0", Level.FAIL),
        ("redis://db.internal:6379/0", Level.FAIL),
        ("redis://127.0.0.1:6379/0", Level.WARN),
        ("redis://localhost:6379/0", Level.WARN),
        ("rediss://:pw@10.0.0.5:6379/0", Level.OK),
        ("redis://:pw@[::1]:6379/0", Level.OK),
        ("unix:///run/redis.sock", Level.OK),
    ],
)
def test_a_redis_url_without_a_password_off_this_machine_must_be_fixed(
    url: str, level: Level
) -> None:
    (access, *_) = redis_url_findings(url)
    assert access.level is level


def test_plain_redis_over_the_network_is_a_warning() -> None:
    transport = [
        f for f in redis_url_findings("redis://:pw@10.0.0.5/0") if f.check != "redis access"
    ]
    assert [f.level for f in transport] == [Level.WARN]
    assert all(f.check != "redis transport" for f in redis_url_findings("rediss://:pw@h/0"))


@pytest.mark.parametrize(
    ("config", "levels"),
    [
        ({"appendonly": "yes", "appendfsync": "everysec"}, [Level.OK]),
        ({"appendonly": "yes", "appendfsync": "always"}, [Level.OK]),
        ({"appendonly": "yes", "appendfsync": "no"}, [Level.FAIL]),
        ({"appendonly": "no"}, [Level.FAIL]),
        ({"appendonly": "yes", "maxmemory-policy": "noeviction"}, [Level.OK]),
        ({"appendonly": "yes", "maxmemory-policy": "volatile-lru"}, [Level.OK, Level.FAIL]),
    ],
)
def test_persistence_settings(config: dict[str, str], levels: list[Level]) -> None:
    assert [f.level for f in persistence_findings(config, "test")] == levels


@pytest.mark.parametrize(
    ("skew_s", "level"), [(0.0, Level.OK), (-0.1, Level.OK), (1.0, Level.WARN), (-3.0, Level.FAIL)]
)
def test_clock_skew(skew_s: float, level: Level) -> None:
    assert clock_finding(skew_s).level is level


@pytest.mark.parametrize(
    ("free", "level"), [(100 * GIB, Level.OK), (GIB, Level.WARN), (GIB // 10, Level.FAIL)]
)
def test_disk_space(tmp_path: Path, free: int, level: Level) -> None:
    assert disk_finding(tmp_path, free).level is level


def test_metrics_open_to_the_network_is_a_warning() -> None:
    def level(**env: str) -> Level:
        return exposure_findings(Settings.from_env(env))[0].level

    assert level() is Level.OK
    assert level(CASINO_HOST="0.0.0.0") is Level.WARN
    assert level(CASINO_HOST="0.0.0.0", CASINO_METRICS_TOKEN="t") is Level.OK
