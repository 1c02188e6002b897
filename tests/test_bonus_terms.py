"""The bonus terms' arithmetic with the issue's figures, and a property for conversion: what a
completed bonus turns into cash and bonus cost is exactly the bonus, never more."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol.errors import Refused
from server.bonus import terms as rules
from server.bonus.terms import Terms

MATCH = Terms(kind="deposit_match", percent=100, wagering=30, weights={"slot": 100})


def test_a_100_percent_match_of_50_grants_50() -> None:
    assert rules.grant_amount(MATCH, 5_000) == 5_000


def test_a_match_with_a_cap_grants_the_cap() -> None:
    assert rules.grant_amount(Terms(kind="deposit_match", percent=100, cap=2_000), 5_000) == 2_000


def test_a_deposit_under_the_minimum_grants_nothing() -> None:
    terms = Terms(kind="deposit_match", percent=100, min_deposit=1_000)
    assert (rules.grant_amount(terms, 999), rules.grant_amount(terms, 1_000)) == (0, 1_000)


def test_30x_on_a_50_bonus_needs_1500_of_slot_stakes() -> None:
    need = rules.required(MATCH, 5_000)
    assert need == 150_000
    assert rules.counted(150_000, 100) == need * 100


def test_at_10_percent_roulette_needs_15000_of_stakes() -> None:
    need = rules.required(MATCH, 5_000)
    assert rules.counted(1_500_000, 10) == need * 100
    assert rules.counted(1_499_999, 10) < need * 100


def test_wagering_on_bonus_plus_deposit_counts_both() -> None:
    terms = Terms(kind="deposit_match", percent=100, wagering=10, wagering_on="bonus_deposit")
    assert rules.required(terms, 5_000, 5_000) == 100_000


def test_cashback_pays_its_percent_of_a_net_loss_and_nothing_on_a_win() -> None:
    terms = Terms(kind="cashback", percent=10, cap=500)
    assert [rules.cashback(n, terms) for n in (-100, 0, 999, 10_000)] == [0, 0, 99, 500]


def test_the_uk_profile_caps_wagering_at_10x() -> None:
    refusal = rules.uk_refusal(Terms(kind="welcome", amount=1, wagering=11))
    assert isinstance(refusal, Refused) and refusal.extra == {"field": "wagering"}


def test_the_uk_profile_refuses_mixed_products() -> None:
    mixed = Terms(kind="welcome", amount=1, wagering=5, weights={"slot": 100, "blackjack": 5})
    refusal = rules.uk_refusal(mixed)
    assert isinstance(refusal, Refused) and refusal.extra == {"field": "weights"}
    assert rules.uk_refusal(Terms(kind="welcome", amount=1, wagering=10)) is None


def test_unknown_kinds_are_refused_by_field() -> None:
    with pytest.raises(Refused) as refused:
        rules.parse({"kind": "jackpot"})
    assert refused.value.extra == {"field": "kind"}


@given(
    bonus=st.integers(min_value=0, max_value=10**12),
    cap=st.none() | st.integers(min_value=0, max_value=10**12),
)
def test_conversion_splits_the_bonus_exactly_and_never_passes_the_cap(
    bonus: int, cap: int | None
) -> None:
    to_cash, to_cost = rules.conversion(bonus, cap)
    assert to_cash + to_cost == bonus
    assert to_cash >= 0 and to_cost >= 0
    assert cap is None or to_cash <= cap
    assert to_cash == (bonus if cap is None else min(bonus, cap))


@given(
    stakes=st.lists(
        st.tuples(st.integers(min_value=1, max_value=10**9), st.integers(0, 100)), max_size=50
    ),
    bonus=st.integers(min_value=1, max_value=10**9),
    multiplier=st.integers(min_value=1, max_value=50),
)
def test_wagering_completes_exactly_when_weighted_stakes_reach_the_requirement(
    stakes: list[tuple[int, int]], bonus: int, multiplier: int
) -> None:
    terms = Terms(kind="welcome", amount=bonus, wagering=multiplier)
    need = rules.required(terms, bonus) * 100
    counted = 0
    for stake, weight in stakes:
        counted += rules.counted(stake, weight)
    exact = sum(stake * weight for stake, weight in stakes)
    assert counted == exact
    assert (counted >= need) == (exact * 1 >= multiplier * bonus * 100)
