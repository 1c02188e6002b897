"""Money's one deposit seam (server/money/deposit_rules.py): the rules run in plug order, the
first refusal wins and the rules after it are not asked; a rule plugged again under its
name replaces the earlier one instead of running twice. (Gateway and sandbox deposits call
this seam inside their write transaction; test_payments_deposits and test_rg_server show it
on those paths.)"""

from __future__ import annotations

from typing import cast

import pytest

from protocol.errors import ErrorCode, Refused
from server.money import deposit_rules
from server.money.deposit_rules import DepositAttempt
from server.storage.database import Transaction

ATTEMPT = DepositAttempt(player_id=1, currency="EUR", amount=500, reference="payment:9", at_ms=0)
NO_TX = cast(Transaction, None)  # these rules read nothing


async def test_the_first_deposit_rule_that_refuses_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deposit_rules, "RULES", {})
    seen: list[str] = []

    async def allows(tx: Transaction, attempt: DepositAttempt) -> Refused | None:
        seen.append("allows")
        return None

    async def refuses(tx: Transaction, attempt: DepositAttempt) -> Refused | None:
        seen.append("refuses")
        return Refused(ErrorCode.DEPOSIT_LIMIT_REACHED, "deposit limit reached")

    async def never(tx: Transaction, attempt: DepositAttempt) -> Refused | None:
        seen.append("never")
        return None

    for name, rule in (("a", allows), ("b", refuses), ("c", never)):
        deposit_rules.plug(name, rule)
    refusal = await deposit_rules.refuse_deposit(NO_TX, ATTEMPT)
    assert (refusal.code if refusal else None, seen) == (
        ErrorCode.DEPOSIT_LIMIT_REACHED, ["allows", "refuses"],
    )  # fmt: skip


async def test_a_rule_plugged_again_under_its_name_replaces_the_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(deposit_rules, "RULES", {})
    seen: list[str] = []

    async def first(tx: Transaction, attempt: DepositAttempt) -> Refused | None:
        seen.append("first")
        return None

    async def second(tx: Transaction, attempt: DepositAttempt) -> Refused | None:
        seen.append("second")
        return None

    deposit_rules.plug("rg", first)
    deposit_rules.plug("rg", second)
    assert await deposit_rules.refuse_deposit(NO_TX, ATTEMPT) is None
    assert seen == ["second"]
