"""The WebSocket message schema: one set of typed messages for MessagePack and JSON.

Requests carry a client-chosen `id` that the reply echoes; pushes carry none.
The `type` field tags every message. Money is integer minor units; nothing
here is a float. Unknown fields are ignored so older servers accept newer
clients; unknown types are refused.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})

# Ids are echoed, never interpreted: an unsigned integer or a short string.
RequestId = (
    Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)] | Annotated[str, msgspec.Meta(max_length=64)]
)
Stake = Annotated[int, msgspec.Meta(gt=0, le=2**53 - 1)]
GameId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Token = Annotated[str, msgspec.Meta(min_length=1, max_length=512)]


class Request(msgspec.Struct, tag_field="type", forbid_unknown_fields=False, frozen=True):
    id: RequestId


class Hello(Request, tag="hello", frozen=True):
    token: Token
    version: int = PROTOCOL_VERSION


class Balance(Request, tag="balance", frozen=True):
    pass


class Spin(Request, tag="spin", frozen=True):
    game: GameId
    stake: Stake


class History(Request, tag="history", frozen=True):
    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 20


AnyRequest = Hello | Balance | Spin | History
REQUEST_TYPES: frozenset[str] = frozenset(
    str(cls.__struct_config__.tag) for cls in (Hello, Balance, Spin, History)
)


class Reply(msgspec.Struct, tag_field="type", omit_defaults=False, frozen=True):
    pass


class Welcome(Reply, tag="welcome", frozen=True):
    id: RequestId
    player_id: int
    username: str
    currency: str
    balance: int
    server_time: int  # milliseconds since the Unix epoch
    protocol: int = PROTOCOL_VERSION


class BalanceReply(Reply, tag="balance", frozen=True):
    id: RequestId
    balance: int
    currency: str


class SpinResult(Reply, tag="spin", frozen=True):
    id: RequestId
    round_id: str
    game: str
    stake: int
    payout: int
    balance: int
    currency: str
    outcome: dict[str, Any]


class RoundSummary(msgspec.Struct, frozen=True):
    round_id: str
    game: str
    status: str
    stake: int
    payout: int
    currency: str
    balance_before: int
    balance_after: int
    settled_at: int
    outcome: dict[str, Any]


class HistoryReply(Reply, tag="history", frozen=True):
    id: RequestId
    rounds: list[RoundSummary]


class ErrorReply(Reply, tag="error", frozen=True):
    id: RequestId | None
    code: str
    message: str
    balance: int | None = None  # with INSUFFICIENT_FUNDS: the balance that refused the stake


AnyReply = Welcome | BalanceReply | SpinResult | HistoryReply | ErrorReply
