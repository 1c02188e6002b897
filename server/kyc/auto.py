"""The KYC decisions the server takes itself, where data alone decides. Pure.

- age: a player younger than their jurisdiction's minimum age on the day of the
  upload is RED FINAL (labels UNDERAGE): no document can change a birth date.
- country: a player of a country this operator does not serve is RED FINAL
  (labels BLOCKED_COUNTRY).
- the name on a payment method: a payment document's holder name must match the
  legal name given with the identity document (case, accents, punctuation and
  word order aside); a mismatch is RED RETRY (labels PAYMENT_NAME_MISMATCH), so
  the player can send a method in their own name.

Anything these cannot decide goes to the vendor, or to the staff review queue.
"""

from __future__ import annotations

import unicodedata
from datetime import date

from server.kyc.levels import ADDRESS_AND_FUNDS, IDENTITY, jurisdiction
from server.kyc.review import Answer, RejectType, Verdict


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _words(name: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    return sorted("".join(c if c.isalnum() else " " for c in plain).split())


def names_match(account: str, holder: str) -> bool:
    return bool(_words(account)) and _words(account) == _words(holder)


def decide(
    country: str, born: date, today: date, kind: str, legal_name: str = "", holder: str = ""
) -> Verdict | None:
    """The automated verdict on an upload, or None when data alone cannot decide."""
    rules = jurisdiction(country)
    if rules.blocked:
        return Verdict(
            Answer.RED, IDENTITY, "auto:country", RejectType.FINAL, ("BLOCKED_COUNTRY",),
            "We cannot offer accounts in your country.",
        )  # fmt: skip
    if age_on(born, today) < rules.minimum_age:
        return Verdict(
            Answer.RED, IDENTITY, "auto:age", RejectType.FINAL, ("UNDERAGE",),
            f"Players must be {rules.minimum_age} or older in your country.",
        )  # fmt: skip
    if kind == "payment" and holder and legal_name and not names_match(legal_name, holder):
        return Verdict(
            Answer.RED, ADDRESS_AND_FUNDS, "auto:payment-name", RejectType.RETRY,
            ("PAYMENT_NAME_MISMATCH",),
            "The name on the payment method is not the name on your account.",
        )  # fmt: skip
    return None
