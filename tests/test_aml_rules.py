"""AML on the withdrawal path, against a real SQLite ledger: customer due diligence over
linked transactions, the configurable rules, the cases they open, and staff's decisions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from protocol.errors import ErrorCode, Refused
from server.aml import cases
from server.aml.policy import HOUR_MS, Policy, from_data
from server.aml.sanctions import SanctionsList
from server.aml.service import Aml
from server.audit import trail
from server.money import ledger
from server.storage.database import Database, now_ms
from tests.support import db as test_db


@dataclass(frozen=True)
class Request:
    player_id: int
    currency: str
    amount: int
    gateway: str = "sandbox_gateway"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(test_db.target_for(tmp_path))
    await database.open()
    yield database
    await database.close()


class World:
    def __init__(self, db: Database, policy: Policy | None = None) -> None:
        self.db = db
        self.verified: set[int] = set()
        self.statuses: list[tuple[int, str, str]] = []
        self.aml = Aml(
            db, policy or Policy(), SanctionsList(None), self._cdd_done, self._set_status
        )
        self._keys = 0

    async def _cdd_done(self, player_id: int) -> bool:
        return player_id in self.verified

    async def _set_status(self, player_id: int, status: str, reason: str) -> None:
        self.statuses.append((player_id, status, reason))

    async def player(self, currency: str = "EUR") -> int:
        async with self.db.transaction() as tx:
            player_id = await tx.insert(
                "INSERT INTO players (email, username, password_hash, date_of_birth, country,"
                " currency, created_at) VALUES (?, ?, 'x', '1980-01-01', 'DE', ?, ?)",
                (f"p{self._keys}@example.com", f"p{self._keys}", currency, now_ms()),
            )
        self._keys += 1
        assert player_id is not None
        return player_id

    async def move(self, player_id: int, kind: str, amount: int, currency: str = "EUR",
                   gateway: str = "sandbox_gateway", hours_ago: int = 0) -> None:  # fmt: skip
        cash = ledger.player_cash(player_id, currency)
        other = {
            "deposit": ledger.gateway_clearing(gateway, currency),
            "stake": ledger.game_revenue(currency),
            "payout": ledger.game_revenue(currency),
            "withdrawal_lock": ledger.player_withdrawal_locked(player_id, currency),
        }[kind]
        debit, credit = (other, cash) if kind in ("deposit", "payout") else (cash, other)
        self._keys += 1
        async with self.db.transaction() as tx:
            await ledger.post(tx, f"t{self._keys}", debit, credit, amount, kind, "test")
            await tx.execute(
                "UPDATE ledger_transfers SET created_at = ? WHERE idempotency_key = ?",
                (now_ms() - hours_ago * HOUR_MS, f"t{self._keys}"),
            )

    async def withdraw(self, player_id: int, amount: int, currency: str = "EUR",
                       gateway: str = "sandbox_gateway") -> Refused | None:  # fmt: skip
        for rule in self.aml.withdrawal_rules():
            refusal = await rule(Request(player_id, currency, amount, gateway))
            if refusal is not None:
                return refusal
        return None


async def ordinary(world: World) -> int:
    """Deposits EUR 300 over two days, plays most of it, wins a little, cashes out EUR 150."""
    player = await world.player()
    await world.move(player, "deposit", 20_000, hours_ago=40)
    await world.move(player, "deposit", 10_000, hours_ago=2)
    await world.move(player, "stake", 25_000, hours_ago=1)
    await world.move(player, "payout", 12_000, hours_ago=1)
    return player


async def test_an_ordinary_player_withdraws_with_no_case(db: Database) -> None:
    world = World(db)
    player = await ordinary(world)
    assert await world.withdraw(player, 15_000) is None
    assert await cases.of_player(db, player) == []


async def test_linked_deposits_structured_just_under_eur_2000_need_due_diligence(
    db: Database,
) -> None:
    world = World(db)
    player = await world.player()
    for hours_ago in (70, 50, 30, 10):  # four deposits of EUR 499 each, then play
        await world.move(player, "deposit", 49_900, hours_ago=hours_ago)
    await world.move(player, "stake", 150_000, hours_ago=5)
    await world.move(player, "payout", 100_000, hours_ago=5)
    refusal = await world.withdraw(player, 5_000)  # 1,996 + 1,000 won + 50 = EUR 3,046
    assert refusal is not None
    assert (refusal.code, refusal.extra["linked_eur_cents"]) == (ErrorCode.CDD_REQUIRED, 304_600)
    [case] = await cases.of_player(db, player)
    assert (case.rule, case.action, case.status) == ("cdd", "flag", "open")


async def test_the_same_movements_spread_beyond_the_window_are_not_linked(db: Database) -> None:
    world = World(db)
    player = await world.player()
    for days_ago in (30, 20, 10):
        await world.move(player, "deposit", 90_000, hours_ago=days_ago * 24)
        await world.move(player, "stake", 90_000, hours_ago=days_ago * 24)
    await world.move(player, "deposit", 10_000, hours_ago=1)
    await world.move(player, "stake", 9_000, hours_ago=1)
    assert await world.withdraw(player, 1_000) is None


async def test_a_big_win_is_held_until_due_diligence_is_done(db: Database) -> None:
    world = World(db)
    player = await world.player()
    await world.move(player, "deposit", 10_000, hours_ago=3)
    await world.move(player, "stake", 10_000, hours_ago=2)
    await world.move(player, "payout", 250_000, hours_ago=2)
    held = await world.withdraw(player, 100_000)
    assert held is not None and held.code is ErrorCode.CDD_REQUIRED
    world.verified.add(player)  # KYC level 2: address and source of funds
    assert await world.withdraw(player, 100_000) is None


async def test_amounts_in_other_currencies_convert_at_the_configured_rate(db: Database) -> None:
    world = World(db, from_data({"eur_rates": {"GBP": "1.25"}}))
    player = await world.player("GBP")
    await world.move(player, "deposit", 150_000, "GBP", hours_ago=2)  # GBP 1,500 = EUR 1,875
    await world.move(player, "stake", 150_000, "GBP", hours_ago=1)
    await world.move(player, "payout", 20_000, "GBP", hours_ago=1)
    refusal = await world.withdraw(player, 20_000, "GBP")  # + 200 + 200 = EUR 2,375
    assert refusal is not None
    assert (refusal.code, refusal.extra["linked_eur_cents"]) == (ErrorCode.CDD_REQUIRED, 237_500)


async def test_a_currency_without_a_rate_is_held_not_guessed(db: Database) -> None:
    world = World(db, from_data({}))
    player = await world.player("BRL")
    refusal = await world.withdraw(player, 100, "BRL")
    assert refusal is not None
    assert (refusal.code, refusal.extra["currency"]) == (ErrorCode.AML_REVIEW_REQUIRED, "BRL")


async def test_cumulative_deposits_open_a_case_that_holds_withdrawals(db: Database) -> None:
    world = World(db)
    world.verified = {1}  # due diligence done: only the rule decides
    player = await world.player()
    for hours_ago in (600, 400, 200):
        await world.move(player, "deposit", 400_000, hours_ago=hours_ago)  # EUR 12,000 in 30 days
        await world.move(player, "stake", 400_000, hours_ago=hours_ago)
    refusal = await world.withdraw(player, 1_000)
    assert refusal is not None and refusal.code is ErrorCode.AML_REVIEW_REQUIRED
    [case] = await cases.of_player(db, player)
    assert (case.rule, case.action, case.details) == (
        "cumulative_deposits", "hold_withdrawals", {"deposits_eur_cents": 1_200_000},
    )  # fmt: skip
    assert refusal.extra["case_id"] == case.id


async def test_deposit_then_withdrawal_with_little_play_is_caught(db: Database) -> None:
    world = World(db)
    player = await world.player()
    await world.move(player, "deposit", 150_000, hours_ago=5)
    await world.move(player, "stake", 2_000, hours_ago=4)  # EUR 20 played of EUR 1,500
    refusal = await world.withdraw(player, 140_000)
    assert refusal is not None and refusal.code is ErrorCode.AML_REVIEW_REQUIRED
    [case] = await cases.of_player(db, player)
    assert (case.rule, case.details["staked_eur_cents"]) == ("quick_cashout", 2_000)


async def test_deposits_through_many_instruments_are_flagged_without_a_hold(
    db: Database,
) -> None:
    world = World(db)
    player = await world.player()
    for gateway in ("card_a", "card_b", "wallet_c"):
        await world.move(player, "deposit", 5_000, gateway=gateway, hours_ago=3)
    await world.move(player, "stake", 15_000, hours_ago=2)
    await world.move(player, "payout", 5_000, hours_ago=2)
    assert await world.withdraw(player, 5_000) is None  # a flag asks staff, holds nothing
    [case] = await cases.of_player(db, player)
    assert (case.rule, case.action, case.details) == (
        "many_instruments", "flag", {"instruments": ["card_a", "card_b", "wallet_c"]},
    )  # fmt: skip


async def test_a_rule_firing_again_keeps_one_open_case(db: Database) -> None:
    world = World(db)
    player = await world.player()
    await world.move(player, "deposit", 150_000, hours_ago=5)
    await world.withdraw(player, 1_000)
    await world.withdraw(player, 1_000)
    assert [c.rule for c in await cases.of_player(db, player)] == ["quick_cashout"]


async def test_staff_clearing_a_case_lifts_the_hold_with_an_event_and_an_audit_entry(
    db: Database,
) -> None:
    world = World(db)
    player = await world.player()
    await world.move(player, "deposit", 150_000, hours_ago=5)
    await world.withdraw(player, 1_000)
    [case] = await cases.of_player(db, player)
    closed = await cases.close_case(db, case.id, "cleared", "ana", "salary slip seen", "10.1.2.3")
    assert (closed.status, closed.closed_by, closed.closed_reason) == (
        "cleared", "ana", "salary slip seen",
    )  # fmt: skip
    assert await world.withdraw(player, 1_000) is None  # the rule's case is closed
    kinds = [row[0] for row in await db.fetchall(
        "SELECT kind FROM event_outbox WHERE player_id = ? ORDER BY id", (player,))]  # fmt: skip
    assert kinds[:2] == ["aml_case_opened", "aml_case_closed"]
    audit = await trail.entries(db, f"player:{player}")
    assert [(e["actor"], e["action"], e["address"]) for e in audit[:2]] == [
        ("rule:quick_cashout", "aml_case_opened", ""),
        ("staff:ana", "aml_case_cleared", "10.1.2.3"),
    ]
    assert (await trail.verify(db)).ok


async def test_a_closed_case_cannot_be_closed_again(db: Database) -> None:
    world = World(db)
    player = await world.player()
    await world.move(player, "deposit", 150_000, hours_ago=5)
    await world.withdraw(player, 1_000)
    [case] = await cases.of_player(db, player)
    await cases.close_case(db, case.id, "cleared", "ana", "fine")
    with pytest.raises(Refused) as refused:
        await cases.close_case(db, case.id, "confirmed", "bob", "not fine")
    assert refused.value.code is ErrorCode.AML_CASE_CLOSED


async def test_failed_due_diligence_closes_the_account_and_pays_back_only_to_the_origin(
    db: Database,
) -> None:
    world = World(db)
    player = await world.player()
    await world.move(player, "deposit", 300_000, gateway="sandbox_gateway", hours_ago=5)
    await world.move(player, "stake", 250_000, hours_ago=4)
    held = await world.withdraw(player, 50_000)
    assert held is not None and held.code is ErrorCode.CDD_REQUIRED
    [case] = await cases.of_player(db, player)
    await cases.close_case(db, case.id, "confirmed", "ana", "source of funds not shown",
                           set_status=world.aml.set_status)  # fmt: skip
    assert world.statuses == [(player, "disabled", "aml:cdd:confirmed")]
    elsewhere = await world.withdraw(player, 50_000, gateway="other_gateway")
    assert elsewhere is not None and elsewhere.code is ErrorCode.CLOSED_LOOP_ONLY
    assert elsewhere.extra["gateways"] == ["sandbox_gateway"]
    assert await world.withdraw(player, 50_000, gateway="sandbox_gateway") is None
