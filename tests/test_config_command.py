"""`run.py config` prints every variable's effective value with secrets masked, and bad
configuration stops `run.py serve` (and `config`) at once, naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.config import SECRETS, VARIABLES
from server.observability.effective_config import mask_url
from tests.test_run_commands import embedded_env, run_py

REDIS_PASSWORD = "hunter2-Redis-pw"
METRICS_TOKEN = "mt-0123456789abcdef"


def test_config_prints_every_variable_with_secrets_masked(tmp_path: Path) -> None:
    env = {
        **embedded_env(tmp_path),
        "CASINO_REDIS_URL": f"redis://:{REDIS_PASSWORD}@10.0.0.5:6379/0",
        "CASINO_METRICS_TOKEN": METRICS_TOKEN,
        "CASINO_LOG_LEVELS": "server.rounds=debug",
    }
    result = run_py("config", env=env)
    assert result.returncode == 0, result.stderr
    lines = {line.split("=", 1)[0]: line for line in result.stdout.splitlines()}
    assert set(lines) == set(VARIABLES)
    assert REDIS_PASSWORD not in result.stdout and METRICS_TOKEN not in result.stdout
    assert lines["CASINO_REDIS_URL"].startswith("CASINO_REDIS_URL=redis://:****@10.0.0.5:6379/0")
    assert lines["CASINO_REDIS_URL"].endswith("# environment")
    assert lines["CASINO_METRICS_TOKEN"].startswith("CASINO_METRICS_TOKEN=**** (set)")
    assert lines["CASINO_PORT"].startswith("CASINO_PORT=8000 ")
    assert lines["CASINO_PORT"].endswith("# default")
    # An unset database URL shows the file actually used.
    assert f"sqlite:///{tmp_path}/casino.db" in lines["CASINO_DATABASE_URL"]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:pw@h:1/0", "redis://:****@h:1/0"),
        ("rediss://user:pw@h:1/0", "rediss://user:****@h:1/0"),
        ("redis://h:1/0", "redis://h:1/0"),
        ("redis://user@h:1/0?password=pw&db=1", "redis://user@h:1/0?password=****&db=1"),
        ("unix:///run/redis.sock", "unix:///run/redis.sock"),
        ("sqlite:///data/casino.db", "sqlite:///data/casino.db"),
    ],
)
def test_urls_keep_everything_but_the_password(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_the_credential_variables_are_marked_secret() -> None:
    assert {"CASINO_REDIS_URL", "CASINO_DATABASE_URL", "CASINO_METRICS_TOKEN"} <= SECRETS
    assert set(VARIABLES) >= SECRETS


@pytest.mark.parametrize(
    ("name", "bad", "said"),
    [
        ("CASINO_PORT", "eighty", "CASINO_PORT must be an integer"),
        ("CASINO_PORT", "70000", "CASINO_PORT must be at most 65535"),
        ("CASINO_LOG_LEVEL", "LOUD", "CASINO_LOG_LEVEL must be one of DEBUG"),
        ("CASINO_LOG_LEVELS", "server.rounds", "CASINO_LOG_LEVELS must be logger=LEVEL pairs"),
        ("CASINO_LOG_LEVELS", "server.rounds=CHATTY", "CASINO_LOG_LEVELS must be one of"),
        ("CASINO_READY_MAX_FLUSH_LAG_SECONDS", "0", "CASINO_READY_MAX_FLUSH_LAG_SECONDS must be"),
        ("CASINO_REDIS_URL", "http://x", "CASINO_REDIS_URL must start with redis://"),
    ],
)
def test_bad_configuration_stops_serve_and_config_naming_the_variable(
    tmp_path: Path, name: str, bad: str, said: str
) -> None:
    env = {**embedded_env(tmp_path), name: bad}
    for command in ("serve", "config"):
        result = run_py(command, env=env, timeout=30)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert said in result.stderr, (command, result.stderr)
    assert not (tmp_path / "casino.db").exists()  # nothing was started
