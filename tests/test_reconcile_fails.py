"""Reconciliation shown to fail: each kind of disagreement, planted in Redis or SQLite under
the real server, makes `reconcile` (and `run.py reconcile`) fail and name exactly that one.

Every test puts back what it tampered with, so the shared server reconciles again after it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import redis.asyncio as aioredis

from server.money import keys
from server.money.reconcile import Report, WalletCheck
from server.storage.redis_client import connect as connect_redis
from tests.conftest import ROOT, ServerProcess, new_player, report_of_this_test, settled_report
from tests.support import db as test_db

# Nothing flows while a test tampers: a clean report never comes, and a short bound is enough.
BOUND_S = 1.0


@dataclass
class Funded:
    player_id: int
    wallet: str  # the player's Redis wallet key
    redis: aioredis.Redis


@pytest.fixture
async def funded(casino: ServerProcess) -> AsyncIterator[Funded]:
    """A player with 1,000 deposited and nothing else, and a Redis client of the server's."""
    client, player = await new_player(casino.base_url, deposit=1_000)
    async with client:
        pass
    player_id = int(str(player["player_id"]))
    redis = connect_redis(casino.redis.url)
    try:
        yield Funded(player_id, keys.wallet(player_id, "EUR"), redis)
    finally:
        await redis.aclose()


def wallet_of(report: Report, player_id: int) -> WalletCheck:
    (check,) = [w for w in report.wallets if w.player_id == player_id]
    return check


def line_of(report: Report, player_id: int) -> str:
    (line,) = [line for line in report.lines() if f"player {player_id} " in line]
    return line


async def test_redis_cash_that_differs_from_the_ledger_is_named(
    casino: ServerProcess, funded: Funded
) -> None:
    await funded.redis.hset(funded.wallet, "cash", 1_001)
    try:
        report = await settled_report(casino, timeout_s=BOUND_S)
        check = wallet_of(report, funded.player_id)
        assert (check.redis_cash, check.ledger, check.mismatched) == (1_001, 1_000, ["cash"])
        assert not report.ok and report.lines()[-1] == "MISMATCH"
        assert line_of(report, funded.player_id).endswith("mismatched: cash")
    finally:
        await funded.redis.hset(funded.wallet, "cash", 1_000)


async def test_run_py_reconcile_exits_1_and_names_the_wallet(
    casino: ServerProcess, funded: Funded
) -> None:
    await funded.redis.hset(funded.wallet, "cash", 999)
    try:
        env = {
            **os.environ,
            "CASINO_REDIS_URL": casino.redis.url,
            "CASINO_DATABASE_URL": test_db.url_of(casino.database_path),
        }
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, str(ROOT / "run.py"), "reconcile"],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 1, done.stdout + done.stderr
        (line,) = [x for x in done.stdout.splitlines() if f"player {funded.player_id} " in x]
        assert line.startswith("BAD ") and line.endswith("mismatched: cash")
        assert done.stdout.splitlines()[-1] == "MISMATCH"
    finally:
        await funded.redis.hset(funded.wallet, "cash", 1_000)


async def test_a_held_stake_with_no_reservation_is_named(
    casino: ServerProcess, funded: Funded
) -> None:
    await funded.redis.hset(funded.wallet, "held", 100)
    try:
        report = await settled_report(casino, timeout_s=BOUND_S)
        check = wallet_of(report, funded.player_id)
        assert (check.redis_held, check.mismatched) == (100, ["held"])
        assert line_of(report, funded.player_id).endswith("mismatched: held")
    finally:
        await funded.redis.hdel(funded.wallet, "held")


async def test_a_locked_amount_with_no_pending_withdrawal_is_named(
    casino: ServerProcess, funded: Funded
) -> None:
    await funded.redis.hset(funded.wallet, "locked", 300)
    try:
        report = await settled_report(casino, timeout_s=BOUND_S)
        check = wallet_of(report, funded.player_id)
        assert (check.redis_locked, check.ledger_locked, check.locked_from_history) == (300, 0, 0)
        assert check.mismatched == ["locked"]
        assert line_of(report, funded.player_id).endswith("mismatched: locked")
    finally:
        await funded.redis.hdel(funded.wallet, "locked")


async def test_a_deposit_the_ledger_never_received_is_named(
    casino: ServerProcess, funded: Funded
) -> None:
    test_db.execute(
        casino.database_path,
        "UPDATE deposits SET amount = amount + 50 WHERE player_id = ?",
        (funded.player_id,),
    )
    try:
        report = await settled_report(casino, timeout_s=BOUND_S)
        check = wallet_of(report, funded.player_id)
        assert (check.ledger, check.from_history, check.mismatched) == (1_000, 1_050, ["history"])
    finally:
        test_db.execute(
            casino.database_path,
            "UPDATE deposits SET amount = amount - 50 WHERE player_id = ?",
            (funded.player_id,),
        )


async def test_a_ledger_currency_that_does_not_sum_to_zero_is_named(
    casino: ServerProcess,
) -> None:
    """A transfer whose debit side points at no account: the credited account is consistent
    with its transfers, yet the currency holds money that came from nowhere."""
    with test_db.connect(casino.database_path, foreign_keys=False) as conn:
        account = conn.insert(
            "INSERT INTO ledger_accounts (code, kind, currency, balance, allow_negative)"
            " VALUES ('test:from-nowhere', 'operator', 'XTS', 7, 0)"
        )
        conn.execute(
            "INSERT INTO ledger_transfers (idempotency_key, debit_account_id, credit_account_id,"
            " amount, currency, kind, reference, created_at)"
            " VALUES ('test:from-nowhere', -1, ?, 7, 'XTS', 'test', 'planted', 0)",
            (account,),
        )
    try:
        report = await settled_report(casino, timeout_s=BOUND_S)
        assert (report.currency_sums["XTS"], report.drifted_accounts) == (7, [])
        assert all(w.ok for w in report.wallets) and not report.ok
        assert "XTS=7" in report.lines()[2]
    finally:
        with test_db.connect(casino.database_path) as conn:
            conn.execute("DELETE FROM ledger_transfers WHERE idempotency_key = 'test:from-nowhere'")
            conn.execute("DELETE FROM ledger_accounts WHERE code = 'test:from-nowhere'")


async def test_an_account_balance_that_is_not_its_transfers_is_named(
    casino: ServerProcess,
) -> None:
    """Two accounts whose balances sum to zero but were never moved by a transfer."""
    with test_db.connect(casino.database_path) as conn:
        conn.execute(
            "INSERT INTO ledger_accounts (code, kind, currency, balance, allow_negative)"
            " VALUES ('test:drifted', 'operator', 'XTS', 5, 0)"
        )
        conn.execute(
            "INSERT INTO ledger_accounts (code, kind, currency, balance, allow_negative)"
            " VALUES ('test:drifted-back', 'operator', 'XTS', -5, 1)"
        )
    try:
        report = await settled_report(casino, timeout_s=BOUND_S)
        assert report.currency_sums["XTS"] == 0
        assert sorted(report.drifted_accounts) == ["test:drifted", "test:drifted-back"]
        assert not report.ok
    finally:
        test_db.execute(
            casino.database_path, "DELETE FROM ledger_accounts WHERE code LIKE 'test:drifted%'"
        )


async def test_the_after_test_check_names_a_mismatch_once_and_not_to_every_later_test(
    casino: ServerProcess, funded: Funded
) -> None:
    """The shared server's after-test check reports a lasting mismatch to the test that left
    it, once settled (not after its whole bound), and to no later test."""
    await funded.redis.hset(funded.wallet, "cash", 1_002)
    try:
        first = await report_of_this_test(casino)
        assert first == {f"player {funded.player_id} EUR: cash"}
        assert await report_of_this_test(casino) == set()
    finally:
        await funded.redis.hset(funded.wallet, "cash", 1_000)
