"""Hostile frames for every WebSocket request type, as hypothesis strategies.

A `Draft` is one frame to send: a message (a plain map, sent as MessagePack or
JSON) or raw bytes/text. Messages mix valid values, so the fuzz reaches deep
into the handlers, with hostile ones: wrong types, huge and negative integers,
NaN and infinities, deep nesting, unknown fields, long and exotic strings,
binary. The placeholders `ROUND` and `TOKEN` are filled in when the frame is
sent, with a round the player really has open and the player's real token.
Pure: nothing here does I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import msgspec
from hypothesis import strategies as st

from games import catalogue
from protocol.messages import REQUEST_TYPES

ROUND = "$ROUND"  # replaced by the player's open (or last) round id when sent
TOKEN = "$TOKEN"  # noqa: S105 (a placeholder): the player's token when sent
GAMES = sorted(info.id for info in catalogue.infos())
ACTIONS = ("hit", "stand", "double", "split", "insurance", "no_insurance")
ROULETTE_BETS = ("straight", "split", "street", "corner", "red", "black", "dozen", "column", "odd")

_EDGE_INTS = (0, -1, 1, 2**31, 2**53 - 1, 2**53, 2**63 - 1, 2**63, 2**64 - 1, -(2**63), 10**30)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(_EDGE_INTS),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=24),
    st.binary(max_size=24),
)
_long_text = st.tuples(st.sampled_from(("x", "é", "😀", "\u202e", "\x00")), st.integers(65, 6000))
_strings = st.one_of(st.text(max_size=80), _long_text.map(lambda pair: pair[0] * pair[1]))
hostile: st.SearchStrategy[Any] = st.recursive(
    st.one_of(_scalars, _strings),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)


def _or_hostile(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(valid, valid, hostile)


_roulette_bet = st.fixed_dictionaries(
    {"type": _or_hostile(st.sampled_from(ROULETTE_BETS)), "amount": _or_hostile(st.just(10))},
    optional={
        "numbers": _or_hostile(st.lists(st.integers(-1, 37), max_size=5)),
        "index": _or_hostile(st.integers(0, 4)),
    },
)
_options = st.one_of(
    st.none(),
    st.fixed_dictionaries({"bet": _or_hostile(st.sampled_from(("banker", "player", "tie")))}),
    st.fixed_dictionaries({"bets": _or_hostile(st.lists(_roulette_bet, max_size=3))}),
    hostile,
)
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "id": _or_hostile(st.integers(0, 2**63 - 1) | st.text(max_size=64)),
    "token": _or_hostile(st.just(TOKEN) | st.text(max_size=16)),
    "version": _or_hostile(st.integers(-1, 3)),
    "client_session": _or_hostile(st.text(min_size=8, max_size=64)),
    "game": _or_hostile(st.sampled_from(GAMES) | st.text(max_size=8)),
    "stake": _or_hostile(st.sampled_from((10, 20, 100, 120, 200, 1000)) | st.integers(-5, 10**6)),
    "options": _options,
    "limit": _or_hostile(st.integers(-2, 102)),
    "round_id": _or_hostile(st.just(ROUND) | st.text(max_size=64)),
    "action": _or_hostile(st.sampled_from(ACTIONS) | st.text(max_size=33)),
    "client_seed": _or_hostile(st.text(max_size=70)),
}
FIELDS: dict[str, tuple[str, ...]] = {
    "hello": ("token", "version", "client_session"),
    "balance": (),
    "spin": ("game", "stake"),
    "history": ("limit",),
    "play": ("game", "stake", "options"),
    "act": ("round_id", "action"),
    "resume": ("round_id",),
    "seeds": (),
    "set_client_seed": ("client_seed",),
    "rotate_seed": (),
    "reality_check_ack": (),
}
assert set(FIELDS) == REQUEST_TYPES, "every request type is fuzzed"


# Options that make a stake of 100 a valid bet on the games that need them.
_PLAY_OPTIONS: dict[str, dict[str, Any]] = {
    "european-roulette": {"bets": [{"type": "red", "amount": 100}]},
    "punto-banco": {"bet": "banker"},
}
_VALID: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "spin": st.fixed_dictionaries(
        {"game": st.sampled_from(("classic-sevens", "crown-jewels")), "stake": st.just(100)}
    ),
    "play": st.sampled_from(GAMES).map(
        lambda game: {"game": game, "stake": 100, "options": _PLAY_OPTIONS.get(game)}
    ),
    "act": st.fixed_dictionaries({"round_id": st.just(ROUND), "action": st.sampled_from(ACTIONS)}),
    "resume": st.fixed_dictionaries({"round_id": st.just(ROUND)}),
    "history": st.fixed_dictionaries({"limit": st.integers(1, 5)}),
    "set_client_seed": st.fixed_dictionaries({"client_seed": st.text("abcXYZ09-_", min_size=1)}),
}


@st.composite
def near_valid(draw: st.DrawFn) -> dict[str, Any]:
    """A valid request (these move money), sometimes with one field made hostile."""
    kind = draw(st.sampled_from(sorted(REQUEST_TYPES - {"hello"})))
    fields = draw(_VALID.get(kind, st.just({})))
    message = {"type": kind, "id": draw(st.integers(0, 2**63 - 1) | st.text(max_size=64)), **fields}
    if draw(st.integers(0, 3)) == 0:
        name = draw(st.sampled_from(sorted(message)))
        message[name] = draw(hostile)
    return message


@dataclass(frozen=True)
class Draft:
    message: dict[str, Any] | None = None
    binary: bool = True
    raw: bytes | str | None = None

    def render(self, round_id: str, token: str) -> bytes | str:
        if self.raw is not None:
            return self.raw
        assert self.message is not None
        filled = {k: _fill(v, round_id, token) for k, v in self.message.items()}
        return encode(filled, self.binary)


def _fill(value: Any, round_id: str, token: str) -> Any:
    if value == ROUND:
        return round_id
    if value == TOKEN:
        return token
    return value


def encode(message: dict[str, Any], binary: bool) -> bytes | str:
    """MessagePack when asked and possible; else JSON, which takes NaN, big ints and
    lone surrogates (as escapes) where MessagePack cannot carry them."""
    if binary:
        try:
            return msgspec.msgpack.encode(message)
        except (OverflowError, UnicodeEncodeError, TypeError, ValueError):
            pass
    return json.dumps(message, default=lambda raw: raw.decode("latin-1"))


@st.composite
def messages(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.one_of(st.sampled_from(sorted(REQUEST_TYPES)), hostile))
    message: dict[str, Any] = {}
    if draw(st.integers(0, 15)):
        message["type"] = kind
    if draw(st.integers(0, 7)):
        message["id"] = draw(VALUES["id"])
    own = FIELDS.get(kind, ()) if isinstance(kind, str) else ()
    for name in own:
        if draw(st.integers(0, 5)):
            message[name] = draw(VALUES[name])
    for name in draw(st.sets(st.sampled_from(sorted(VALUES)), max_size=2)):
        message[name] = draw(VALUES[name])  # a field of another type: ignored or refused
    message.update(draw(st.dictionaries(st.text(max_size=12), hostile, max_size=2)))
    return message


def _deep(depth: int, binary: bool) -> bytes | str:
    """A roulette play whose options nest `depth` arrays deep."""
    head = {"type": "play", "id": 7, "game": "european-roulette", "stake": 10}
    if not binary:
        return json.dumps(head)[:-1] + ', "options": {"bets": ' + "[" * depth + "]" * depth + "}}"
    pairs = b"".join(msgspec.msgpack.encode(k) + msgspec.msgpack.encode(v) for k, v in head.items())
    options = b"\x81" + msgspec.msgpack.encode("bets") + b"\x91" * depth + b"\x90"
    return b"\x85" + pairs + msgspec.msgpack.encode("options") + options


@st.composite
def _mutated(draw: st.DrawFn) -> bytes | str:
    """A valid-looking message, truncated or with one byte changed."""
    frame = encode(draw(messages()), binary=draw(st.booleans()))
    data = frame.encode(errors="surrogatepass") if isinstance(frame, str) else frame
    if not data:
        return frame
    at = draw(st.integers(0, len(data) - 1))
    if draw(st.booleans()):
        data = data[:at]
    else:
        data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    return data if isinstance(frame, bytes) else data.decode(errors="replace")


drafts: st.SearchStrategy[Draft] = st.one_of(
    st.builds(Draft, message=near_valid(), binary=st.booleans()),
    st.builds(Draft, message=near_valid(), binary=st.booleans()),
    st.builds(Draft, message=messages(), binary=st.booleans()),
    st.builds(Draft, message=messages(), binary=st.booleans()),
    st.builds(Draft, message=messages(), binary=st.booleans()),
    st.builds(Draft, raw=_mutated()),
    st.builds(Draft, raw=st.binary(max_size=64) | st.text(max_size=64)),
    st.builds(
        Draft, raw=st.builds(_deep, st.sampled_from((2, 64, 300, 900, 1000, 7000)), st.booleans())
    ),
)
