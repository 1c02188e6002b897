"""What text the store can keep: no NUL character, which PostgreSQL refuses in text (SQLite
would keep it), and which no field of ours means. Every edge that takes JSON refuses a NUL
anywhere in a body before any work (the player API with VALIDATION_FAILED in
server/web.py, the provider wallet API with RS_ERROR_WRONG_TYPES in
server/provider/messages.py), so none reaches a query as a 500 on one dialect only.
"""

from __future__ import annotations

from typing import Any

# JSON can write a NUL only as the escape \u0000 (a raw control character is not JSON), so a
# body without these bytes holds none and needs no walk.
NUL_ESCAPE = b"u0000"
NO_NUL = "text may not contain the NUL character"


def holds_nul(value: Any) -> bool:
    """Whether a decoded JSON value holds a NUL in any string, key or value."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(key) or holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(holds_nul(item) for item in value)
    return False
