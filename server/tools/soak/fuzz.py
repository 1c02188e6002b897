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

A run is seeded and says its seed; a finding names it and writes the frames
that led to it, whole, to a file (`replay`) that `run.py soak --replay FILE`
sends again to a fresh server.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import msgspec
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

import rng
from protocol.errors import ErrorCode
from server.tools.soak import replay
from server.tools.soak.frames import TOKEN, Draft, drafts

CODES = frozenset(code.value for code in ErrorCode)
READS = frozenset({"welcome", "balance", "seeds", "history"})
# The server answers every request, or closes its socket (1011), within its request timeout
# (30 s by default) and a quarter of it; a silence longer than this is a lost reply.
REPLY_WAIT_S = 60.0
SENT_KEPT = 64  # frames a finding's file holds: its sequence and those sent just before it
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
        self.sent: deque[Draft] = deque(maxlen=SENT_KEPT)
        self.dealt = False  # a round was played since the server's open rounds were checked

    def redact(self, text: str) -> str:
        """`text` with the player's token back to its placeholder: findings are printed."""
        return text.replace(self.token, TOKEN)

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
        self.sent.append(draft)
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
            self.dealt = True
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
        """Play every open round to its end, checked like any other frame; then the server
        must hold none open either."""
        for _ in range(20):
            if not self.books.open_rounds:
                self._none_held()
                return
            round_id, actions = next(iter(self.books.open_rounds.items()))
            action = "stand" if "stand" in actions else (actions or ["stand"])[0]
            message = {"type": "act", "id": f"f{rng.token_urlsafe(6)}", "round_id": round_id}
            reply = self.send(Draft(message={**message, "action": action}))
            if reply.get("code") == ErrorCode.NOT_FOUND:  # finished meanwhile, and so told
                self.books.open_rounds.pop(round_id, None)
        raise Finding(f"rounds {sorted(self.books.open_rounds)} did not finish in 20 actions")

    def _none_held(self) -> None:
        """A round a reply called finished (or never showed) but the server holds open would
        be settled by the round timeout, behind the player's back: `welcome` lists them.
        Asked only after a round was played, as it costs a connection."""
        if not self.dealt:
            return
        self.dealt = False
        socket = Socket(self.ws_url)
        try:
            welcome = socket.request("hello", token=self.token)
        finally:
            socket.close()
        if welcome.get("type") != "welcome":
            raise Finding(f"hello was refused: {welcome}")
        held = sorted(str(open_round["round_id"]) for open_round in welcome["open_rounds"])
        if held:
            raise Finding(
                f"the server holds rounds {held} open that no reply left open; the frames"
                f" before:\n{self._recent()}"
            )


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


def new_seed() -> int:
    return rng.randbelow(2**32)


SEQUENCES: st.SearchStrategy[list[Draft]] = st.lists(drafts, min_size=1, max_size=6)


def generate(
    play: Callable[[list[Draft]], None],
    examples: int,
    seed: int,
    shrink: bool = False,
    sequences: st.SearchStrategy[list[Draft]] = SEQUENCES,
) -> None:
    """Call `play` on `examples` sequences drawn from `sequences` by `seed`: the same seed
    draws the same sequences. An exception from `play` ends it: hypothesis shrinks the
    sequence when `shrink`, plays the failing one once more, and raises."""

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=(Phase.generate, Phase.shrink) if shrink else (Phase.generate,),
        suppress_health_check=list(HealthCheck),
        print_blob=False,
        report_multiple_bugs=False,
    )
    @hypothesis.seed(seed)
    @given(sequences)
    def sequence(frames: list[Draft]) -> None:
        play(frames)

    sequence()


def run(
    ws_url: str,
    token: str,
    examples: int,
    shrink: bool = True,
    seed: int | None = None,
    findings: Path | None = None,
    sequences: st.SearchStrategy[list[Draft]] = SEQUENCES,
) -> Tally:
    """Send `examples` generated sequences of frames (1 to 6 each) as this player, drawn
    from `seed` (random when None); raise `Finding` (shrunk to a small example when
    `shrink`) on the first broken promise. The finding names the seed and, with a
    `findings` directory, the file there that holds its frames, whole, for a replay."""
    player = Player(ws_url, token)
    seed = new_seed() if seed is None else seed
    caught: list[replay.Record] = []  # every failing sequence; the last is the one reported

    def play(frames: list[Draft]) -> None:
        if caught and not shrink:
            # Hypothesis plays a failing sequence once more to report it: not on the server,
            # whose state has moved on (a hang would cost its whole wait again).
            raise Finding(caught[-1].finding)
        try:
            for draft in frames:
                player.send(draft)
            player.finish_rounds()
        except Exception as error:
            caught.append(replay.Record(seed, player.redact(_said(error)), tuple(player.sent)))
            raise

    try:
        generate(play, examples, seed, shrink, sequences)
    except Exception as error:  # a Finding, or what hypothesis made of one
        if not caught:
            raise
        raise Finding(_reported(caught[-1], findings)) from error
    finally:
        player.close()
    return player.tally


def _reported(record: replay.Record, findings: Path | None) -> str:
    said = f"{record.finding}\n  (fuzz seed {record.seed}"
    if findings is None:
        return said + ")"
    name = f"fuzz-{time.strftime('%Y%m%d-%H%M%S')}-seed-{record.seed}.json"
    path = replay.write(findings / name, record)
    return (
        f"{said}; its {len(record.drafts)} frames, whole, in {path};"
        f" replay: python3 run.py soak --replay {path})"
    )


def replay_frames(ws_url: str, token: str, frames: Sequence[Draft]) -> list[str]:
    """Send `frames` in order as this player, each checked as the fuzz checks it, then
    finish the rounds left open; a line per frame says what it got. Raise `Finding` when a
    promise broke."""
    player = Player(ws_url, token)
    lines = []
    try:
        for number, draft in enumerate(frames, 1):
            reply = player.send(draft)
            answer = f"error {reply.get('code')}" if reply["type"] == "error" else reply["type"]
            lines.append(f"frame {number}: {answer}")
        player.finish_rounds()
    except Exception as error:
        raise Finding(player.redact(_said(error))) from None
    finally:
        player.close()
    return lines


def _said(error: Exception) -> str:
    return str(error) if isinstance(error, Finding) else f"{type(error).__name__}: {error}"
