"""The double-entry ledger on SQLite and PostgreSQL: transfers, idempotency, invariants."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from server.money import ledger
from server.money.journal import provider
from server.money.journal.flusher import SettledRound, write_rounds
from server.storage.database import Database, DatabaseTarget, SchemaTooNew
from tests.support.postgres import database_target, postgres_cluster

__all__ = ["database_target", "postgres_cluster"]  # fixtures, used by name

PLAYER = ledger.player_cash(1, "EUR")
BONUS = ledger.player_bonus(1, "EUR")
CLEARING = ledger.gateway_clearing("sandbox", "EUR")
HOUSE = ledger.game_revenue("EUR")


@pytest.fixture
async def db(database_target: DatabaseTarget) -> AsyncIterator[Database]:
    """A fresh database of each dialect (tests/support/postgres.py)."""
    database = Database(database_target)
    await database.open()
    async with database.transaction() as tx:
        await tx.execute(
            "INSERT INTO players (id, email, username, password_hash, date_of_birth, country,"
            " currency, created_at) VALUES (1, 'a@b.c', 'abc', 'x', '1990-01-01', 'DE', 'EUR', 0)"
        )
    yield database
    await database.close()


async def balances(db: Database) -> dict[str, int]:
    return {
        str(code): int(b)
        for code, b in await db.fetchall("SELECT code, balance FROM ledger_accounts")
    }


async def test_a_transfer_debits_one_account_and_credits_the_other(db: Database) -> None:
    async with db.transaction() as tx:
        assert await ledger.post(tx, "d1", CLEARING, PLAYER, 500, "deposit", "deposit:1")
    assert await balances(db) == {CLEARING.code: -500, PLAYER.code: 500}


async def test_posting_the_same_key_again_moves_nothing(db: Database) -> None:
    async with db.transaction() as tx:
        await ledger.post(tx, "d1", CLEARING, PLAYER, 500, "deposit", "deposit:1")
    async with db.transaction() as tx:
        assert not await ledger.post(tx, "d1", CLEARING, PLAYER, 500, "deposit", "deposit:1")
    assert await balances(db) == {CLEARING.code: -500, PLAYER.code: 500}


async def test_the_same_key_with_other_terms_is_a_conflict(db: Database) -> None:
    async with db.transaction() as tx:
        await ledger.post(tx, "d1", CLEARING, PLAYER, 500, "deposit", "deposit:1")
    with pytest.raises(ledger.IdempotencyConflict):
        async with db.transaction() as tx:
            await ledger.post(tx, "d1", CLEARING, PLAYER, 501, "deposit", "deposit:1")


async def test_a_player_account_can_never_go_negative_and_the_transaction_rolls_back(
    db: Database,
) -> None:
    async with db.transaction() as tx:
        await ledger.post(tx, "d1", CLEARING, PLAYER, 100, "deposit", "deposit:1")
    with pytest.raises(ledger.LedgerInvariantError):
        async with db.transaction() as tx:
            await ledger.post(tx, "d2", CLEARING, PLAYER, 50, "deposit", "deposit:2")
            await ledger.post(tx, "s1", PLAYER, HOUSE, 151, "stake", "round:1")
    assert await balances(db) == {CLEARING.code: -100, PLAYER.code: 100}
    assert await db.fetchall("SELECT idempotency_key FROM ledger_transfers") == [("d1",)]


@pytest.mark.parametrize("amount", [0, -5, 1.5, True])
async def test_a_transfer_amount_must_be_a_positive_integer(db: Database, amount: object) -> None:
    with pytest.raises(ValueError):
        async with db.transaction() as tx:
            await ledger.post(tx, "x", CLEARING, PLAYER, amount, "deposit", "x")  # type: ignore[arg-type]


def settled(round_id: str, stake: int, payout: int, kind: str = "settle") -> SettledRound:
    return SettledRound(
        stream_id="1-0", kind=kind, round_id=round_id, player_id=1, game="g", currency="EUR",
        stake=stake, payout=payout, balance_before=1000, balance_after=1000 - stake + payout,
        outcome="{}", reserved_at=1, settled_at=2,
    )  # fmt: skip


async def test_writing_rounds_posts_stake_and_payout_once_even_when_repeated(db: Database) -> None:
    async with db.transaction() as tx:
        await ledger.post(tx, "d1", CLEARING, PLAYER, 1000, "deposit", "deposit:1")
    batch = [settled("a", 100, 250), settled("b", 100, 0)]
    async with db.transaction() as tx:
        assert await write_rounds(tx, batch) == 2
    async with db.transaction() as tx:
        assert await write_rounds(tx, batch) == 0
    assert await balances(db) == {CLEARING.code: -1000, PLAYER.code: 1050, HOUSE.code: -50}


async def test_a_voided_round_is_recorded_but_moves_no_ledger_money(db: Database) -> None:
    async with db.transaction() as tx:
        await ledger.post(tx, "d1", CLEARING, PLAYER, 1000, "deposit", "deposit:1")
        await write_rounds(tx, [settled("v", 100, 0, kind="expired")])
    assert await db.fetchall("SELECT status, stake FROM rounds") == [("expired", 100)]
    assert (await balances(db))[PLAYER.code] == 1000


async def test_a_round_posts_each_part_of_stake_and_payout_to_its_sub_balance(
    db: Database,
) -> None:
    async with db.transaction() as tx:
        await ledger.post(tx, "d1", CLEARING, PLAYER, 70, "deposit", "deposit:1")
        await ledger.post(tx, "g1", HOUSE, BONUS, 50, "bonus", "grant:1")  # as a grant would
    # 100 staked, 30 of it bonus; 1001 paid: 300 back to bonus, 701 to cash.
    bonus_round = settled("a", 100, 1001)._replace(stake_bonus=30, payout_bonus=300)
    async with db.transaction() as tx:
        assert await write_rounds(tx, [bonus_round]) == 1
    assert await balances(db) == {
        CLEARING.code: -70, PLAYER.code: 701, BONUS.code: 320, HOUSE.code: -951,
    }  # fmt: skip
    keys = await db.fetchall("SELECT idempotency_key, amount FROM ledger_transfers ORDER BY id")
    assert keys[2:] == [
        ("round:a:stake", 70), ("round:a:stake_bonus", 30),
        ("round:a:payout", 701), ("round:a:payout_bonus", 300),
    ]  # fmt: skip


async def test_a_provider_bet_posts_its_bonus_part_to_the_bonus_account(db: Database) -> None:
    async with db.transaction() as tx:
        await ledger.post(tx, "d1", CLEARING, PLAYER, 70, "deposit", "deposit:1")
        await ledger.post(tx, "g1", HOUSE, BONUS, 50, "bonus", "grant:1")
        await tx.execute(
            "INSERT INTO providers (id, name, signature_scheme, launch_url, session_ttl_s,"
            " replay_window_s, created_at) VALUES ('acme', 'Acme', 'hmac-sha256', 'x', 60, 60, 0)"
        )
    entry = {
        "kind": "provider_bet", "provider": "acme", "transaction_uuid": "t1", "player_id": "1",
        "currency": "EUR", "amount": "100", "round_id": "r", "game": "g", "reference": "",
        "round_closed": "0", "tombstone": "0", "bonus": "30", "balance_before": "70",
        "balance_after": "0", "created_at": "1",
    }  # fmt: skip
    async with db.transaction() as tx:
        assert await provider.write_bet(tx, "1-0", entry)
    settlement = provider.provider_account("acme", "EUR")
    assert await balances(db) == {
        CLEARING.code: -70, PLAYER.code: 0, BONUS.code: 20, HOUSE.code: -50,
        settlement.code: 100,
    }  # fmt: skip


async def test_opening_a_database_newer_than_the_code_is_refused(
    database_target: DatabaseTarget,
) -> None:
    database = Database(database_target)
    await database.open()
    async with database.transaction() as tx:
        await tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)"
        )
    await database.close()
    with pytest.raises(SchemaTooNew):
        await Database(database_target).open()
