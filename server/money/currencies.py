"""Currencies the wallet holds, with their ISO 4217 minor-unit exponent."""

from __future__ import annotations

# code -> digits after the decimal point (amounts are stored in these minor units)
MINOR_UNITS: dict[str, int] = {
    "EUR": 2, "USD": 2, "GBP": 2, "CAD": 2, "AUD": 2, "NZD": 2, "CHF": 2, "SEK": 2,
    "NOK": 2, "DKK": 2, "PLN": 2, "CZK": 2, "HUF": 2, "RON": 2, "BGN": 2, "BRL": 2,
    "MXN": 2, "ZAR": 2, "INR": 2, "TRY": 2, "JPY": 0, "KRW": 0, "ISK": 0,
}  # fmt: skip


def is_supported(code: str) -> bool:
    return code in MINOR_UNITS
