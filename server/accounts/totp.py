"""Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP) and recovery codes. Pure.

A code is the HOTP of the 30-second step number; `matching_step` accepts the step
of `now` and the one either side (a phone's clock drifts, a code is typed slowly),
and only a step later than the last one accepted, so a code that was seen (over a
shoulder, in a log) cannot be replayed, not even within its own 30 seconds. The
secrets come from `rng` (the CSPRNG); comparisons are constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from urllib.parse import quote

import rng

STEP_S = 30
DIGITS = 6
SECRET_BYTES = 20  # 160 bits: RFC 4226's recommended length for HMAC-SHA1
WINDOW = 1  # steps either side of now that are accepted
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
_RECOVERY_LENGTH = 10  # 31**10: about 49 bits each


def hotp(secret: bytes, counter: int, digits: int = DIGITS, digest: str = "sha1") -> str:
    mac = hmac.new(secret, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def step_of(unix_s: float) -> int:
    return int(unix_s // STEP_S)


def code_at(secret: bytes, unix_s: float, digits: int = DIGITS, digest: str = "sha1") -> str:
    return hotp(secret, step_of(unix_s), digits, digest)


def matching_step(secret: bytes, code: str, now_s: float, last_step: int) -> int | None:
    """The step `code` belongs to, if it is now's or an adjacent one and later than
    `last_step`; else None."""
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    now = step_of(now_s)
    found = None
    for step in range(now - WINDOW, now + WINDOW + 1):
        # Every candidate is compared (no early exit), so the time taken says nothing.
        if hmac.compare_digest(hotp(secret, step), code) and step > last_step and found is None:
            found = step
    return found


def new_secret() -> bytes:
    return rng.randbytes(SECRET_BYTES)


def base32(secret: bytes) -> str:
    return base64.b32encode(secret).decode().rstrip("=")


def otpauth_uri(secret: bytes, account: str, issuer: str = "Casino") -> str:
    """What an authenticator app reads (from a QR code or typed in)."""
    label = quote(f"{issuer}:{account}")
    return (
        f"otpauth://totp/{label}?secret={base32(secret)}&issuer={quote(issuer)}"
        f"&algorithm=SHA1&digits={DIGITS}&period={STEP_S}"
    )


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    codes = []
    for _ in range(count):
        raw = "".join(rng.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def normal_recovery_code(code: str) -> str:
    return code.strip().lower().replace("-", "").replace(" ", "")


def recovery_hash(code: str) -> str:
    """Recovery codes carry ~49 random bits, so a plain SHA-256 is enough: no one guesses
    them offline from the hash in useful time, and each lookup stays one indexed query."""
    return hashlib.sha256(normal_recovery_code(code).encode()).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    normal = normal_recovery_code(code)
    return len(normal) == _RECOVERY_LENGTH and all(c in _RECOVERY_ALPHABET for c in normal)
