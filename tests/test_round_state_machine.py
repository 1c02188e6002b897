"""The pure round: which money command comes when, and which events are illegal."""

from __future__ import annotations

import pytest

from games.base import StakeError
from games.classic_slot import ClassicSlot
from games.round import IllegalTransition, Phase, Release, Reserve, Round, Settle
from rng.generator import Generator


class Zeros(Generator):
    """Every draw is zero: all reels stop at position 0."""

    def randbytes(self, n: int) -> bytes:
        return bytes(n)


class Exploding(Generator):
    def randbytes(self, n: int) -> bytes:
        raise OSError("entropy source failed")


def new_round(stake: int = 100) -> Round:
    return Round("r1", ClassicSlot(), stake)


def test_a_round_begins_by_asking_to_reserve_its_stake() -> None:
    round_ = new_round()
    assert round_.begin() == Reserve(100)
    assert round_.phase is Phase.RESERVING


def test_a_reserved_spin_settles_at_once_with_its_payout_and_outcome() -> None:
    round_ = new_round()
    round_.begin()
    command = round_.reserved(Zeros())
    expected_state = ClassicSlot().start(100, Zeros())
    assert command == Settle(expected_state.payout, ClassicSlot().describe(expected_state))
    assert round_.phase is Phase.SETTLING


def test_settled_ends_the_round() -> None:
    round_ = new_round()
    round_.begin()
    round_.reserved(Zeros())
    round_.settled()
    assert round_.phase is Phase.SETTLED


def test_a_refused_reservation_voids_the_round_without_a_command() -> None:
    round_ = new_round()
    round_.begin()
    round_.refused()
    assert round_.phase is Phase.VOIDED


def test_a_game_failing_after_the_reserve_can_release_the_stake() -> None:
    round_ = new_round()
    round_.begin()
    with pytest.raises(OSError):
        round_.reserved(Exploding())
    assert round_.abandon() == Release("voided")
    assert round_.phase is Phase.VOIDED


def test_an_invalid_stake_never_becomes_a_round() -> None:
    with pytest.raises(StakeError) as caught:
        new_round(stake=7)
    assert caught.value.code == "INVALID_STAKE"


def test_settling_before_reserving_is_illegal() -> None:
    round_ = new_round()
    with pytest.raises(IllegalTransition) as caught:
        round_.settled()
    assert (caught.value.event, caught.value.phase) == ("settled", Phase.NEW)


def test_beginning_twice_is_illegal() -> None:
    round_ = new_round()
    round_.begin()
    with pytest.raises(IllegalTransition):
        round_.begin()


def test_a_settled_round_cannot_be_abandoned() -> None:
    round_ = new_round()
    round_.begin()
    round_.reserved(Zeros())
    round_.settled()
    with pytest.raises(IllegalTransition):
        round_.abandon()
