"""`run.py serve` on its embedded defaults (sandbox mode, private Redis, the
sandbox gateway as a child) with a daily sandbox deposit limit of 100.00: the embedded
gateway gets the same limit for its deposits and a fresh key of its own, which it requires
and which no log shows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from clients import sandbox_gateway
from tests.conftest import Workers, serving_workers, unique
from tests.support.payments import balance, pay, player

LIMIT = 10_000


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CASINO_SANDBOX_DAILY_DEPOSIT_LIMIT", str(LIMIT))
        patch.delenv("CASINO_PAYMENT_GATEWAY_URL", raising=False)
        patch.delenv("CASINO_PAYMENT_GATEWAY_KEY", raising=False)
        with serving_workers(tmp_path_factory.mktemp("embedded"), workers=1) as served:
            yield served


def gateway_url(served: Workers) -> str:
    found = re.search(r"sandbox payment gateway on (http://127\.0\.0\.1:\d+)", served.log())
    assert found, served.log()
    return found.group(1)


async def test_the_embedded_gateway_declines_deposits_past_the_same_limit(
    workers: Workers,
) -> None:
    async with await player(workers.base_url) as client:
        first = await pay(client, "deposits", 6_000)
        second = await pay(client, "deposits", 5_000)
        assert (first[0], first[1]["status"]) == (201, "completed")
        assert (second[0], second[1]["status"], second[1]["error_code"]) == (
            201, "declined", "PAYMENT_DECLINED",
        )  # fmt: skip
        assert await balance(client) == 6_000


@pytest.mark.parametrize(
    "authorization", [None, f"Bearer {sandbox_gateway.DEFAULT_KEY}", "Bearer sk_test_guess"]
)
async def test_the_embedded_gateway_takes_only_the_key_serve_gave_it(
    workers: Workers, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    terms = {"key": unique("k"), "kind": "deposit", "amount": 1, "currency": "EUR", "account": "x"}
    async with httpx.AsyncClient(base_url=gateway_url(workers)) as http:
        response = await http.post("/payments", json=terms, headers=headers)
    assert response.status_code == 401


def test_the_gateway_key_never_reaches_the_log(workers: Workers) -> None:
    log = workers.log()
    gateway_log = Path(workers.env["CASINO_DATA_DIR"]) / "sandbox_gateway" / "sandbox_gateway.log"
    assert "sk_test_" not in log
    assert "sk_test_" not in gateway_log.read_text()


def test_serve_logs_the_mode_and_its_limit(workers: Workers) -> None:
    assert "sandbox mode: play money; sandbox deposits up to 10000 per player in 24 hours" in (
        workers.log()
    )
