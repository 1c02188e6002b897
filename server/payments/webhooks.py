"""Webhook signatures: is this body what the gateway sent, recently? Nothing else.

The gateway signs `"<t>.<body>"` with HMAC-SHA256 and sends
`Gateway-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]`, one `v1` per
secret it signs with. A body is accepted when its `t` is within the tolerance
of our clock (either way: a replayed old body, or a forged future one, is
refused) and one `v1` matches one of our secrets: during a rotation the
operator lists both the old and the new secret (CASINO_PAYMENT_WEBHOOK_SECRETS),
so either signature passes. Comparisons are constant-time. The refusal's reason
is for the log; the sender learns only that it was refused.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence

HEADER = "gateway-signature"
TOLERANCE_S = 300


class BadSignature(ValueError):
    """Why a webhook was refused: unsigned, malformed, stale, or no signature matches."""


def expected(secret: str, t: str, body: bytes) -> str:
    return hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(
    header: str | None,
    body: bytes,
    secrets: Sequence[str],
    now: float | None = None,
    tolerance_s: int = TOLERANCE_S,
) -> int:
    """The signature's timestamp when `body` is signed by one of `secrets` within the
    tolerance; BadSignature otherwise."""
    if not header:
        raise BadSignature("unsigned: no Gateway-Signature header")
    stamps, signatures = [], []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            stamps.append(value)
        elif name == "v1":
            signatures.append(value)
    if len(stamps) != 1 or not stamps[0].isascii() or not stamps[0].isdigit() or not signatures:
        raise BadSignature("malformed Gateway-Signature header")
    t = stamps[0]
    age = (time.time() if now is None else now) - int(t)
    if abs(age) > tolerance_s:
        raise BadSignature(f"stale: signed {int(age)} s from now's clock (tolerance {tolerance_s})")
    wanted = [expected(secret, t, body) for secret in secrets]
    # Every pair is compared, without stopping early, so timing tells nothing.
    matched = [hmac.compare_digest(w, s) for w in wanted for s in signatures]
    if not any(matched):
        raise BadSignature("no signature matches a current secret (forged or wrong secret)")
    return int(t)
