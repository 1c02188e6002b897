"""AML on the real withdrawal path: the real server, the sandbox gateway process and Redis.

Linked deposits structured under EUR 2,000 hold the withdrawal until due diligence (KYC
level 2), a rule's hold lifts when staff clear the case from the admin command, an
ordinary player is not stopped, and the ledger reconciles after each test.

The KYC level is set in the database directly: reaching it through the KYC vendor is
the KYC tests' subject, not these.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import pytest

from clients.api import CasinoClient
from server.storage.database import now_ms
from server.storage.redis_child import RedisChild, free_port
from tests.conftest import ROOT, settled_report, start_server, stop_server
from tests.support import db as test_db
from tests.support.payments import SERVER_ENV, Gateway, Paying, balance, pay, player

# Quick cash-out fires from EUR 3,000 deposited: above the CDD threshold, so a test can
# reach due diligence without it.
POLICY = {
    "rules": [
        {"name": "quick_cashout", "threshold_eur": "3000", "window_hours": 24,
         "action": "hold_withdrawals"},
    ]
}  # fmt: skip


@pytest.fixture(scope="module")
def screening(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Paying]:
    workdir = tmp_path_factory.mktemp("aml")
    policy = workdir / "aml-policy.json"
    policy.write_text(json.dumps(POLICY))
    redis = RedisChild(workdir / "redis")
    redis.start()
    gateway = Gateway(free_port(), workdir / "gateway.db", workdir / "gateway.log")
    try:
        gateway.start()
        env = {**SERVER_ENV, "CASINO_PAYMENT_GATEWAY_URL": gateway.url,
               "CASINO_AML_POLICY_FILE": str(policy)}  # fmt: skip
        world = Paying(start_server(workdir, redis, env), gateway, workdir, redis)
    except BaseException:
        gateway.stop()
        redis.stop()
        raise
    try:
        yield world
    finally:
        stop_server(world.server)
        gateway.stop()
        redis.stop()


@pytest.fixture
async def client(screening: Paying) -> AsyncIterator[CasinoClient]:
    async with await player(screening.server.base_url) as logged_in:
        yield logged_in
    report = await settled_report(screening.server)
    assert report.ok, "\n".join(report.lines())


async def player_id(client: CasinoClient) -> int:
    return int((await client.call("GET", "/api/me"))["player_id"])


def set_kyc_level(world: Paying, player: int, level: int) -> None:
    with test_db.connect(world.server.database_path) as conn:
        conn.execute(
            "INSERT INTO kyc_status (player_id, status, updated_at, level) VALUES (?, 'verified',"
            " ?, ?) ON CONFLICT (player_id) DO UPDATE SET level = excluded.level",
            (player, now_ms(), level),
        )


def open_cases(world: Paying, player: int) -> list[tuple[int, str, str]]:
    rows = test_db.query(
        world.server.database_path,
        "SELECT id, rule, action FROM aml_cases WHERE player_id = ? AND status = 'open'"
        " ORDER BY id",
        (player,),
    )
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def admin(world: Paying, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CASINO_DATA_DIR": str(world.workdir),
           "CASINO_DATABASE_URL": test_db.url_of(world.server.database_path)}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "server.aml.admin", *args],
        capture_output=True, text=True, env=env, cwd=ROOT, check=False, timeout=60,
    )  # fmt: skip


async def deposited(client: CasinoClient, *amounts: int) -> None:
    for amount in amounts:
        status, body = await pay(client, "deposits", amount)
        assert (status, body["status"]) == (201, "completed")


async def test_an_ordinary_verified_player_withdraws(
    screening: Paying, client: CasinoClient
) -> None:
    set_kyc_level(screening, await player_id(client), 1)
    await deposited(client, 10_000)
    status, body = await pay(client, "withdrawals", 5_000)
    assert (status, body["status"], body["balance"]) == (201, "completed", 5_000)
    assert open_cases(screening, await player_id(client)) == []


async def test_deposits_structured_under_eur_2000_hold_the_withdrawal_until_due_diligence(
    screening: Paying, client: CasinoClient
) -> None:
    me = await player_id(client)
    set_kyc_level(screening, me, 1)
    await deposited(client, 49_900, 49_900, 49_900, 49_900, 1_000)  # EUR 2,006 in five
    status, body = await pay(client, "withdrawals", 5_000)
    assert (status, body["error"]["code"], body["error"]["linked_eur_cents"]) == (
        409, "CDD_REQUIRED", 205_600,
    )  # fmt: skip
    assert await balance(client) == 200_600  # nothing moved
    assert [(rule, action) for _, rule, action in open_cases(screening, me)] == [("cdd", "flag")]
    set_kyc_level(screening, me, 2)  # address and source of funds verified
    status, body = await pay(client, "withdrawals", 5_000)
    assert (status, body["status"], body["balance"]) == (201, "completed", 195_600)


async def test_a_rule_hold_lifts_when_staff_clear_the_case(
    screening: Paying, client: CasinoClient
) -> None:
    me = await player_id(client)
    set_kyc_level(screening, me, 2)
    await deposited(client, 300_000)  # EUR 3,000, then straight back out
    status, body = await pay(client, "withdrawals", 290_000)
    assert (status, body["error"]["code"]) == (409, "AML_REVIEW_REQUIRED")
    [(case_id, rule, action)] = open_cases(screening, me)
    assert (rule, action, body["error"]["case_id"]) == ("quick_cashout", "hold_withdrawals",
                                                        case_id)  # fmt: skip
    listed = admin(screening, "cases")
    assert f"case {case_id}\tplayer {me}\tquick_cashout" in listed.stdout
    cleared = admin(screening, "clear", str(case_id), "--staff", "ana", "--reason", "payslip")
    assert cleared.returncode == 0, cleared.stderr
    status, body = await pay(client, "withdrawals", 290_000)
    assert (status, body["status"], body["balance"]) == (201, "completed", 10_000)
    again = admin(screening, "clear", str(case_id), "--staff", "ana", "--reason", "twice")
    assert (again.returncode, again.stderr.split(":")[1].strip()) == (1, "AML_CASE_CLOSED")
    verified = admin(screening, "audit-verify")
    assert verified.stdout.startswith("audit trail intact:"), verified.stderr
