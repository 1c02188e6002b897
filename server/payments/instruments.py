"""The account behind an e-wallet or a bank transfer, as the player types it: checked and
written one way, so one account gives the gateway one fingerprint however it was typed.

An IBAN loses its spaces, goes to capitals and must pass its check digits (ISO 13616: the
country code and check digits moved to the end, letters as numbers, the whole mod 97 is 1).
An e-wallet account id (the sandbox's is an email address, as most wallets' are) loses its
spaces and goes to lower case. Pure; bad input is a `Refused` naming the field.
"""

from __future__ import annotations

import re

from protocol.errors import ErrorCode, Refused

IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
WALLET = re.compile(r"[a-z0-9._%+-]{1,40}@[a-z0-9.-]{1,60}\.[a-z]{2,24}")


def iban(raw: object) -> str:
    text = "".join(raw.split()).upper() if isinstance(raw, str) else ""
    if not IBAN.fullmatch(text):
        raise Refused(
            ErrorCode.INVALID_PAYMENT_METHOD,
            "account must be an IBAN: two letters, two check digits, then 11-30 letters or digits",
            field="account",
            params={"variant": "iban_format"},
        )
    rearranged = text[4:] + text[:4]
    if int("".join(str(int(char, 36)) for char in rearranged)) % 97 != 1:
        raise Refused(
            ErrorCode.INVALID_PAYMENT_METHOD,
            "this IBAN's check digits do not match: a digit is mistyped",
            field="account",
            params={"variant": "iban_check"},
        )
    return text


def wallet_account(raw: object) -> str:
    text = "".join(raw.split()).lower() if isinstance(raw, str) else ""
    if not WALLET.fullmatch(text):
        raise Refused(
            ErrorCode.INVALID_PAYMENT_METHOD,
            "account must be the e-wallet's account id, an email address",
            field="account",
            params={"variant": "wallet_account"},
        )
    return text


def last4(account: str) -> str:
    return account[-4:]
