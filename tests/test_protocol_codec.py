"""The wire codec: every frame becomes a typed request or a ProtocolError with a stable code."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.codec import ProtocolError, decode_request, encode_reply
from protocol.errors import DESCRIPTIONS, ErrorCode
from protocol.messages import (
    Balance,
    ErrorReply,
    Hello,
    History,
    RealityCheckAck,
    RealityCheckAcknowledged,
    Spin,
    SpinResult,
)


def error_of(frame: bytes | str, max_bytes: int = 16 * 1024) -> tuple[ErrorCode, object]:
    with pytest.raises(ProtocolError) as caught:
        decode_request(frame, max_bytes)
    return caught.value.code, caught.value.request_id


def test_json_and_msgpack_frames_decode_to_the_same_request() -> None:
    message = {"type": "spin", "id": 7, "game": "classic-sevens", "stake": 100}
    as_json = decode_request(msgspec.json.encode(message).decode())
    as_msgpack = decode_request(msgspec.msgpack.encode(message))
    assert as_json == as_msgpack == Spin(id=7, game="classic-sevens", stake=100)


def test_string_ids_are_accepted_and_kept() -> None:
    assert decode_request('{"type":"balance","id":"abc-1"}') == Balance(id="abc-1")


def test_hello_defaults_to_protocol_version_1() -> None:
    assert decode_request('{"type":"hello","id":1,"token":"t"}') == Hello(
        id=1, token="t", version=1
    )


def test_history_limit_defaults_to_20() -> None:
    assert decode_request('{"type":"history","id":1}') == History(id=1, limit=20)


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    assert decode_request('{"type":"balance","id":1,"future":true}') == Balance(id=1)


def test_undecodable_json_is_bad_frame() -> None:
    assert error_of("{not json") == (ErrorCode.BAD_FRAME, None)


def test_undecodable_msgpack_is_bad_frame() -> None:
    assert error_of(b"\xc1") == (ErrorCode.BAD_FRAME, None)


def test_a_frame_that_is_not_a_map_is_bad_frame() -> None:
    assert error_of("[1, 2, 3]") == (ErrorCode.BAD_FRAME, None)


def test_unknown_type_is_refused_with_the_request_id() -> None:
    assert error_of('{"type":"withdraw_all","id":9}') == (ErrorCode.UNKNOWN_TYPE, 9)


def test_missing_type_is_missing_field() -> None:
    assert error_of('{"id":3}') == (ErrorCode.MISSING_FIELD, 3)


def test_missing_stake_is_missing_field_with_the_id() -> None:
    assert error_of('{"type":"spin","id":4,"game":"g"}') == (ErrorCode.MISSING_FIELD, 4)


def test_missing_id_is_missing_field_without_an_id() -> None:
    assert error_of('{"type":"balance"}') == (ErrorCode.MISSING_FIELD, None)


@pytest.mark.parametrize("stake", ["-100", "0", "1.5", "true", '"100"', "null", "9007199254740992"])
def test_a_stake_that_is_not_a_positive_safe_integer_is_invalid_stake(stake: str) -> None:
    frame = f'{{"type":"spin","id":5,"game":"g","stake":{stake}}}'
    assert error_of(frame) == (ErrorCode.INVALID_STAKE, 5)


def test_a_json_integer_beyond_64_bits_is_invalid_stake() -> None:
    frame = '{"type":"spin","id":5,"game":"g","stake":100000000000000000000000000000}'
    assert error_of(frame) == (ErrorCode.INVALID_STAKE, 5)


def test_a_boolean_id_is_not_echoed() -> None:
    assert error_of('{"type":"balance","id":true}') == (ErrorCode.INVALID_FIELD, None)


def test_an_overlong_string_id_is_not_echoed() -> None:
    frame = msgspec.json.encode({"type": "balance", "id": "x" * 65}).decode()
    assert error_of(frame) == (ErrorCode.INVALID_FIELD, None)


def test_a_frame_over_the_limit_is_frame_too_large_before_decoding() -> None:
    frame = msgspec.json.encode({"type": "balance", "id": 1, "pad": "x" * 300}).decode()
    assert error_of(frame, max_bytes=256) == (ErrorCode.FRAME_TOO_LARGE, None)


def test_replies_encode_in_the_format_the_client_spoke() -> None:
    reply = ErrorReply(id=1, code=ErrorCode.INSUFFICIENT_FUNDS, message="no", balance=50)
    expected = {
        "type": "error",
        "id": 1,
        "code": "INSUFFICIENT_FUNDS",
        "message": "no",
        "balance": 50,
        "params": None,
    }
    assert msgspec.msgpack.decode(encode_reply(reply, binary=True)) == expected
    assert msgspec.json.decode(encode_reply(reply, binary=False)) == expected


def test_a_spin_result_carries_its_round_and_balance() -> None:
    reply = SpinResult(
        id=2, round_id="r", game="g", stake=5, payout=10, balance=105, currency="EUR", outcome={}
    )
    assert msgspec.json.decode(encode_reply(reply, binary=False)) == {
        "type": "spin",
        "id": 2,
        "round_id": "r",
        "game": "g",
        "stake": 5,
        "payout": 10,
        "balance": 105,
        "currency": "EUR",
        "outcome": {},
        "bonus_progress": None,
    }


def test_every_error_code_is_documented() -> None:
    assert set(DESCRIPTIONS) == set(ErrorCode)


@settings(max_examples=2000, deadline=None)
@given(st.binary(max_size=512))
def test_hostile_binary_frames_only_ever_raise_protocol_errors(frame: bytes) -> None:
    try:
        decode_request(frame)
    except ProtocolError as error:
        assert error.code in ErrorCode


@settings(max_examples=2000, deadline=None)
@given(st.text(max_size=512))
def test_hostile_text_frames_only_ever_raise_protocol_errors(frame: str) -> None:
    try:
        decode_request(frame)
    except ProtocolError as error:
        assert error.code in ErrorCode


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=2000, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["hello", "balance", "spin", "history"]) | st.text(max_size=8),
            "id": json_values,
            "game": json_values,
            "stake": json_values,
            "token": json_values,
            "limit": json_values,
        },
    )
)
def test_structurally_valid_but_hostile_messages_decode_or_fail_cleanly(
    message: dict[str, object],
) -> None:
    for frame in (msgspec.msgpack.encode(message), msgspec.json.encode(message).decode()):
        try:
            request = decode_request(frame)
        except ProtocolError as error:
            assert error.code in ErrorCode
            assert error.request_id is None or error.request_id == message.get("id")
        else:
            if isinstance(request, Spin):
                assert isinstance(request.stake, int) and request.stake > 0


def test_a_reality_check_ack_decodes_from_json_and_msgpack_alike() -> None:
    frame = {"type": "reality_check_ack", "id": 9}
    from_json = decode_request(msgspec.json.encode(frame).decode())
    assert from_json == decode_request(msgspec.msgpack.encode(frame)) == RealityCheckAck(id=9)


def test_a_reality_check_ack_reply_echoes_the_id() -> None:
    reply = RealityCheckAcknowledged(id=9)
    assert msgspec.json.decode(encode_reply(reply, binary=False)) == {
        "type": "reality_check_ack",
        "id": 9,
    }
