"""Jurisdiction profiles and the limit rules, pure: no server, no Redis."""

from __future__ import annotations

from datetime import date

import pytest

from protocol.errors import ErrorCode
from server.rg import limits
from server.rg.limits import Limit, LimitNotDue, NothingPending
from server.rg.profiles import MGA, TEST, UK, Chooser, UnknownProfile, age_on
from server.rg.session import SessionClock
from server.rg.state import months_later

DAY = 24 * 3600 * 1000


def test_a_gb_player_gets_the_uk_profile_and_a_maltese_one_mga() -> None:
    chooser = Chooser(MGA)
    assert (chooser.for_country("GB"), chooser.for_country("MT")) == (UK, MGA)


def test_any_other_country_gets_the_configured_default() -> None:
    assert Chooser(UK).for_country("DE") is UK
    assert Chooser(MGA).for_country("DE") is MGA


def test_the_test_profile_goes_only_to_countries_listed_for_it() -> None:
    chooser = Chooser(MGA, frozenset({"DE"}))
    assert (chooser.for_country("DE"), chooser.for_country("FR")) == (TEST, MGA)


def test_the_test_profile_is_never_the_default() -> None:
    with pytest.raises(UnknownProfile):
        Chooser(TEST)


def test_uk_spaces_slot_cycles_2_5_s_and_other_games_5_s() -> None:
    assert (UK.cycle_ms(is_slot=True), UK.cycle_ms(is_slot=False)) == (2500, 5000)


def test_uk_caps_a_slot_stake_at_gbp_2_to_age_24_and_gbp_5_from_25() -> None:
    assert [UK.slot_stake_cap(age, "GBP") for age in (18, 24, 25, 70)] == [200, 200, 500, 500]


def test_a_uk_cap_in_a_two_decimal_wallet_is_the_same_minor_units_and_in_yen_zero() -> None:
    assert (UK.slot_stake_cap(30, "EUR"), UK.slot_stake_cap(30, "JPY")) == (500, 0)


def test_mga_and_test_have_no_spacing_no_caps_and_allow_autoplay() -> None:
    for profile in (MGA, TEST):
        assert (profile.cycle_ms(True), profile.slot_stake_cap(20, "EUR"), profile.autoplay) == (
            0,
            None,
            True,
        )


def test_uk_forbids_autoplay_turbo_and_withdrawal_reversal_and_caps_wagering_at_10x() -> None:
    assert (UK.autoplay, UK.turbo, UK.withdrawal_reversal, UK.max_bonus_wagering) == (
        False,
        False,
        False,
        10,
    )


def test_age_counts_whole_years_to_the_day() -> None:
    born = date(2001, 6, 15)
    assert (age_on(born, date(2025, 6, 14)), age_on(born, date(2025, 6, 15))) == (23, 24)


def test_a_lower_limit_applies_at_once() -> None:
    assert limits.change(Limit("loss_24h", 1000), 500, 0, DAY) == Limit("loss_24h", 500)


def test_a_first_limit_applies_at_once() -> None:
    assert limits.change(Limit("deposit_7d", None), 900, 0, DAY) == Limit("deposit_7d", 900)


def test_a_raise_waits_24_hours_with_the_old_value_in_force() -> None:
    after = limits.change(Limit("loss_24h", 1000), 5000, 10, DAY)
    assert after == Limit("loss_24h", 1000, True, 5000, 10 + DAY)


def test_a_removal_waits_like_a_raise() -> None:
    after = limits.change(Limit("loss_24h", 1000), None, 10, DAY)
    assert after == Limit("loss_24h", 1000, True, None, 10 + DAY)


def test_a_raise_confirmed_before_24_hours_is_refused() -> None:
    waiting = Limit("loss_24h", 1000, True, 5000, DAY)
    with pytest.raises(LimitNotDue) as raised:
        limits.confirm(waiting, DAY - 1)
    assert raised.value.effective_at_ms == DAY


def test_a_raise_confirmed_after_24_hours_applies() -> None:
    waiting = Limit("loss_24h", 1000, True, 5000, DAY)
    assert limits.confirm(waiting, DAY) == Limit("loss_24h", 5000)


def test_a_confirmation_with_nothing_waiting_is_refused() -> None:
    with pytest.raises(NothingPending):
        limits.confirm(Limit("loss_24h", 1000), DAY)


def test_lowering_drops_a_raise_still_waiting() -> None:
    waiting = Limit("loss_24h", 1000, True, 5000, DAY)
    assert limits.change(waiting, 800, 5, DAY) == Limit("loss_24h", 800)


def test_the_reality_check_interval_changes_at_once_either_way() -> None:
    current = Limit("reality_check_seconds", 1800)
    assert limits.change(current, 3600, 0, DAY) == Limit("reality_check_seconds", 3600)


def test_the_lowest_applicable_limit_wins() -> None:
    values: dict[str, int | None] = {"deposit_24h": 5000, "deposit_7d": 3000, "deposit_30d": 9000}
    assert [limits.lowest(values, "deposit", w) for w in ("24h", "7d", "30d")] == [
        3000,
        3000,
        9000,
    ]


@pytest.mark.parametrize("value", [0, -5, 1.5, True, "10", 10**13])
def test_a_limit_value_that_is_no_positive_integer_is_invalid(value: object) -> None:
    assert not limits.valid("loss_24h", value)


def test_six_months_of_self_exclusion_end_on_the_same_day_six_months_on() -> None:
    start = 1_704_067_200_000  # 2024-01-01T00:00Z
    assert months_later(start, 6) == 1_719_792_000_000  # 2024-07-01T00:00Z


def test_a_reality_check_falls_due_at_the_interval_and_holds_stakes_until_acknowledged() -> None:
    clock = SessionClock(0, reality_every_ms=60_000)
    assert clock.hold(59_999) is None
    refused = clock.hold(60_000)
    assert refused is not None and refused.code is ErrorCode.REALITY_CHECK_PENDING
    assert clock.hold(70_000) is not None
    clock.acknowledge(70_000)
    assert (clock.hold(70_001), clock.next_check_ms) == (None, 130_000)


def test_a_session_without_a_reality_check_interval_is_never_held() -> None:
    assert SessionClock(0).hold(10**9) is None


def test_the_session_time_limit_refuses_stakes_once_reached() -> None:
    clock = SessionClock(0, limit_ms=30 * 60_000)
    assert clock.hold(30 * 60_000 - 1) is None
    refused = clock.hold(30 * 60_000)
    assert refused is not None and refused.code is ErrorCode.SESSION_TIME_LIMIT


def test_the_session_figures_are_elapsed_time_and_wins_minus_stakes() -> None:
    clock = SessionClock(1_000)
    clock.settled(stake=100, payout=0)
    clock.settled(stake=100, payout=250)
    assert clock.figures(61_000) == {"elapsed_ms": 60_000, "net": 50}
