"""Webhook signatures as the server checks them (server/payments/webhooks.py), against the
sandbox gateway's own signer (clients/sandbox_webhooks.py). The deposit rules' seam is
money's (tests/test_money_deposit_rules.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clients.sandbox_webhooks import sign
from server.payments.webhooks import BadSignature, verify

NOW = 1_800_000_000
BODY = b'{"id":"evt_1","type":"payment.succeeded"}'


def test_a_body_signed_now_with_the_secret_is_accepted_with_its_time() -> None:
    assert verify(sign(BODY, ["s1"], NOW), BODY, ["s1"], now=NOW) == NOW


@pytest.mark.parametrize("age", [300, -300])
def test_a_signature_300_seconds_old_or_ahead_is_still_accepted(age: int) -> None:
    assert verify(sign(BODY, ["s1"], NOW - age), BODY, ["s1"], now=NOW) == NOW - age


@pytest.mark.parametrize("age", [301, -301])
def test_a_signature_more_than_300_seconds_away_is_stale(age: int) -> None:
    with pytest.raises(BadSignature, match=r"^stale"):
        verify(sign(BODY, ["s1"], NOW - age), BODY, ["s1"], now=NOW)


@pytest.mark.parametrize(
    "header", [None, "", "v1=abc", "t=abc,v1=abc", "t=1,t=2,v1=abc", f"t={NOW}"]
)
def test_an_unsigned_or_malformed_header_is_refused(header: str | None) -> None:
    with pytest.raises(BadSignature):
        verify(header, BODY, ["s1"], now=NOW)


def test_either_secret_of_a_rotation_is_accepted() -> None:
    assert verify(sign(BODY, ["new"], NOW), BODY, ["old", "new"], now=NOW) == NOW
    assert verify(sign(BODY, ["old", "new"], NOW), BODY, ["new"], now=NOW) == NOW


def test_a_secret_no_longer_listed_is_refused() -> None:
    with pytest.raises(BadSignature, match="no signature matches"):
        verify(sign(BODY, ["old"], NOW), BODY, ["new"], now=NOW)


@given(
    body=st.binary(min_size=1, max_size=200), index=st.integers(min_value=0), bit=st.integers(0, 7)
)
def test_any_changed_byte_of_a_signed_body_is_refused(body: bytes, index: int, bit: int) -> None:
    header = sign(body, ["s1"], NOW)
    assert verify(header, body, ["s1"], now=NOW) == NOW
    changed = bytearray(body)
    changed[index % len(body)] ^= 1 << bit
    with pytest.raises(BadSignature):
        verify(header, bytes(changed), ["s1"], now=NOW)


def test_a_card_number_that_slips_into_a_log_line_is_redacted() -> None:
    from server.observability.redaction import redact

    line = 'deposit body {"amount": 500, "card_number": "4242424242424242"}'
    assert redact(line) == 'deposit body {"amount": 500, "card_number": "[REDACTED]"}'
