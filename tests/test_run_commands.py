"""The commands a user types: run.py --help, serve with its private Redis, and demo."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from server import cli
from server.cli import build_parser
from server.storage.redis_child import free_port

ROOT = Path(__file__).resolve().parent.parent


def run_py(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "CASINO_NO_BOOTSTRAP": "1", **(env or {})},
        cwd=ROOT,
    )


def embedded_env(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "CASINO_NO_BOOTSTRAP": "1", "CASINO_DATA_DIR": str(data_dir)}
    for name in ("CASINO_REDIS_URL", "CASINO_DATABASE_URL"):
        env.pop(name, None)
    return env


def parser_commands() -> list[str]:
    subcommands = next(
        action
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    return list(subcommands.choices)


def test_help_lists_every_command() -> None:
    result = run_py("--help")
    assert result.returncode == 0
    listed = {line.split()[0] for line in result.stdout.splitlines() if line.startswith("    ")}
    assert {"serve", "demo", "test", "rtp", "rng-certify", "verify"} <= set(parser_commands())
    assert [command for command in parser_commands() if command not in listed] == []


def test_serve_runs_a_private_redis_and_ctrl_c_stops_both(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "data"
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "serve", "--port", str(port)],
        env=embedded_env(data),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        conf = (data / "redis" / "redis.conf").read_text()
        redis_port = next(line.split()[1] for line in conf.splitlines() if line.startswith("port "))
        redis_pids = subprocess.run(
            ["pgrep", "-f", f"redis-server 127.0.0.1:{redis_port}"], capture_output=True, text=True
        ).stdout.split()
        assert len(redis_pids) == 1
        assert "bind 127.0.0.1" in conf and "appendonly yes" in conf
        assert oct((data / "redis" / "redis.conf").stat().st_mode & 0o777) == "0o600"
        # Personal data and secrets: the data directory and the database are serve's user's.
        assert oct(data.stat().st_mode & 0o777) == "0o700"
        assert oct((data / "casino.db").stat().st_mode & 0o777) == "0o600"
        # Operator commands find the embedded Redis and database by themselves.
        reconciled = run_py("reconcile", env=embedded_env(data))
        assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
        assert "ledger sums by currency: none" in reconciled.stdout
        doctor = run_py("doctor", env=embedded_env(data))
        assert "readable by every user" not in doctor.stdout
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=30)
        assert server.returncode == 0, output
        assert not Path(f"/proc/{redis_pids[0]}").exists()
        assert (data / "casino.db").exists()
        assert (data / "redis" / "appendonlydir").is_dir()
        assert "private redis-server on 127.0.0.1" in output
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_reconcile_without_a_redis_says_where_to_find_one(tmp_path: Path) -> None:
    result = run_py("reconcile", env=embedded_env(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"no Redis to reconcile: {tmp_path} has no embedded Redis (start `run.py serve`),"
        " and CASINO_REDIS_URL is not set"
    )


def test_a_bad_configuration_value_fails_fast_with_its_name(tmp_path: Path) -> None:
    result = run_py(
        "serve", env={"CASINO_DATA_DIR": str(tmp_path), "CASINO_SESSION_TTL_SECONDS": "soon"}
    )
    assert result.returncode == 2
    assert "CASINO_SESSION_TTL_SECONDS must be an integer" in result.stderr


def test_demo_without_a_server_starts_a_private_one_and_plays_20_spins(tmp_path: Path) -> None:
    env = embedded_env(tmp_path)
    result = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "demo", "--url", f"http://127.0.0.1:{free_port()}"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert sum(line.startswith("spin ") for line in lines) == 20
    assert any(line.startswith("final balance ") for line in lines)
    assert "history read back from the server: 20 rounds" in lines


def test_demo_of_a_game_that_does_not_exist_exits_non_zero_with_the_reason(
    tmp_path: Path,
) -> None:
    result = run_py(
        "demo", "--url", f"http://127.0.0.1:{free_port()}", "--game", "nope", "--spins", "1",
        env=embedded_env(tmp_path),
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith(
        "the demo stopped: the server refused a spin (UNKNOWN_GAME: "
    ), result.stderr


def test_the_suite_runs_on_two_workers_unless_told_otherwise() -> None:
    assert cli._workers([]) == ["-n", "2", "--dist", "loadfile", "--durations", "25"]
    assert cli._workers(["-n", "0", "tests/test_bench.py"]) == []
    assert cli._workers(["--numprocesses=4"]) == []
