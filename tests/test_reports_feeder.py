"""The reporting store's feed: each money event becomes one line in the column of what it
is, a line is written once however often its event arrives, and the consumer group
`reports` (real redis-server, real SQLite) resumes after a restart and takes over what a
member that died left pending."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Literal

import pytest
import redis.asyncio as aioredis

from server.events import stream
from server.events.catalogue import (
    BonusEnded,
    BonusGranted,
    Deposited,
    Event,
    LoggedInV2,
    ProviderMovement,
    RoundSettled,
    WithdrawalFunds,
    encode,
)
from server.events.consumer import Consumer
from server.reports import store
from server.reports.feeder import GROUP, Feeder
from server.reports.lines import day_of, line_of
from server.storage.database import Database
from tests.support import db as test_db

NOON = 1_764_072_000_000  # 2025-11-25 12:00 UTC


def settled(n: int, stake: int = 100, win: int = 250, voided: bool = False) -> RoundSettled:
    return RoundSettled(
        id=f"round:r{n}", player_id=7, at_ms=NOON + n, round_id=f"r{n}", game="classic-sevens",
        currency="EUR", stake=stake, win=win, balance=10_000, voided=voided,
    )  # fmt: skip


def provider(n: int, action: str, amount: int) -> ProviderMovement:
    return ProviderMovement(
        id=f"provider:sandbox:t{n}", player_id=7, at_ms=NOON + n, provider_id="sandbox",
        transaction_id=f"t{n}", round_id="pr1", game="sandbox-fruits",
        action=action, amount=amount, currency="EUR", balance=5_000,  # type: ignore[arg-type]
    )  # fmt: skip


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(test_db.target_for(tmp_path))
    await database.open()
    yield database
    await database.close()


async def lines(db: Database) -> list[tuple[object, ...]]:
    return await db.fetchall(
        "SELECT event_id, kind, stake, win, bonus_cost, deposit, withdrawal, amount"
        " FROM report_lines ORDER BY event_id"
    )


async def append(client: aioredis.Redis, *events: Event) -> None:
    await stream.append(client, [(e.player_id, encode(e)) for e in events])


def test_a_settled_round_is_its_stake_and_win_on_its_utc_day() -> None:
    line = line_of(settled(1))
    assert line is not None
    assert (line.day, line.provider, line.game, line.round_key) == (
        "2025-11-25", "house", "classic-sevens", "house:r1",
    )  # fmt: skip
    assert (line.stake, line.win, line.amount, line.balance) == (100, 250, 150, 10_000)


def test_a_voided_round_and_an_event_that_moves_no_money_make_no_line() -> None:
    login = LoggedInV2(
        id="login:1", player_id=7, at_ms=NOON, address="127.0.0.1", user_agent="x",
        outcome="ok", device_id="d",
    )  # fmt: skip
    assert line_of(settled(1, voided=True, win=0)) is None
    assert line_of(login) is None


def test_a_rolled_back_provider_bet_takes_its_stake_back() -> None:
    bet, rollback = line_of(provider(1, "bet", 300)), line_of(provider(2, "rollback", 300))
    assert bet is not None and rollback is not None
    assert (bet.stake, bet.amount, rollback.stake, rollback.amount) == (300, -300, -300, 300)
    assert bet.round_key == rollback.round_key == "sandbox:pr1"


def test_bonus_cost_is_grants_less_what_an_ended_bonus_gave_back() -> None:
    granted = BonusGranted(
        id="bonus:5:grant", player_id=7, at_ms=NOON, award=5, amount=5_000, to="bonus",
        currency="EUR", balance=0,
    )  # fmt: skip
    ended = BonusEnded(
        id="bonus:5:expired", player_id=7, at_ms=NOON, award=5, outcome="expired", to_cash=0,
        to_cost=1_200, currency="EUR", balance=0,
    )  # fmt: skip
    assert [(x.kind, x.bonus_cost) for x in map(line_of, (granted, ended)) if x] == [
        ("bonus_granted_bonus", 5_000),
        ("bonus_expired", -1_200),
    ]


def test_a_withdrawal_counts_when_paid_and_locking_leaves_the_players_funds_alone() -> None:
    actions: tuple[Literal["locked"], Literal["paid"]] = ("locked", "paid")
    found = [
        line_of(
            WithdrawalFunds(
                id=f"withdrawal:9:{action}", player_id=7, at_ms=NOON, payment_id=9,
                action=action, amount=2_000, currency="EUR", balance=0,
            )
        )
        for action in actions
    ]  # fmt: skip
    assert [(x.withdrawal, x.amount) for x in found if x] == [(0, 0), (2_000, -2_000)]


def test_the_day_is_utc() -> None:
    assert day_of(NOON + 12 * 3_600_000 - 1) == "2025-11-25"
    assert day_of(NOON + 12 * 3_600_000) == "2025-11-26"


async def test_an_event_recorded_twice_is_one_line(db: Database) -> None:
    line = line_of(settled(1))
    assert line is not None
    assert await store.record(db, [line, line]) == 1
    assert await store.record(db, [line]) == 0
    assert await lines(db) == [("round:r1", "round", 100, 250, 0, 0, 0, 150)]


async def test_the_feeder_writes_each_money_event_once_and_acknowledges_it(
    own_redis_client: aioredis.Redis, db: Database
) -> None:
    feeder = Feeder(own_redis_client, db, "a")
    await feeder.join()
    deposit = Deposited(
        id="deposit:3", player_id=7, at_ms=NOON, deposit_id=3, amount=10_000, currency="EUR",
        gateway="sandbox",
    )  # fmt: skip
    await append(own_redis_client, deposit, settled(1), settled(2, voided=True, win=0))
    assert await feeder.once() == 2
    await append(own_redis_client, deposit)  # relayed twice, as the outbox may
    assert await feeder.once() == 0
    assert [row[:2] for row in await lines(db)] == [("deposit:3", "deposit"), ("round:r1", "round")]
    pending = [await own_redis_client.xpending(key, GROUP) for key in stream.all_keys()]
    assert sum(int(p["pending"]) for p in pending) == 0


async def test_a_restarted_feeder_resumes_where_the_group_left_off(
    own_redis_client: aioredis.Redis, db: Database
) -> None:
    first = Feeder(own_redis_client, db, "a")
    await first.join()
    await append(own_redis_client, settled(1))
    assert await first.once() == 1
    await append(own_redis_client, settled(2), settled(3))  # while no member runs
    restarted = Feeder(own_redis_client, db, "a")
    await restarted.join()  # the group exists: its offset stands
    assert await restarted.once() == 2
    assert [row[0] for row in await lines(db)] == ["round:r1", "round:r2", "round:r3"]


async def test_what_a_dead_member_left_pending_is_taken_over(
    own_redis_client: aioredis.Redis, db: Database
) -> None:
    await Feeder(own_redis_client, db, "dead").join()
    await append(own_redis_client, settled(1), settled(2))
    # The dead member read the batch and died before writing or acknowledging it.
    assert len(await Consumer(own_redis_client, GROUP, "dead").read()) == 2
    survivor = Feeder(own_redis_client, db, "b")
    assert await survivor.once() == 0  # nothing new to read: the entries are the dead one's
    assert await survivor.process(await survivor.consumer.reclaim(0)) == 2
    assert [row[0] for row in await lines(db)] == ["round:r1", "round:r2"]


async def test_a_group_joining_late_reads_what_the_streams_already_hold(
    own_redis_client: aioredis.Redis, db: Database
) -> None:
    await append(own_redis_client, settled(1))
    feeder = Feeder(own_redis_client, db, "a")
    await feeder.join()
    assert await feeder.once() == 1
