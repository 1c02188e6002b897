"""The provider API's request bodies (Hub88 field names) and their strict decoding.

Pure: bytes in, a typed request or a WRONG_SYNTAX / WRONG_TYPES refusal out.
Unknown fields are ignored (providers send extras such as `meta`); identifiers
are bounded printable ASCII because they become parts of Redis keys and rows, and
no text anywhere in a body may hold a NUL (server/storage/text.py).
Amounts are integers in minor units (Hub88 itself counts 1/100000 units: a
provider integrating here sends cents).
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import msgspec

from server.provider.status import Status
from server.storage.text import NO_NUL, NUL_ESCAPE, holds_nul

MAX_BODY_BYTES = 16 * 1024
MAX_AMOUNT = 10**12  # minor units; far above any real stake, far below float trouble in Lua

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=128, pattern=r"^[!-~]+$(?!\n)")]
Token = Annotated[str, msgspec.Meta(min_length=10, max_length=255, pattern=r"^[!-~]+$(?!\n)")]
User = Annotated[str, msgspec.Meta(min_length=1, max_length=20, pattern=r"^[0-9]+$(?!\n)")]
Currency = Annotated[str, msgspec.Meta(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$(?!\n)")]
Amount = Annotated[int, msgspec.Meta(ge=0, le=MAX_AMOUNT)]
Extra = Annotated[str, msgspec.Meta(max_length=256)]


class UserInfoRequest(msgspec.Struct):
    request_uuid: Id
    token: Token
    user: User | None = None


class BalanceRequest(msgspec.Struct):
    request_uuid: Id
    token: Token
    user: User
    game_code: Id | None = None


class BetRequest(msgspec.Struct):
    request_uuid: Id
    token: Token
    user: User
    transaction_uuid: Id
    round: Id
    game_code: Id
    currency: Currency
    amount: Amount
    round_closed: bool = False
    is_free: bool = False
    # With is_free: the free-bet campaign (Hub88's reward) the bet plays a round of.
    reward_uuid: Id | None = None
    supplier_user: Extra | None = None
    supplier_transaction_id: Extra | None = None
    bet: Extra | None = None
    meta: dict[str, Any] | None = None


class WinRequest(msgspec.Struct):
    request_uuid: Id
    token: Token
    user: User
    transaction_uuid: Id
    reference_transaction_uuid: Id
    round: Id
    game_code: Id
    currency: Currency
    amount: Amount
    round_closed: bool = False
    is_free: bool = False
    # With is_free: the free-bet campaign (Hub88's reward) the bet plays a round of.
    reward_uuid: Id | None = None
    supplier_user: Extra | None = None
    supplier_transaction_id: Extra | None = None
    bet: Extra | None = None
    meta: dict[str, Any] | None = None


class RollbackRequest(msgspec.Struct):
    request_uuid: Id
    token: Token
    user: User
    transaction_uuid: Id
    reference_transaction_uuid: Id
    round: Id
    game_code: Id
    round_closed: bool = False
    supplier_user: Extra | None = None
    supplier_transaction_id: Extra | None = None
    meta: dict[str, Any] | None = None


class Malformed(Exception):
    """The body cannot become the request: `status` says why, `request_uuid` if we found one."""

    def __init__(self, status: Status, message: str, request_uuid: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.request_uuid = request_uuid


R = TypeVar("R")


def decode(body: bytes, kind: type[R]) -> R:
    if len(body) > MAX_BODY_BYTES:
        raise Malformed(Status.WRONG_SYNTAX, "body too large", None)
    try:
        request = msgspec.json.decode(body, type=kind)
    except msgspec.ValidationError as error:
        text = str(error)
        # A missing field, or a body that is not an object at all, is the wrong form; a field
        # (msgspec says "- at `$.name`") of the wrong type, length or range is the wrong type.
        wrong_type = "- at `$." in text and "missing required field" not in text
        status = Status.WRONG_TYPES if wrong_type else Status.WRONG_SYNTAX
        raise Malformed(status, text, _request_uuid(body)) from None
    except msgspec.DecodeError:
        raise Malformed(Status.WRONG_SYNTAX, "body is not JSON", None) from None
    # An identifier's pattern already refuses a NUL; this finds one in the text no pattern
    # bounds (`meta`, the supplier's extras, an ignored field), as the player API does.
    if NUL_ESCAPE in body and holds_nul(msgspec.json.decode(body)):
        raise Malformed(Status.WRONG_TYPES, NO_NUL, getattr(request, "request_uuid", None))
    return request


def _request_uuid(body: bytes) -> str | None:
    """The request_uuid of a body that is JSON but not a valid request, to echo it back."""
    try:
        data = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return None
    value = data.get("request_uuid") if isinstance(data, dict) else None
    return value if isinstance(value, str) and 0 < len(value) <= 128 else None
