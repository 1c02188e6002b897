"""Every request gets exactly one reply, or its socket a close with a code, within the
request timeout (`CASINO_REQUEST_TIMEOUT_SECONDS`), whatever the frame holds.

Issue 27: a JSON `play` whose options held an integer beyond 64 bits, sent under a
client session, was never answered. The idempotency digest re-encodes the request
as MessagePack, which cannot carry such an integer; the exception ended the
request's task, and no reply went out. The decoder now refuses what MessagePack
cannot carry, a fault on the way to a reply still answers INTERNAL_ERROR, and a
request unanswered for the request timeout closes its socket with 1011.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

import rng
from protocol.close_codes import CloseCode
from protocol.codec import ProtocolError, decode_request
from protocol.errors import ErrorCode
from protocol.messages import Play
from server.config import VARIABLES
from server.sessions import replies
from server.storage.redis_child import RedisChild
from server.tools.soak.frames import Draft, drafts, encode, messages
from tests.conftest import ServerProcess, new_player, settled_report, start_server, stop_server

# The frame of the issue, as the soak printed it up to where it cut it, closed after that.
ISSUE_27_FRAME = (
    r'{"type": "play", "id": "\ud8c4\udd6d\u00d0\u00bc", "game": "european-roulette",'
    r' "stake": 120, "options": {"bets": {"\u00d4\u00fa\u00f6\udb24\udd04\u000b\u00f2'
    r'\u0005\ud8a0\udcf2": {}, "": [[], []], "\u0016": [2147483648,'
    r' 1000000000000000000000000000000, -5.7142036509073704e+16, "+"]}}}'
)
ISSUE_27_ID = "\U0004116d\u00d0\u00bc"  # the id's escapes are a surrogate pair: one character
ISSUE_27_REPLY = {
    "type": "error",
    "id": ISSUE_27_ID,
    "code": "INVALID_FIELD",
    "message": "an integer does not fit in 64 bits",
    "balance": None,
    "params": None,
}
DEPOSIT = 1_000_000  # above EUR 2,000: the player is verified to KYC level 2 first
REQUEST_TIMEOUT_S = int(VARIABLES["CASINO_REQUEST_TIMEOUT_SECONDS"][0])
# The promise: a reply or a close within the timeout and the watch's period (a quarter of
# it, at most 5 s); the rest is room for a machine busy with other tests.
ANSWERED_WITHIN_S = REQUEST_TIMEOUT_S + min(REQUEST_TIMEOUT_S / 4, 5) + 10


# -- the decoder: what it returns, MessagePack can carry --------------------------------------
def test_a_json_integer_beyond_64_bits_in_options_is_invalid_field_with_the_request_id() -> None:
    with pytest.raises(ProtocolError) as refused:
        decode_request(ISSUE_27_FRAME)
    assert (refused.value.code, refused.value.request_id, refused.value.message) == (
        ErrorCode.INVALID_FIELD,
        ISSUE_27_ID,
        "an integer does not fit in 64 bits",
    )


def test_the_64_bit_extremes_in_options_are_accepted_from_json() -> None:
    frame = (
        '{"type":"play","id":3,"game":"g","stake":1,'
        '"options":{"a":18446744073709551615,"b":-9223372036854775808}}'
    )
    assert decode_request(frame) == Play(
        id=3, game="g", stake=1, options={"a": 2**64 - 1, "b": -(2**63)}
    )


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(messages())
def test_every_request_decoded_from_json_has_an_idempotency_key(message: dict[str, Any]) -> None:
    frame = encode(message, binary=False)
    assert isinstance(frame, str)
    try:
        request = decode_request(frame)
    except ProtocolError as refused:
        assert refused.code in ErrorCode
    else:
        # The stage that raised in issue 27: it re-encodes the request as MessagePack.
        assert replies.key(1, "session-1", request).startswith("{p:1}:req:session-1:")


# -- a real server: the frame of the issue -----------------------------------------------------
async def test_the_issue_27_frame_under_a_client_session_is_refused_and_moves_nothing(
    casino: ServerProcess,
) -> None:
    client, _ = await new_player(casino.base_url, deposit=DEPOSIT, kyc_level=2)
    async with client, client.socket(binary=False) as sock:
        assert client.token is not None
        await sock.request("hello", token=client.token, client_session=rng.token_urlsafe(12))
        reply = await asyncio.wait_for(sock.send_raw(ISSUE_27_FRAME), ANSWERED_WITHIN_S)
        balance = await sock.balance()
    assert reply == ISSUE_27_REPLY
    assert balance["balance"] == DEPOSIT


async def test_the_issue_27_frame_without_a_client_session_gets_the_same_reply(
    casino: ServerProcess,
) -> None:
    client, _ = await new_player(casino.base_url)
    async with client, client.socket(binary=False) as sock:
        assert client.token is not None
        await sock.hello(client.token)
        reply = await asyncio.wait_for(sock.send_raw(ISSUE_27_FRAME), ANSWERED_WITHIN_S)
    assert reply == ISSUE_27_REPLY


# -- a real server: hostile frames, many in flight at once -------------------------------------
OPEN: dict[str, Any] = {"max_size": 2**21, "open_timeout": 10}
_ANY_ID = object()  # a frame the untyped decoder cannot read: its reply may carry any id


def _decode(raw: bytes | str) -> Any:
    return msgspec.msgpack.decode(raw) if isinstance(raw, bytes) else msgspec.json.decode(raw)


def _sent_id(frame: bytes | str) -> object:
    try:
        message = _decode(frame)
    except Exception:
        return _ANY_ID
    return message.get("id") if isinstance(message, dict) else None


class Exchange:
    """One socket that sends a batch of frames at once and reads every reply to them."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.last_round = "r-none"

    def replies(self, count: int) -> list[dict[str, Any]]:
        """The next `count` replies (pushes, which carry no id, skipped), each within the
        bound; a close of the socket fails, whatever its code: no frame here should cause
        one (none is above 1 MiB, and a fresh socket takes far fewer than the refusals
        that close it)."""
        got: list[dict[str, Any]] = []
        while len(got) < count:
            try:
                message = _decode(self.ws.recv(timeout=ANSWERED_WITHIN_S))
            except TimeoutError:
                pytest.fail(f"{count - len(got)} of {count} replies missing after the bound")
            except ConnectionClosed as closed:
                pytest.fail(f"the socket closed instead of answering: {closed}")
            assert isinstance(message, dict)
            if "id" in message:
                got.append(message)
                if message.get("type") in ("spin", "round"):
                    self.last_round = message["round_id"]
        return got

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        self.ws.send(msgspec.msgpack.encode(message))
        (reply,) = self.replies(1)
        return reply

    def answers_each_once(self, batch: list[Draft], token: str) -> None:
        frames = [draft.render(self.last_round, token) for draft in batch]
        end = f"end-{rng.token_urlsafe(9)}"
        for frame in frames:
            self.ws.send(frame)
        self.ws.send(msgspec.msgpack.encode({"type": "balance", "id": end}))
        got = self.replies(len(frames) + 1)
        assert sum(reply["id"] == end for reply in got) == 1, got
        sent = [_sent_id(frame) for frame in frames]
        for reply in got:
            if reply["id"] not in (None, end):
                assert reply["id"] in sent or _ANY_ID in sent, (reply, sent)
        # Nothing more is on its way: the next reply is the answer to the next request.
        after = f"after-{rng.token_urlsafe(9)}"
        assert self.request({"type": "balance", "id": after})["id"] == after


def hostile_batches_are_each_answered_once(ws_url: str, token: str) -> None:
    client_session = rng.token_urlsafe(12)

    @settings(
        max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(st.lists(drafts, min_size=1, max_size=6))
    @example([Draft(raw=ISSUE_27_FRAME)])
    @example([Draft(raw=ISSUE_27_FRAME)] * 3)
    def batch(frames: list[Draft]) -> None:
        with connect(ws_url, **OPEN) as one, connect(ws_url, **OPEN) as other:
            played = Exchange(one)  # said hello under a client session: requests run as tasks
            stranger = Exchange(other)  # never said hello: the reader answers each in turn
            hello = {"type": "hello", "id": "h", "token": token, "client_session": client_session}
            assert played.request(hello)["type"] == "welcome"
            played.answers_each_once(frames, token)
            stranger.answers_each_once(frames, token)

    batch()


async def test_hostile_frames_in_flight_at_once_each_get_exactly_one_reply(
    casino: ServerProcess,
) -> None:
    client, _ = await new_player(casino.base_url, deposit=DEPOSIT, kyc_level=2)
    async with client:
        assert client.token is not None
        ws_url = "ws" + casino.base_url.removeprefix("http") + "/ws"
        await asyncio.to_thread(hostile_batches_are_each_answered_once, ws_url, client.token)
    assert casino.process.poll() is None


# -- a real server whose Redis stops answering: the request timeout ----------------------------
@pytest.fixture
def impatient(tmp_path: Path, private_redis: RedisChild) -> Iterator[ServerProcess]:
    """A server with a request timeout of 1 s, on a Redis of its own that a test may freeze."""
    server = start_server(tmp_path, private_redis, {"CASINO_REQUEST_TIMEOUT_SECONDS": "1"})
    yield server
    stop_server(server)


class Frozen:
    """SIGSTOP a redis-server: its sockets stay open and nothing it was asked is answered."""

    def __init__(self, child: RedisChild) -> None:
        assert child.process is not None
        self.pid = child.process.pid

    def __enter__(self) -> Frozen:
        os.kill(self.pid, signal.SIGSTOP)
        return self

    def __exit__(self, *exc: object) -> None:
        os.kill(self.pid, signal.SIGCONT)


async def test_a_request_unanswered_within_the_request_timeout_closes_its_socket_with_1011(
    impatient: ServerProcess,
) -> None:
    client, _ = await new_player(impatient.base_url)
    async with client, client.socket() as sock:
        assert client.token is not None
        await sock.hello(client.token)
        with Frozen(impatient.redis), pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(sock.balance(), 20)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
        CloseCode.INTERNAL_ERROR,
        "request timeout",
    )


async def test_a_spin_whose_socket_closed_on_the_timeout_settles_and_its_resend_gets_its_reply(
    impatient: ServerProcess,
) -> None:
    client, _ = await new_player(impatient.base_url, deposit=1000)
    session = rng.token_urlsafe(12)
    spin = {"type": "spin", "id": 27, "game": "classic-sevens", "stake": 100}
    async with client:
        assert client.token is not None
        async with client.socket() as sock:
            await sock.request("hello", token=client.token, client_session=session)
            with Frozen(impatient.redis), pytest.raises(ConnectionClosed):
                await asyncio.wait_for(sock.send_raw(sock.encode(spin)), 20)
        async with client.socket() as again:
            await again.request("hello", token=client.token, client_session=session)
            reply = await again.send_raw(again.encode(spin))
            balance = (await again.balance())["balance"]
    assert (reply["type"], reply["id"], reply["stake"]) == ("spin", 27, 100)
    assert balance == reply["balance"] == 1000 - 100 + reply["payout"]
    report = await settled_report(impatient)
    assert report.ok, "\n".join(report.lines())
