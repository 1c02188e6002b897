"""The sub-balance rules (server/money/balances.py): exact examples, then properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.money.balances import InsufficientFunds, Parts, split_payout, split_stake

AMOUNT = st.integers(min_value=0, max_value=10**12)


def test_a_stake_is_taken_from_cash_first_then_from_bonus() -> None:
    assert split_stake(100, cash=70, bonus=50) == Parts(cash=70, bonus=30)
    assert split_stake(100, cash=500, bonus=50) == Parts(cash=100, bonus=0)
    assert split_stake(100, cash=0, bonus=100) == Parts(cash=0, bonus=100)


def test_a_stake_beyond_cash_and_bonus_is_refused() -> None:
    with pytest.raises(InsufficientFunds):
        split_stake(121, cash=70, bonus=50)


def test_a_payout_is_split_in_proportion_with_the_remainder_to_cash() -> None:
    # 30 of 100 from bonus: 30% of 1001 is 300.3, so bonus gets 300 and cash the other 701.
    assert split_payout(1001, Parts(cash=70, bonus=30)) == Parts(cash=701, bonus=300)
    assert split_payout(0, Parts(cash=70, bonus=30)) == Parts(cash=0, bonus=0)
    assert split_payout(7, Parts(cash=0, bonus=0)) == Parts(cash=7, bonus=0)
    assert split_payout(9, Parts(cash=0, bonus=3)) == Parts(cash=0, bonus=9)


def test_negative_parts_are_refused() -> None:
    with pytest.raises(ValueError):
        Parts(cash=-1, bonus=0)


@given(stake=AMOUNT, cash=AMOUNT, bonus=AMOUNT)
def test_stake_parts_sum_exactly_and_spend_bonus_only_when_cash_runs_out(
    stake: int, cash: int, bonus: int
) -> None:
    if stake > cash + bonus:
        with pytest.raises(InsufficientFunds):
            split_stake(stake, cash, bonus)
        return
    parts = split_stake(stake, cash, bonus)
    assert parts.cash >= 0 and parts.bonus >= 0
    assert parts.total == stake
    assert parts.cash <= cash and parts.bonus <= bonus
    if stake <= cash:
        assert parts.bonus == 0


@given(payout=AMOUNT, from_cash=AMOUNT, from_bonus=AMOUNT)
def test_payout_parts_sum_exactly_and_follow_the_stake(
    payout: int, from_cash: int, from_bonus: int
) -> None:
    stake = Parts(from_cash, from_bonus)
    parts = split_payout(payout, stake)
    assert parts.cash >= 0 and parts.bonus >= 0
    assert parts.total == payout
    if from_bonus == 0:
        assert parts == Parts(payout, 0)
    if from_cash == 0 and from_bonus > 0:
        assert parts == Parts(0, payout)
    # Never more bonus than the exact proportion, and less by under one unit.
    if stake.total:
        assert parts.bonus * stake.total <= payout * from_bonus
        assert (parts.bonus + 1) * stake.total > payout * from_bonus


@given(stake=AMOUNT, cash=AMOUNT, bonus=AMOUNT)
def test_a_stake_returned_whole_goes_back_to_the_parts_it_came_from(
    stake: int, cash: int, bonus: int
) -> None:
    if stake > cash + bonus:
        return
    taken = split_stake(stake, cash, bonus)
    assert split_payout(stake, taken) == taken
