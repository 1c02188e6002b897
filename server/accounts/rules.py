"""Registration rules: what a valid email, username, password, birth date and country are.

Pure functions over plain values (the `today` they judge age against is passed
in), each refusal carrying the stable error code the API reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from protocol.errors import ErrorCode, Refused
from server.accounts.countries import COUNTRIES
from server.money.currencies import is_supported

EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
USERNAME = re.compile(r"^[A-Za-z0-9_]{3,32}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 256
# A few of the most breached passwords; the length and class rules catch the rest.
COMMON_PASSWORDS = frozenset(
    {"password1234", "qwertyuiop", "1234567890", "iloveyou123", "password123", "qwerty12345"}
)


@dataclass(frozen=True, slots=True)
class Registration:
    email: str
    username: str
    password: str
    date_of_birth: date
    country: str
    currency: str
    full_name: str | None = None  # optional; sanctions screening needs it


def _text(data: dict[str, object], field: str, limit: int = 320) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value.strip():
        raise Refused(ErrorCode.VALIDATION_FAILED, f"{field} is required", field=field)
    if len(value) > limit:
        raise Refused(ErrorCode.VALIDATION_FAILED, f"{field} is too long", field=field)
    return value


def check_password(password: str, username: str, email: str, field: str = "password") -> None:
    """Refuse a weak password; a refusal names `field`, the request field it came in."""
    if len(password) < MIN_PASSWORD:
        raise Refused(
            ErrorCode.WEAK_PASSWORD,
            f"password needs at least {MIN_PASSWORD} characters",
            params={"variant": "length", "length": MIN_PASSWORD},
            field=field,
        )
    classes = sum(
        any(test(c) for c in password)
        for test in (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())
    )
    lowered = password.lower()
    if classes < 2 or lowered in COMMON_PASSWORDS or len(set(password)) < 4:
        raise Refused(
            ErrorCode.WEAK_PASSWORD,
            "password is too easy to guess: mix letters, digits, symbols",
            field=field,
        )
    if username.lower() in lowered or email.split("@")[0].lower() in lowered:
        raise Refused(
            ErrorCode.WEAK_PASSWORD,
            "password must not contain the username or email",
            field=field,
        )


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def parse_registration(data: dict[str, object], today: date, min_age: int) -> Registration:
    email = _text(data, "email").strip()
    if not EMAIL.fullmatch(email):
        raise Refused(ErrorCode.VALIDATION_FAILED, "email address is malformed", field="email")
    username = _text(data, "username", 32)
    if not USERNAME.fullmatch(username):
        raise Refused(
            ErrorCode.VALIDATION_FAILED, "username: 3-32 letters, digits or _", field="username"
        )
    password = _text(data, "password", MAX_PASSWORD)
    try:
        born = date.fromisoformat(_text(data, "date_of_birth", 10))
    except ValueError:
        raise Refused(
            ErrorCode.VALIDATION_FAILED, "date_of_birth must be YYYY-MM-DD", field="date_of_birth"
        ) from None
    if born > today or born.year < 1900:
        raise Refused(
            ErrorCode.VALIDATION_FAILED,
            "date_of_birth is not a plausible date",
            field="date_of_birth",
        )
    if age_on(born, today) < min_age:
        raise Refused(
            ErrorCode.UNDERAGE,
            f"players must be {min_age} or older",
            field="date_of_birth",
            params={"age": min_age},
        )
    country = _text(data, "country", 2).upper()
    if country not in COUNTRIES:
        raise Refused(
            ErrorCode.VALIDATION_FAILED, "country must be ISO 3166 alpha-2", field="country"
        )
    currency = _text(data, "currency", 3).upper()
    if not is_supported(currency):
        raise Refused(
            ErrorCode.VALIDATION_FAILED, f"currency {currency} is not offered", field="currency"
        )
    check_password(password, username, email)
    full_name = data.get("full_name")
    if full_name is not None:
        full_name = _text(data, "full_name", 200).strip()
    return Registration(email.lower(), username, password, born, country, currency, full_name)
