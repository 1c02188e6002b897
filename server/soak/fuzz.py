"""The fuzz scenario: hostile frames of every type over real WebSockets, with the books
checked after every frame.

Two connections per player: one after `hello` (with a client session, so the
idempotent path runs too) and one that never authenticated. Each frame must get
exactly one reply: a typed result, or an error whose code is in `ErrorCode` and
is never INTERNAL_ERROR, echoing the frame's id or null. After every frame a
`balance` proves the connection still works and says how much money moved,
which must be exactly what the reply accounts for: nothing for an error, a
replayed reply or a read; `payout - stake` for a new round; the difference to
the round's last state for an action. Open rounds are finished after each
example, so the sweeper never moves money behind the scenario's back.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

import msgspec
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

import rng
from protocol.errors import ErrorCode
from server.soak.frames import Draft, drafts

CODES = frozenset(code.value for code in ErrorCode)
READS = frozenset({"welcome", "balance", "seeds", "history"})
REPLY_WAIT_S = 30.0  # a history waits for the flusher; anything slower is a finding
# The server's defaults: frames above MAX_FRAME_BYTES are refused and, by design, the
# MAX_VIOLATIONS-th refusal closes the socket (1008); the fuzz reconnects before that.
MAX_FRAME_BYTES = 16 * 1024
MAX_VIOLATIONS = 20


class Finding(AssertionError):
    """The server broke a promise; the message says which and for what frame."""


@dataclass
class Tally:
    frames: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    rounds: int = 0  # new rounds the fuzz played (valid bets among the frames)
    net: int = 0  # money those rounds moved: sum of payout - stake

    def line(self) -> str:
        common = ", ".join(f"{code} {n}" for code, n in self.codes.most_common(6))
        return f"{self.frames} frames, {self.rounds} rounds played, net {self.net}; {common}"


def _decode(raw: bytes | str) -> Any:
    return msgspec.msgpack.decode(raw) if isinstance(raw, bytes) else msgspec.json.decode(raw)


class Socket:
    """A synchronous play connection that returns the reply to each frame (pushes skipped)."""

    def __init__(self, ws_url: str) -> None:
        self._open = contextlib.ExitStack()
        self.ws: ClientConnection = self._open.enter_context(
            connect(ws_url, max_size=2**21, open_timeout=10)
        )
        self._ids = itertools.count(1)
        self.oversized = 0  # frames refused as too large: each one counts towards a close

    def exchange(self, frame: bytes | str) -> dict[str, Any]:
        self.ws.send(frame)
        deadline = time.monotonic() + REPLY_WAIT_S
        while True:
            reply = _decode(self.ws.recv(timeout=max(0.0, deadline - time.monotonic())))
            if not isinstance(reply, dict):
                raise Finding(f"a reply that is not a map: {reply!r:.200}")
            if "id" in reply:
                return reply

    def request(self, message_type: str, **fields: Any) -> dict[str, Any]:
        message = {"type": message_type, "id": f"p{next(self._ids)}", **fields}
        return self.exchange(msgspec.msgpack.encode(message))

    def close(self) -> None:
        self._open.close()


class Books:
    """What the player's balance must be, from the replies the fuzz has seen."""

    def __init__(self, balance: int) -> None:
        self.balance = balance
        self.states: set[tuple[str, int, int, bool]] = set()
        self.latest: dict[str, tuple[int, int]] = {}  # round id -> (stake, payout) last seen
        self.open_rounds: dict[str, list[str]] = {}  # unfinished round id -> legal actions
        self.last_round = "r-none"

    def expected_move(self, reply: dict[str, Any]) -> tuple[int, bool]:
        """(money the reply says moved, whether it was a new round)."""
        kind = reply["type"]
        if kind == "spin":
            state = (reply["round_id"], reply["stake"], reply["payout"], True)
        elif kind == "round":
            state = (reply["round_id"], reply["stake"], reply["payout"], reply["finished"])
        else:
            return 0, False
        round_id, stake, payout, _ = state
        self.last_round = round_id
        if state in self.states:
            return 0, False  # a replayed reply or a resume: nothing moved
        self.states.add(state)
        if kind == "round" and not reply["finished"]:
            self.open_rounds[round_id] = list(reply["actions"])
        else:
            self.open_rounds.pop(round_id, None)
        new_round = round_id not in self.latest
        before_stake, before_payout = self.latest.get(round_id, (0, 0))
        self.latest[round_id] = (stake, payout)
        return (payout - before_payout) - (stake - before_stake), new_round


class Player:
    """One player's two connections and the books kept across frames."""

    def __init__(self, ws_url: str, token: str) -> None:
        self.ws_url = ws_url
        self.token = token
        self.tally = Tally()
        self.client_session = rng.token_urlsafe(12)
        self.played = self._hello()
        self.books = Books(self.balance())
        self.stranger = Socket(ws_url)
        self.recent: deque[tuple[bytes | str, dict[str, Any]]] = deque(maxlen=12)

    def _hello(self) -> Socket:
        socket = Socket(self.ws_url)
        welcome = socket.request("hello", token=self.token, client_session=self.client_session)
        if welcome["type"] != "welcome":
            raise Finding(f"hello was refused: {welcome}")
        return socket

    def balance(self) -> int:
        reply = self.played.request("balance")
        if reply.get("type") != "balance":
            raise Finding(f"balance got {reply}")
        return int(reply["balance"])

    def _make_room(self, frame: bytes | str) -> None:
        """Reconnect a socket that an oversized frame would close by design."""
        if len(frame) <= MAX_FRAME_BYTES:
            return
        if self.played.oversized + 1 >= MAX_VIOLATIONS:
            self.played.close()
            self.played = self._hello()
        if self.stranger.oversized + 1 >= MAX_VIOLATIONS:
            self.stranger.close()
            self.stranger = Socket(self.ws_url)

    def close(self) -> None:
        self.played.close()
        self.stranger.close()

    def round_to_target(self) -> str:
        return next(iter(self.books.open_rounds), self.books.last_round)

    def send(self, draft: Draft) -> dict[str, Any]:
        frame = draft.render(self.round_to_target(), self.token)
        self._make_room(frame)
        self._stranger(frame, draft)
        reply = self._checked(self.played, frame, draft)
        moved, new_round = self.books.expected_move(reply)
        actual = self.balance() - self.books.balance
        if actual != moved:
            raise Finding(
                f"{_show(frame)} moved {actual}, its reply {reply} accounts for {moved};"
                f" the frames before it:\n{self._recent()}"
            )
        self.books.balance += actual
        if new_round:
            self.tally.rounds += 1
        self.tally.net += actual
        return reply

    def _recent(self) -> str:
        return "\n".join(f"  {_show(frame)} -> {reply}" for frame, reply in self.recent)

    def _checked(self, socket: Socket, frame: bytes | str, draft: Draft) -> dict[str, Any]:
        try:
            reply = socket.exchange(frame)
        except ConnectionClosed as closed:
            raise Finding(f"the connection closed ({closed}) after {_show(frame)}") from None
        except TimeoutError:
            raise Finding(f"no reply within {REPLY_WAIT_S}s to {_show(frame)}") from None
        self.tally.frames += 1
        self.recent.append((frame, reply))
        if reply.get("type") == "error":
            code = reply.get("code")
            self.tally.codes[str(code)] += 1
            if code == ErrorCode.FRAME_TOO_LARGE:
                socket.oversized += 1
            if code not in CODES or code == ErrorCode.INTERNAL_ERROR:
                raise Finding(f"{_show(frame)} got {reply}")
        else:
            self.tally.codes[str(reply.get("type"))] += 1
        sent_id = _sent_id(frame)
        if reply["id"] is not None and sent_id is not _UNREADABLE and reply["id"] != sent_id:
            raise Finding(
                f"{_show(frame)} (id {sent_id!r}) got {reply} on the"
                f" {'played' if socket is self.played else 'stranger'} socket; before:\n"
                + self._recent()
            )
        return reply

    def _stranger(self, frame: bytes | str, draft: Draft) -> None:
        reply = self._checked(self.stranger, frame, draft)
        if reply["type"] not in ("error", "welcome"):
            raise Finding(f"{_show(frame)} was answered before hello: {reply}")
        if reply["type"] == "welcome":  # the fuzz said a valid hello: start a stranger again
            self.stranger.close()
            self.stranger = Socket(self.ws_url)

    def finish_rounds(self) -> None:
        """Play every open round to its end, checked like any other frame."""
        for _ in range(20):
            if not self.books.open_rounds:
                return
            round_id, actions = next(iter(self.books.open_rounds.items()))
            action = "stand" if "stand" in actions else (actions or ["stand"])[0]
            message = {"type": "act", "id": f"f{rng.token_urlsafe(6)}", "round_id": round_id}
            reply = self.send(Draft(message={**message, "action": action}))
            if reply.get("code") == ErrorCode.NOT_FOUND:  # finished meanwhile, and so told
                self.books.open_rounds.pop(round_id, None)
        raise Finding(f"rounds {sorted(self.books.open_rounds)} did not finish in 20 actions")


_UNREADABLE = object()


def _sent_id(frame: bytes | str) -> Any:
    """The id the frame carries (None when it has none). The server's typed decoder skips
    unknown fields unread, so it may read a frame the untyped one refuses: then any id."""
    try:
        message = _decode(frame)
    except Exception:
        return _UNREADABLE
    return message.get("id") if isinstance(message, dict) else None


def _show(frame: bytes | str) -> str:
    return f"frame {frame!r:.300}"


def run(ws_url: str, token: str, examples: int, shrink: bool = True) -> Tally:
    """Send `examples` generated sequences of frames (1 to 6 each) as this player;
    raise `Finding` (shrunk to a small example when `shrink`) on the first broken promise."""
    player = Player(ws_url, token)
    phases = (Phase.generate, Phase.shrink) if shrink else (Phase.generate,)

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=phases,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
        report_multiple_bugs=False,
    )
    @given(st.lists(drafts, min_size=1, max_size=6))
    def sequence(frames: list[Draft]) -> None:
        for draft in frames:
            player.send(draft)
        player.finish_rounds()

    try:
        sequence()
    finally:
        player.close()
    return player.tally
