"""Password hashes are argon2id with the configured cost (CASINO_PASSWORD_HASH_*, RFC 9106's
low-memory choice by default); a hash carries its own parameters, so one made under another
cost still verifies; a cost argon2 cannot run is refused at start-up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from server.accounts import passwords
from server.config import ConfigError, PasswordHashCost, Settings

DEFAULT = PasswordHashCost(time_cost=3, memory_kib=65536, parallelism=4)
CHEAP = PasswordHashCost(time_cost=1, memory_kib=8, parallelism=1)


@pytest.fixture(autouse=True)
def default_cost() -> Iterator[None]:
    yield
    passwords.configure(DEFAULT)


def test_the_default_cost_is_rfc_9106s_low_memory_choice() -> None:
    assert Settings.from_env({}).password_hash == DEFAULT
    assert not DEFAULT.below_owasp_minimum


async def test_new_hashes_carry_the_configured_parameters() -> None:
    passwords.configure(DEFAULT)
    assert (await passwords.hash_password("Correct-Horse-42")).startswith(
        "$argon2id$v=19$m=65536,t=3,p=4$"
    )
    passwords.configure(CHEAP)
    assert (await passwords.hash_password("Correct-Horse-42")).startswith(
        "$argon2id$v=19$m=8,t=1,p=1$"
    )


async def test_a_hash_made_under_another_cost_still_verifies() -> None:
    passwords.configure(CHEAP)
    stored = await passwords.hash_password("Correct-Horse-42")
    passwords.configure(PasswordHashCost(time_cost=2, memory_kib=19456, parallelism=1))
    assert await passwords.verify_password(stored, "Correct-Horse-42")
    assert not await passwords.verify_password(stored, "Correct-Horse-43")


async def test_an_unknown_name_is_checked_at_the_configured_cost_and_never_passes() -> None:
    passwords.configure(CHEAP)
    assert not await passwords.verify_password(None, "not a real password, only for timing")
    assert passwords._dummy_hash().startswith("$argon2id$v=19$m=8,t=1,p=1$")


def test_the_cost_is_read_from_the_environment() -> None:
    env = {
        "CASINO_PASSWORD_HASH_TIME_COST": "2",
        "CASINO_PASSWORD_HASH_MEMORY_KIB": "19456",
        "CASINO_PASSWORD_HASH_PARALLELISM": "1",
    }
    assert Settings.from_env(env).password_hash == PasswordHashCost(2, 19456, 1)


@pytest.mark.parametrize(
    ("env", "said"),
    [
        (
            {"CASINO_PASSWORD_HASH_PARALLELISM": "4", "CASINO_PASSWORD_HASH_MEMORY_KIB": "16"},
            "CASINO_PASSWORD_HASH_MEMORY_KIB must be at least 32, got 16",
        ),
        (
            {"CASINO_PASSWORD_HASH_TIME_COST": "0"},
            "CASINO_PASSWORD_HASH_TIME_COST must be at least 1",
        ),
        ({"CASINO_PASSWORD_HASH_PARALLELISM": "x"}, "must be an integer, got 'x'"),
    ],
)
def test_a_cost_argon2_cannot_run_is_refused(env: dict[str, str], said: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env(env)
    assert said in str(refused.value)


@pytest.mark.parametrize(
    ("cost", "weak"),
    [
        (PasswordHashCost(2, 19456, 1), False),
        (PasswordHashCost(2, 19455, 1), True),
        (PasswordHashCost(1, 65536, 4), True),
        (CHEAP, True),
    ],
)
def test_owasps_least_argon2id_cost_is_19_mib_and_two_passes(
    cost: PasswordHashCost, weak: bool
) -> None:
    assert cost.below_owasp_minimum is weak
