"""`run.py serve` with no configuration runs the sandbox self-exclusion register as its own
child, beside the sandbox payment gateway, and asks it: a GB applicant whose email the test
data mark as self-excluded is refused, an ordinary one registers."""

from __future__ import annotations

import httpx

from tests.conftest import STRONG_PASSWORD, unique
from tests.test_payments_serve import embedded  # noqa: F401 (the fixture)


def applicant(email_part: str) -> dict[str, str]:
    name = unique("s_")
    return {
        "email": f"{email_part}.{name}@example.com", "username": name,
        "password": STRONG_PASSWORD, "date_of_birth": "1985-06-15", "country": "GB",
        "currency": "GBP",
    }  # fmt: skip


def test_serve_without_configuration_asks_its_own_sandbox_register(
    embedded: str,  # noqa: F811
) -> None:
    excluded = httpx.post(f"{embedded}/api/players", json=applicant("excluded"), timeout=30)
    ordinary = httpx.post(f"{embedded}/api/players", json=applicant("ordinary"), timeout=30)
    assert (excluded.status_code, excluded.json()["error"]["code"]) == (403, "SELF_EXCLUDED")
    assert ordinary.status_code == 201
