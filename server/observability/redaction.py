"""The last step before a log line is written: secrets and personal data are removed.

Code should never log them in the first place (a message names ids, never
contents); this is the safety net for what slips through, from our code or a
library's (aiosqlite at DEBUG prints statement parameters, an exception may
quote a request body). It removes:

- credentials in URLs (`redis://:PASSWORD@host`), `Bearer`/`Basic` credentials;
- the value after any key that names a secret or personal datum (password,
  token, secret, signature, seed, authorization, api key, email, date of
  birth, document, card number, ...), in `key=value`, `key: value` and JSON/dict form;
- email addresses and calendar dates (a date of birth looks like any date);
- argon2 password hashes and PEM private keys;
- long random-looking strings (tokens, secrets, seeds, signatures, hashes):
  40+ hex digits, or 32+ base64/url-safe characters mixing upper case, lower
  case and digits. Round ids (32 hex digits) and paths are left alone.

It over-redacts rather than under-redacts: a log line that lost a harmless
word is a smaller problem than one that kept a password.
"""

from __future__ import annotations

import re

MASK = "[REDACTED]"

_KEYS = (
    r"password|passwd|pwd|secret|token|authorization|signature|seed|api[_-]?key|"
    r"private[_-]?key|credential|cookie|email|e-mail|birth|dob|document|passport|requirepass|"
    r"card[_-]?number"
)

_URL_CREDENTIALS = re.compile(r"(?P<keep>\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@", re.I)
_AUTH_SCHEME = re.compile(
    r"\b(?P<keep>bearer\s+)[A-Za-z0-9._~+/=-]+|\b(?P<basic>basic\s+)[A-Za-z0-9+/=]{8,}", re.I
)
_PEM = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.S
)
_ARGON2 = re.compile(r"\$argon2(?:id|i|d)\$[^\s'\"]+")
# key (optionally quoted, any word around a sensitive stem), a separator, then a quoted value
# (with escapes) or a bare one up to a delimiter.
_KEY_VALUE = re.compile(
    # a whole word, not an error-code constant such as INVALID_TOKEN
    r"(?P<keep>(?<![\w-])(?!(?-i:[A-Z]+_[A-Z_]+)\b)"
    r"[\"']?[\w-]*(?:" + _KEYS + r")[\w-]*[\"']?\s*(?:=|:)\s*)"
    r"(?P<value>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|[^\s,;&)}\]?][^\s,;&)}\]]*)",
    re.I,
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_DATE = re.compile(
    r"\b(?:1[89]|20)\d\d[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])\b(?![T:])"
)
_HEX = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{40,}(?![0-9A-Za-z])")
_RANDOM = re.compile(r"(?<![A-Za-z0-9_+/=-])[A-Za-z0-9_+/=-]{32,}(?![A-Za-z0-9_+/=-])")


def _mask_value(match: re.Match[str]) -> str:
    value = match.group("value")
    if value.startswith(("'", '"')):
        return f"{match.group('keep')}{value[0]}{MASK}{value[0]}"
    return f"{match.group('keep')}{MASK}"


def _mask_random(match: re.Match[str]) -> str:
    text = match.group(0)
    looks_random = (
        any(c.isupper() for c in text)
        and any(c.islower() for c in text)
        and any(c.isdigit() for c in text)
    )
    return MASK if looks_random else text


def redact(text: str) -> str:
    """The text with every secret and personal datum it holds replaced by a mask."""
    text = _PEM.sub(MASK, text)
    text = _URL_CREDENTIALS.sub(lambda m: f"{m.group('keep')}{MASK}@", text)
    text = _AUTH_SCHEME.sub(lambda m: f"{m.group('keep') or m.group('basic')}{MASK}", text)
    text = _ARGON2.sub(MASK, text)
    text = _KEY_VALUE.sub(_mask_value, text)
    text = _EMAIL.sub("[EMAIL]", text)
    text = _DATE.sub("[DATE]", text)
    text = _HEX.sub(MASK, text)
    return _RANDOM.sub(_mask_random, text)
