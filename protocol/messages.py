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
CAPABILITIES = ("msgpack", "json", "idempotent-requests", "resume", "push", "provably-fair")

# Ids are echoed, never interpreted: an unsigned integer or a short string.
RequestId = (
    Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)] | Annotated[str, msgspec.Meta(max_length=64)]
)
Stake = Annotated[int, msgspec.Meta(gt=0, le=2**53 - 1)]
GameId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Token = Annotated[str, msgspec.Meta(min_length=1, max_length=512)]
RoundId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class Request(msgspec.Struct, tag_field="type", forbid_unknown_fields=False, frozen=True):
    id: RequestId


class Hello(Request, tag="hello", frozen=True):
    token: Token
    version: int = PROTOCOL_VERSION
    # Kept by the client across reconnects: a request id resent under the same client session
    # returns the original reply instead of running again.
    client_session: Annotated[str, msgspec.Meta(min_length=8, max_length=64)] | None = None


class Balance(Request, tag="balance", frozen=True):
    pass


class Spin(Request, tag="spin", frozen=True):
    game: GameId
    stake: Stake


class History(Request, tag="history", frozen=True):
    """A page of settled rounds, newest first; `cursor` is a reply's `next_cursor`."""

    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 20
    cursor: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None


class Play(Request, tag="play", frozen=True):
    """Start a round of any game; `options` carries its bets (roulette, baccarat)."""

    game: GameId
    stake: Stake
    options: dict[str, Any] | None = None


class Act(Request, tag="act", frozen=True):
    """An action in an unfinished round (blackjack: hit, stand, double, split, insurance)."""

    round_id: RoundId
    action: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


class Resume(Request, tag="resume", frozen=True):
    """The current state of one of the player's unfinished rounds."""

    round_id: RoundId


class Seeds(Request, tag="seeds", frozen=True):
    pass


class SetClientSeed(Request, tag="set_client_seed", frozen=True):
    client_seed: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class RotateSeed(Request, tag="rotate_seed", frozen=True):
    pass


class RealityCheckAck(Request, tag="reality_check_ack", frozen=True):
    """The player has seen the reality check pushed to them: bets may go on."""


_REQUESTS = (
    Hello, Balance, Spin, History, Play, Act, Resume, Seeds, SetClientSeed, RotateSeed,
    RealityCheckAck,
)  # fmt: skip
AnyRequest = (
    Hello
    | Balance
    | Spin
    | History
    | Play
    | Act
    | Resume
    | Seeds
    | SetClientSeed
    | RotateSeed
    | RealityCheckAck
)
REQUEST_TYPES: frozenset[str] = frozenset(str(cls.__struct_config__.tag) for cls in _REQUESTS)


class Reply(msgspec.Struct, tag_field="type", omit_defaults=False, frozen=True):
    pass


class OpenRound(msgspec.Struct, frozen=True):
    game: str
    round_id: str


class Welcome(Reply, tag="welcome", frozen=True):
    id: RequestId
    player_id: int
    username: str
    currency: str
    balance: int
    server_time: int  # milliseconds since the Unix epoch
    open_rounds: list[OpenRound]  # unfinished rounds: resume and finish them first
    protocol: int = PROTOCOL_VERSION
    capabilities: list[str] = msgspec.field(default_factory=lambda: list(CAPABILITIES))


class BalanceReply(Reply, tag="balance", frozen=True):
    id: RequestId
    balance: int
    currency: str


class BonusProgress(msgspec.Struct, frozen=True):
    """Where the wagering of the player's active bonus stands after a stake counted towards
    it, in minor units: the same figures as a `bonus_progress` push."""

    award: int
    wagered: int
    required: int


class SpinResult(Reply, tag="spin", frozen=True):
    id: RequestId
    round_id: str
    game: str
    stake: int
    payout: int
    balance: int
    currency: str
    outcome: dict[str, Any]
    # When the stake counted towards an active bonus's wagering: the progress, here instead
    # of a `bonus_progress` push to this session (other sessions of the player get the push).
    bonus_progress: BonusProgress | None = None


class RoundReply(Reply, tag="round", frozen=True):
    id: RequestId
    round_id: str
    game: str
    stake: int  # all the round has staked so far (doubles and splits included)
    finished: bool
    payout: int
    balance: int
    currency: str
    outcome: dict[str, Any]
    actions: list[str]  # legal next actions; empty once finished
    bonus_progress: BonusProgress | None = None  # as SpinResult's (a one-step game's round)


class SeedsReply(Reply, tag="seeds", frozen=True):
    id: RequestId
    server_seed_hash: str
    client_seed: str
    nonce: int  # the nonce of the next round
    revealed_server_seed: str | None = None  # hex; only when a rotation revealed it
    revealed_seed_hash: str | None = None


class Proof(msgspec.Struct, frozen=True):
    """What a player needs to re-verify a round once its server seed is revealed."""

    server_seed_hash: str
    client_seed: str
    nonce: int


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
    inputs: dict[str, Any]
    proof: Proof


class HistoryReply(Reply, tag="history", frozen=True):
    id: RequestId
    rounds: list[RoundSummary]
    next_cursor: str | None = None  # ask again with it for the next page; None: no more


class ErrorReply(Reply, tag="error", frozen=True):
    id: RequestId | None
    code: str
    message: str
    balance: int | None = None  # with INSUFFICIENT_FUNDS: the balance that refused the stake
    # The refusal's figures for wording it (protocol.errors.Refused.params); null without.
    params: dict[str, int | str] | None = None


class RealityCheckAcknowledged(Reply, tag="reality_check_ack", frozen=True):
    id: RequestId


AnyReply = (
    Welcome
    | BalanceReply
    | SpinResult
    | RoundReply
    | SeedsReply
    | HistoryReply
    | ErrorReply
    | RealityCheckAcknowledged
)
