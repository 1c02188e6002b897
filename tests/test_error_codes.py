"""Every refusal a game can raise reaches the client as a documented protocol error code."""

from __future__ import annotations

from games.base import ACTION_ERROR_CODES, STAKE_ERROR_CODES
from protocol.errors import DESCRIPTIONS, ErrorCode


def test_every_stake_refusal_of_a_game_is_a_protocol_error_code() -> None:
    assert set(STAKE_ERROR_CODES) <= {code.value for code in ErrorCode}


def test_every_action_refusal_of_a_game_is_a_protocol_error_code() -> None:
    assert set(ACTION_ERROR_CODES) <= {code.value for code in ErrorCode}


def test_error_codes_are_their_own_names() -> None:
    assert all(code.name == code.value for code in ErrorCode)


def test_every_description_is_one_sentence_ending_in_a_full_stop() -> None:
    assert all(text.endswith(".") for text in DESCRIPTIONS.values())
