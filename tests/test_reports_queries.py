"""The reports' arithmetic on a real SQLite reporting store: days split at UTC midnight, the
period's totals count a player once, GGR and NGR, the games report's filters, and a
statement's opening and closing funds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.reports import queries, store
from server.reports.lines import Line
from server.reports.queries import Period
from server.storage.database import Database
from tests.support import db as test_db

DAY1 = 1_764_028_800_000  # 2025-11-25 00:00 UTC
DAY2 = DAY1 + 86_400_000


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(test_db.target_for(tmp_path))
    await database.open()
    await store.record(
        database,
        [
            Line("deposit:1", 7, DAY1 + 1, "deposit", "EUR", provider="sandbox",
                 deposit=10_000, amount=10_000),
            Line("round:a", 7, DAY1 + 2, "round", "EUR", "house", "classic-sevens",
                 "house:a", stake=500, win=200, amount=-300, balance=9_700),
            Line("bonus:1:grant", 7, DAY1 + 3, "bonus_granted_bonus", "EUR",
                 bonus_cost=1_000, amount=1_000),
            Line("provider:sandbox:t1", 8, DAY1 + 4, "provider_bet", "EUR", "sandbox",
                 "sandbox-fruits", "sandbox:r1", stake=300, amount=-300),
            Line("provider:sandbox:t2", 8, DAY1 + 5, "provider_win", "EUR", "sandbox",
                 "sandbox-fruits", "sandbox:r1", win=900, amount=900),
            Line("round:b", 7, DAY2 - 1, "round", "EUR", "house", "classic-sevens",
                 "house:b", stake=100, amount=-100, balance=9_600),
            Line("round:c", 7, DAY2, "round", "EUR", "house", "classic-sevens",
                 "house:c", stake=100, win=50, amount=-50, balance=9_550),
            Line("withdrawal:9:paid", 7, DAY2 + 1, "withdrawal_paid", "EUR",
                 withdrawal=2_000, amount=-2_000),
            Line("round:d", 9, DAY2 + 2, "round", "GBP", "house", "classic-sevens",
                 "house:d", stake=100, amount=-100),
        ],
    )  # fmt: skip
    yield database
    await database.close()


async def test_days_split_at_utc_midnight_and_the_totals_count_a_player_once(
    db: Database,
) -> None:
    found = await queries.daily(db, Period("2025-11-25", "2025-11-26"), "EUR")
    assert [
        (r["day"], r["stakes"], r["wins"], r["ggr"], r["bonus_cost"], r["ngr"], r["players"],
         r["rounds"], r["deposits"], r["withdrawals"])
        for r in found["rows"]
    ] == [
        ("2025-11-25", 900, 1_100, -200, 1_000, -1_200, 2, 3, 10_000, 0),
        ("2025-11-26", 100, 50, 50, 0, 50, 1, 1, 0, 2_000),
    ]  # fmt: skip
    (total,) = found["totals"]
    assert (total["stakes"], total["ngr"], total["players"], total["rounds"]) == (
        1_000, -1_150, 2, 4,
    )  # fmt: skip


async def test_a_currency_filter_and_a_period_leave_the_rest_out(db: Database) -> None:
    every = await queries.daily(db, Period("2025-11-26", "2025-11-26"), None)
    assert [(r["currency"], r["stakes"]) for r in every["totals"]] == [("EUR", 100), ("GBP", 100)]
    none = await queries.daily(db, Period("2025-11-27", "2025-12-01"), None)
    assert none == {"rows": [], "totals": []}


async def test_the_games_report_is_per_provider_and_game_and_filters_by_either(
    db: Database,
) -> None:
    period = Period("2025-11-25", "2025-11-25")
    found = await queries.games(db, period, None, None, None)
    assert [(r["provider"], r["game"], r["ggr"], r["rounds"]) for r in found["rows"]] == [
        ("house", "classic-sevens", 400, 2),
        ("sandbox", "sandbox-fruits", -600, 1),
    ]
    only = await queries.games(db, period, "EUR", "sandbox", "sandbox-fruits")
    assert [r["game"] for r in only["rows"]] == ["sandbox-fruits"]


async def test_a_statement_opens_with_the_funds_before_the_period(db: Database) -> None:
    found = await queries.statement(db, 7, Period("2025-11-26", "2025-11-26"))
    assert [(line["reference"], line["amount"]) for line in found["lines"]] == [
        ("", -50), ("", -2_000),
    ]  # fmt: skip
    assert found["funds"] == [{"currency": "EUR", "opening": 10_600, "closing": 8_550}]
