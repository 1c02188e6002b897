"""`run.py serve` in live mode refuses to start (exit 2, the cause named on stderr, nothing
started) for each reason a live server could mint or leak money: no gateway, a gateway that
is not a real processor, a sandbox (test) gateway key, a weak secret, /metrics open to the
network, the sandbox provider enabled; and a sandbox server refuses a live gateway key. The
judgements are also checked one by one as the pure functions serve and doctor share."""

from __future__ import annotations

from pathlib import Path

import pytest

from server import mode
from server.config import Settings
from server.provider import registry, sandbox
from server.storage.database import Database
from server.storage.redis_child import free_port
from tests.support import db as test_db
from tests.support.modes import live_env, live_key, live_settings_env
from tests.test_run_commands import embedded_env, run_py


def refused(tmp_path: Path, *args: str, **changes: str) -> str:
    """serve's stderr, once it has refused to start with `changes` made to a live
    configuration it accepts; asserts exit 2 and that nothing was started."""
    env = {**live_env(tmp_path), **changes}
    for name, value in changes.items():
        if not value:
            env.pop(name)
    result = run_py("serve", "--port", str(free_port()), *args, env=env, timeout=30)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert not (tmp_path / "redis").exists(), "a refused server started its Redis"
    return result.stderr


def test_live_with_password_hashing_below_owasps_least_is_refused(tmp_path: Path) -> None:
    stderr = refused(tmp_path, CASINO_PASSWORD_HASH_MEMORY_KIB="8192")
    assert (
        "refusing to start in live mode (weak-password-hashing): CASINO_PASSWORD_HASH_* ask for"
        " argon2id with 8192 KiB and 2 pass(es): weaker than OWASP's least" in stderr
    )


def test_live_without_a_gateway_is_refused(tmp_path: Path) -> None:
    stderr = refused(tmp_path, CASINO_PAYMENT_GATEWAY_URL="")
    assert (
        "refusing to start in live mode (gateway-missing): no payment gateway:"
        " CASINO_PAYMENT_GATEWAY_URL is unset; fix: set CASINO_PAYMENT_GATEWAY_URL" in stderr
    )
    assert not (tmp_path / "casino.db").exists()


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://api.acquirer-payments.com", "is not https"),
        ("https://127.0.0.1:8100", "points at this machine (127.0.0.1)"),
        ("https://localhost:8100", "points at this machine (localhost)"),
        ("https://gateway.invalid", "uses the reserved name gateway.invalid"),
        ("https://pay.example.com", "uses the reserved name pay.example.com"),
    ],
)
def test_live_with_a_gateway_that_is_no_payment_processor_is_refused(
    tmp_path: Path, url: str, said: str
) -> None:
    stderr = refused(tmp_path, CASINO_PAYMENT_GATEWAY_URL=url)
    assert f"(gateway-not-real): CASINO_PAYMENT_GATEWAY_URL {said}" in stderr


def test_live_with_the_default_sandbox_gateway_key_is_refused(tmp_path: Path) -> None:
    stderr = refused(tmp_path, CASINO_PAYMENT_GATEWAY_KEY="")
    assert (
        "refusing to start in live mode (sandbox-gateway): CASINO_PAYMENT_GATEWAY_KEY is a"
        " sandbox key (sk_test_...): its gateway moves play money" in stderr
    )


def test_live_with_a_test_key_of_a_real_processor_is_refused(tmp_path: Path) -> None:
    stderr = refused(tmp_path, CASINO_PAYMENT_GATEWAY_KEY=f"sk_test_{live_key()[8:]}")
    assert "(sandbox-gateway)" in stderr


def test_live_with_a_short_gateway_key_is_refused_without_showing_it(tmp_path: Path) -> None:
    stderr = refused(tmp_path, CASINO_PAYMENT_GATEWAY_KEY="sk_live_Qx7Kp2")
    assert (
        "(weak-secret): the secret in CASINO_PAYMENT_GATEWAY_KEY is shorter than 24 characters"
        in stderr
    )
    assert "Qx7Kp2" not in stderr


def test_live_with_a_placeholder_metrics_token_is_refused(tmp_path: Path) -> None:
    stderr = refused(tmp_path, CASINO_METRICS_TOKEN="changeme")
    assert "(weak-secret): the secret in CASINO_METRICS_TOKEN is a well-known placeholder" in stderr


def test_live_with_a_short_redis_password_is_refused(tmp_path: Path) -> None:
    stderr = refused(tmp_path, CASINO_REDIS_URL="redis://:hunter2@10.0.0.5:6379/0")
    assert "(weak-secret): the secret in CASINO_REDIS_URL is shorter than 24" in stderr
    assert "hunter2" not in stderr


def test_live_with_metrics_on_a_public_address_without_a_token_is_refused(
    tmp_path: Path,
) -> None:
    stderr = refused(tmp_path, "--host", "0.0.0.0")
    assert (
        "refusing to start in live mode (metrics-open): /metrics on 0.0.0.0 is readable by"
        " anyone who reaches the port; fix: set CASINO_METRICS_TOKEN" in stderr
    )


async def test_live_with_the_sandbox_provider_enabled_is_refused(tmp_path: Path) -> None:
    target = test_db.target_for(tmp_path)
    db = Database(target)
    await db.open()  # what a sandbox server left behind: the provider registered, active
    await sandbox.ensure(db)
    await db.close()
    url = test_db.url_of(target)
    stderr = refused(tmp_path, CASINO_DATABASE_URL=url)
    assert (
        "refusing to start in live mode (sandbox-provider): the sandbox game provider is"
        " enabled in the database" in stderr
    )
    assert "fix: python3 run.py provider disable sandbox" in stderr
    # The fix, pasted as printed, works.
    fixed = run_py(
        "provider", "disable", "sandbox", env={**live_env(tmp_path), "CASINO_DATABASE_URL": url}
    )
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert not sandbox.enabled_in(target)


def test_sandbox_with_a_live_gateway_key_is_refused(tmp_path: Path) -> None:
    env = {**embedded_env(tmp_path), "CASINO_PAYMENT_GATEWAY_KEY": live_key()}
    result = run_py("serve", "--port", str(free_port()), env=env, timeout=30)
    assert result.returncode == 2, result.stderr
    assert (
        "refusing to start in sandbox mode (live-gateway-in-sandbox): CASINO_PAYMENT_GATEWAY_KEY"
        " is a live key (sk_live_...) but CASINO_MODE is sandbox" in result.stderr
    )
    assert not (tmp_path / "redis").exists()


def test_every_refusal_is_listed_at_once(tmp_path: Path) -> None:
    stderr = refused(tmp_path, CASINO_PAYMENT_GATEWAY_URL="", CASINO_PAYMENT_GATEWAY_KEY="")
    names = [line.split("(", 1)[1].split(")", 1)[0] for line in stderr.splitlines()]
    assert names == ["gateway-missing", "sandbox-gateway"]


def test_an_unknown_mode_is_a_configuration_error(tmp_path: Path) -> None:
    result = run_py("serve", env={**embedded_env(tmp_path), "CASINO_MODE": "prod"}, timeout=60)
    assert result.returncode == 2
    assert "configuration error: CASINO_MODE must be sandbox or live, got 'prod'" in result.stderr


def test_a_gateway_key_of_neither_kind_is_a_configuration_error(tmp_path: Path) -> None:
    env = {**embedded_env(tmp_path), "CASINO_PAYMENT_GATEWAY_KEY": "pk_live_abc"}
    result = run_py("serve", env=env, timeout=60)
    assert result.returncode == 2
    assert (
        "configuration error: CASINO_PAYMENT_GATEWAY_KEY must start with sk_test_ or sk_live_"
        in result.stderr
    )
    assert "pk_live_abc" not in result.stderr


# -- the judgements, one by one ----------------------------------------------------------------
def test_an_acceptable_live_configuration_has_no_refusal() -> None:
    assert mode.refusals(Settings.from_env(live_settings_env()), False) == []


def test_the_default_configuration_is_an_acceptable_sandbox() -> None:
    settings = Settings.from_env({})
    assert (settings.mode, settings.sandbox_daily_deposit_limit) == ("sandbox", 1_000_000)
    assert mode.refusals(settings, sandbox_provider_enabled=True) == []


def test_a_metrics_token_makes_a_public_live_address_acceptable() -> None:
    env = {**live_settings_env(), "CASINO_HOST": "0.0.0.0", "CASINO_METRICS_TOKEN": live_key()}
    assert mode.refusals(Settings.from_env(env), False) == []


@pytest.mark.parametrize(
    ("secret", "weakness"),
    [
        ("changeme", "is a well-known placeholder"),
        ("PASSWORD", "is a well-known placeholder"),
        ("a1B2c3D4e5F6g7H8i9J0k1L", "is shorter than 24 characters"),
        ("abababababababababababababab", "repeats too few characters to be random"),
        ("a1B2c3D4e5F6g7H8i9J0k1L2", None),
    ],
)
def test_a_secret_is_weak_when_known_short_or_repetitive(secret: str, weakness: str | None) -> None:
    assert mode.weakness(secret) == weakness


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://api.acquirer-payments.com/v1", None),
        ("https://10.1.2.3:8443", None),  # a processor reached over a private link
        ("https://[::1]:8443", "points at this machine (::1), where only the sandbox gateway runs"),
        ("https://sandbox.test", "uses the reserved name sandbox.test, which no payment"
         " processor has"),
        ("ftp://api.acquirer-payments.com", "is not https: card and payout data would cross the"
         " network in clear"),
    ],
)  # fmt: skip
def test_a_gateway_url_is_real_when_https_and_not_here_or_reserved(
    url: str, problem: str | None
) -> None:
    assert mode.gateway_url_problem(url) == problem


async def test_the_sandbox_provider_counts_as_enabled_only_while_active(tmp_path: Path) -> None:
    path = tmp_path / "casino.db"
    assert sandbox.enabled_in(path) is False  # no database yet
    db = Database(path)
    await db.open()
    try:
        assert sandbox.enabled_in(path) is False  # migrated, never registered
        await sandbox.ensure(db)
        assert sandbox.enabled_in(path) is True
        await registry.set_status(db, sandbox.SANDBOX_ID, "disabled")
        assert sandbox.enabled_in(path) is False
    finally:
        await db.close()
