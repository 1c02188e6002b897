"""An IBAN and an e-wallet account id as the player types them: checked, and written one way
so one account gives the gateway one fingerprint (server/payments/instruments.py)."""

from __future__ import annotations

import pytest

from protocol.errors import ErrorCode, Refused
from server.payments import instruments


def test_an_iban_typed_with_spaces_in_lower_case_is_written_one_way() -> None:
    assert instruments.iban(" de89 3704 0044 0532 0130 00 ") == "DE89370400440532013000"
    assert instruments.iban("GB82 WEST 1234 5698 7654 32") == "GB82WEST12345698765432"


@pytest.mark.parametrize(
    ("typed", "variant"),
    [
        ("DE89 3704 0044 0532 0130 01", "iban_check"),  # one digit mistyped
        ("DE98 3704 0044 0532 0130 00", "iban_check"),  # check digits swapped
        ("DE89", "iban_format"),
        ("1234567890123456", "iban_format"),
        (12345, "iban_format"),
    ],
)
def test_a_mistyped_or_malformed_iban_is_refused_by_variant(typed: object, variant: str) -> None:
    with pytest.raises(Refused) as refused:
        instruments.iban(typed)
    assert refused.value.code is ErrorCode.INVALID_PAYMENT_METHOD
    assert refused.value.params == {"variant": variant}


def test_an_e_wallet_account_id_is_an_email_address_in_lower_case() -> None:
    assert instruments.wallet_account(" Sam@Wallet.Example ") == "sam@wallet.example"
    with pytest.raises(Refused) as refused:
        instruments.wallet_account("not an account")
    assert refused.value.params == {"variant": "wallet_account"}
