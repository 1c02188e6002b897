"""TOTP (RFC 6238) and recovery codes, pure: the RFC's own test vectors, the window of
accepted steps, a code taken once, and recovery codes' shape and hashing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.accounts import totp

SHA1_KEY = b"12345678901234567890"
SHA256_KEY = b"12345678901234567890123456789012"
SHA512_KEY = b"1234567890" * 6 + b"1234"

# RFC 6238 appendix B: (time, SHA-1, SHA-256, SHA-512), 8 digits.
VECTORS = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize(("at", "sha1", "sha256", "sha512"), VECTORS)
def test_the_rfc_6238_vectors(at: int, sha1: str, sha256: str, sha512: str) -> None:
    assert totp.code_at(SHA1_KEY, at, digits=8, digest="sha1") == sha1
    assert totp.code_at(SHA256_KEY, at, digits=8, digest="sha256") == sha256
    assert totp.code_at(SHA512_KEY, at, digits=8, digest="sha512") == sha512


def test_a_six_digit_code_is_the_last_six_of_the_eight() -> None:
    assert totp.code_at(SHA1_KEY, 59) == "287082"


NOW = 1_700_000_015.0  # step 56666667, 15 s into it
STEP = totp.step_of(NOW)


def test_the_current_step_s_code_is_accepted() -> None:
    assert totp.matching_step(SHA1_KEY, totp.hotp(SHA1_KEY, STEP), NOW, 0) == STEP


def test_the_previous_and_next_step_s_codes_are_accepted() -> None:
    assert totp.matching_step(SHA1_KEY, totp.hotp(SHA1_KEY, STEP - 1), NOW, 0) == STEP - 1
    assert totp.matching_step(SHA1_KEY, totp.hotp(SHA1_KEY, STEP + 1), NOW, 0) == STEP + 1


def test_codes_two_steps_away_are_refused() -> None:
    assert totp.matching_step(SHA1_KEY, totp.hotp(SHA1_KEY, STEP - 2), NOW, 0) is None
    assert totp.matching_step(SHA1_KEY, totp.hotp(SHA1_KEY, STEP + 2), NOW, 0) is None


def test_a_code_of_the_last_used_step_is_refused() -> None:
    code = totp.hotp(SHA1_KEY, STEP)
    assert totp.matching_step(SHA1_KEY, code, NOW, last_step=STEP) is None


def test_a_code_of_a_step_before_the_last_used_one_is_refused() -> None:
    code = totp.hotp(SHA1_KEY, STEP - 1)
    assert totp.matching_step(SHA1_KEY, code, NOW, last_step=STEP) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦", " 12345"])
def test_a_code_that_is_not_six_ascii_digits_is_refused(code: str) -> None:
    assert totp.matching_step(SHA1_KEY, code, NOW, 0) is None


def test_a_new_secret_is_160_bits_and_base32_in_the_uri() -> None:
    secret = totp.new_secret()
    assert len(secret) == 20
    uri = totp.otpauth_uri(secret, "alice")
    assert uri.startswith("otpauth://totp/Casino%3Aalice?secret=")
    assert f"secret={totp.base32(secret)}&" in uri
    assert uri.endswith("&algorithm=SHA1&digits=6&period=30")


def test_ten_recovery_codes_each_distinct_and_readable() -> None:
    codes = totp.new_recovery_codes()
    assert len(codes) == 10 == len(set(codes))
    assert all(len(c) == 11 and c[5] == "-" and totp.looks_like_recovery_code(c) for c in codes)


def test_a_recovery_code_hashes_the_same_however_it_is_typed() -> None:
    assert totp.recovery_hash("abcde-fghjk") == totp.recovery_hash(" ABCDE FGHJK ")
    assert totp.recovery_hash("abcde-fghjk") != totp.recovery_hash("abcde-fghjm")


def test_a_six_digit_code_does_not_look_like_a_recovery_code() -> None:
    assert not totp.looks_like_recovery_code("123456")


@given(
    secret=st.binary(min_size=20, max_size=20),
    offset=st.integers(min_value=-5, max_value=5),
    last_offset=st.integers(min_value=-5, max_value=5),
    now=st.floats(min_value=1e9, max_value=4e9, allow_nan=False),
)
def test_a_code_passes_exactly_when_adjacent_and_newer_than_the_last_used(
    secret: bytes, offset: int, last_offset: int, now: float
) -> None:
    step = totp.step_of(now)
    code = totp.hotp(secret, step + offset)
    accepted = totp.matching_step(secret, code, now, last_step=step + last_offset)
    if abs(offset) <= 1 and offset > last_offset:
        assert accepted is not None and accepted > step + last_offset
    else:
        # Another adjacent step may share the six digits (1 in a million): never an older one.
        assert accepted is None or (abs(accepted - step) <= 1 and accepted > step + last_offset)
