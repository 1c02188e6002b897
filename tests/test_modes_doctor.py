"""`run.py doctor` judges the mode as `serve` does: every reason a live server would not
start is a failure with its fix, an acceptable live configuration is ok, and a sandbox
server open to the network is a warning (anyone there can mint play money)."""

from __future__ import annotations

from pathlib import Path

from server.config import Settings
from server.doctor import Level, mode_findings
from tests.support.modes import live_env, live_key, live_settings_env
from tests.test_run_commands import run_py


def test_doctor_fails_a_live_deployment_serve_would_refuse(tmp_path: Path) -> None:
    env = {**live_env(tmp_path), "CASINO_PAYMENT_GATEWAY_URL": "http://127.0.0.1:8100"}
    result = run_py("doctor", env=env, timeout=60)
    assert result.returncode == 1, result.stdout
    assert (
        "FAIL  mode: live (gateway-not-real): CASINO_PAYMENT_GATEWAY_URL is not https"
        in result.stdout
    )
    assert "fix: set CASINO_PAYMENT_GATEWAY_URL to your processor's https API address" in (
        result.stdout
    )
    assert env["CASINO_PAYMENT_GATEWAY_KEY"] not in result.stdout


def test_each_refusal_is_a_failure_with_its_fix() -> None:
    env = {**live_settings_env(), "CASINO_PAYMENT_GATEWAY_KEY": "sk_test_x", "CASINO_HOST": "::"}
    found = mode_findings(Settings.from_env(env), sandbox_provider_enabled=True)
    assert [(f.level, f.detail.split(":", 1)[0]) for f in found] == [
        (Level.FAIL, "live (sandbox-gateway)"),
        (Level.FAIL, "live (metrics-open)"),
        (Level.FAIL, "live (sandbox-provider)"),
    ]
    assert found[2].fix == "python3 run.py provider disable sandbox"


def test_an_acceptable_live_configuration_is_ok() -> None:
    (found,) = mode_findings(Settings.from_env(live_settings_env()), False)
    assert (found.level, found.detail) == (
        Level.OK, "live: no sandbox route or component, a live gateway key",
    )  # fmt: skip


def test_a_sandbox_on_this_machine_is_ok() -> None:
    (found,) = mode_findings(Settings.from_env({}), sandbox_provider_enabled=True)
    assert (found.level, found.detail) == (
        Level.OK, "sandbox: play money, up to 1000000 per player in 24 hours, on this machine only",
    )  # fmt: skip


def test_a_sandbox_open_to_the_network_is_a_warning() -> None:
    env = {"CASINO_HOST": "0.0.0.0", "CASINO_SANDBOX_DAILY_DEPOSIT_LIMIT": "5000"}
    (found,) = mode_findings(Settings.from_env(env), False)
    assert (found.level, found.detail, found.fix) == (
        Level.WARN,
        "sandbox: play money, up to 5000 per player in 24 hours, for anyone who reaches 0.0.0.0"
        " and registers",
        "set CASINO_MODE=live for real money, or serve on 127.0.0.1 for a demo",
    )


def test_a_sandbox_holding_a_live_key_fails() -> None:
    env = {"CASINO_PAYMENT_GATEWAY_KEY": live_key()}
    (found,) = mode_findings(Settings.from_env(env), False)
    assert (found.level, found.detail.split(":", 1)[0]) == (
        Level.FAIL, "sandbox (live-gateway-in-sandbox)",
    )  # fmt: skip
