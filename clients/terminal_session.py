"""The terminal client's session: the play socket, the logged-in player, a round played
to its end, and the provably fair check of settled rounds.

Speaks the wire protocol only: requests are matched to replies by id, pushes (no
id) are kept in arrival order and shown between steps; a forced logout raises
`SessionEnded`. Verification replays Classic Sevens' reel stops from a revealed
server seed with `rng.fair`, without the server's game code.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from rich.console import Console
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

import rng
from clients import terminal_safer, wording
from clients import terminal_view as view
from clients.api import ApiFailure, CasinoClient
from games import catalogue, classic_slot, video_slot
from games.round import replay
from protocol.close_codes import CloseCode
from rng import fair
from rng.generator import Generator

REPLY_TIMEOUT_S = 15.0
# Both slots' paylines, for drawing the winning lines.
PAYLINES: dict[str, tuple[tuple[int, ...], ...]] = {
    "classic-sevens": classic_slot.PAYLINES,
    "crown-jewels": video_slot.PAYLINES,
}


class Refused(Exception):
    """The server answered a request with an error frame."""

    def __init__(self, reply: dict[str, Any]) -> None:
        super().__init__(f"{reply.get('code')}: {reply.get('message')}")
        self.code = str(reply.get("code"))
        self.reply = reply

    def told(self) -> str:
        """The refusal in words for the player (clients/wording.py), with its code."""
        params = self.reply.get("params")
        return wording.told(
            self.code, params if isinstance(params, dict) else None, str(self.reply.get("message"))
        )


def failure_told(failure: ApiFailure) -> str:
    """An HTTP refusal in words for the player, with its code."""
    return wording.told(failure.code, failure.params, failure.message)


class SessionEnded(Exception):
    """The server logged this session out (a forced logout, a revoked token)."""


class PlaySocket:
    """The play WebSocket: requests resolved by id, pushes kept in arrival order.

    Once the server has logged the session out (a `forced_logout` push, or close 4003),
    a request in flight or sent later raises `SessionEnded`, not a connection error:
    the player must log in again, and the client exits with its own status for that.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.ws: ClientConnection | None = None
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.pushes: list[dict[str, Any]] = []
        self.ids = itertools.count(1)
        self.reader: asyncio.Task[None] | None = None
        self.ended: str | None = None  # why the server logged this session out

    async def open(self) -> None:
        self.ws = await connect(self.url, max_size=2**20)
        self.reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for frame in self.ws:
                message = (
                    msgspec.msgpack.decode(frame)
                    if isinstance(frame, bytes)
                    else msgspec.json.decode(frame)
                )
                waiting = self.pending.pop(message.get("id"), None)
                if waiting is not None and not waiting.done():
                    waiting.set_result(message)
                elif isinstance(message, dict):
                    if message.get("type") == "forced_logout":
                        self.ended = str(message.get("reason") or "logged out by the server")
                    self.pushes.append(message)
        except ConnectionClosed as closed:
            if closed.rcvd is not None and closed.rcvd.code == CloseCode.FORCED_LOGOUT:
                self.ended = self.ended or closed.rcvd.reason or "logged out by the server"
        finally:
            for waiting in self.pending.values():
                if not waiting.done():
                    waiting.set_exception(self._closed())

    def _closed(self) -> Exception:
        if self.ended is not None:
            return SessionEnded(self.ended)
        return ConnectionError("the server closed the connection")

    async def request(self, message_type: str, **fields: Any) -> dict[str, Any]:
        assert self.ws is not None, "open() first"
        request_id = next(self.ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[request_id] = future
        try:
            await self.ws.send(
                msgspec.msgpack.encode({**fields, "type": message_type, "id": request_id})
            )
        except ConnectionClosed:
            self.pending.pop(request_id, None)
            raise self._closed() from None
        async with asyncio.timeout(REPLY_TIMEOUT_S):
            reply = await future
        if reply.get("type") == "error":
            raise Refused(reply)
        return reply


@dataclass
class Player:
    """A logged-in player: the HTTP client, the play socket and what the screen shows."""

    client: CasinoClient
    socket: PlaySocket
    console: Console
    games: dict[str, dict[str, Any]]
    username: str = ""
    currency: str = "EUR"
    balance: int = 0
    revealed: dict[str, str] = field(default_factory=dict)  # seed hash -> revealed seed (hex)
    unicode: bool = True
    own_deposit_balance: int | None = None  # a push about this client's deposit needs no line
    marker: str = ""  # "sandbox: play money" while the server moves play money
    safer: dict[str, Any] = field(default_factory=dict)  # clients/terminal_safer.py's notes

    def money(self, minor: int) -> str:
        return view.money(minor, self.currency)

    def say(self, text: str, style: str = "") -> None:
        """Print text as it is: server messages may hold brackets that are not markup."""
        self.console.print(text, style=style, markup=False, highlight=False)

    def name(self, game: str) -> str:
        return str(self.games.get(game, {}).get("name", game))

    async def request(self, message_type: str, **fields: Any) -> dict[str, Any]:
        try:
            reply = await self.socket.request(message_type, **fields)
        except Refused as refused:
            if refused.code in {"INVALID_TOKEN", "TOKEN_EXPIRED"}:
                raise SessionEnded(refused.reply.get("message", refused.code)) from None
            if isinstance(refused.reply.get("balance"), int):
                self.balance = refused.reply["balance"]
            raise
        if isinstance(reply.get("balance"), int):
            self.balance = reply["balance"]
        return reply

    def show_pushes(self) -> None:
        """Tell the player what the server pushed since the last step."""
        while self.socket.pushes:
            push = self.socket.pushes.pop(0)
            kind = push.get("type")
            if kind in ("forced_logout", "session_ended"):
                reason = str(push.get("reason") or "logged out by the server")
                raise SessionEnded(terminal_safer.ended_text(reason))
            terminal_safer.note(self, push)
            if terminal_safer.is_safer_push(push):
                continue
            if kind == "balance_changed" and isinstance(push.get("balance"), int):
                self.balance = push["balance"]
                ours = (
                    push.get("reason") == "deposit" and push["balance"] == self.own_deposit_balance
                )
                if push.get("reason") != "round" and not ours:
                    self.say(f"balance now {self.money(self.balance)} ({push['reason']})", "cyan")
            else:
                self.say(f"notice from the casino: {push.get('message', kind)}", "cyan")


# -- playing a round ----------------------------------------------------------------------------

Decide = Callable[[dict[str, Any]], Awaitable[str]]


async def play_round(
    player: Player, game: str, stake: int, options: dict[str, Any] | None, decide: Decide
) -> dict[str, Any]:
    """Start a round, take its actions (blackjack) until it settles; the last reply."""
    if player.games.get(game, {}).get("kind") == "slot":
        return await player.request("spin", game=game, stake=stake)
    reply = await player.request("play", game=game, stake=stake, options=options)
    return await finish_round(player, reply, decide)


async def finish_round(player: Player, reply: dict[str, Any], decide: Decide) -> dict[str, Any]:
    while not reply.get("finished", True):
        player.console.print(view.round_view(reply["outcome"], player.currency, (), player.unicode))
        action = await decide(reply)
        reply = await player.request("act", round_id=reply["round_id"], action=action)
    return reply


def show_result(player: Player, reply: dict[str, Any]) -> None:
    console = player.console
    outcome = reply["outcome"]
    paylines = PAYLINES.get(reply["game"], ())
    console.print(view.round_view(outcome, player.currency, paylines, player.unicode))
    won = reply["payout"]
    console.print(
        f"stake {player.money(reply['stake'])}  "
        + (f"[bold green]win {player.money(won)}[/]" if won else "no win")
        + f"  balance {player.money(reply['balance'])}"
    )
    console.print(f"round {reply['round_id']}", style="dim", highlight=False)


def valid_stake(game: dict[str, Any], wanted: int) -> int:
    """The nearest stake at or below `wanted` that the game accepts (at least its minimum)."""
    step, low, high = int(game["stake_step"]), int(game["min_stake"]), int(game["max_stake"])
    stake = min(max(wanted, low), high)
    return max(low, stake - stake % step)


async def deposit(player: Player, amount: int) -> None:
    try:
        receipt = await player.client.deposit(
            amount, idempotency_key=f"terminal-{rng.token_urlsafe(12)}"
        )
    except ApiFailure as failure:
        player.say(f"deposit refused: {failure_told(failure)}", "red")
        return
    player.balance = player.own_deposit_balance = receipt["balance"]
    player.console.print(
        f"deposited {player.money(receipt['amount'])}; balance {player.money(player.balance)}"
    )
    if receipt.get("limit_prompt"):
        player.say("Your first deposit: set a deposit limit under s) safer gambling.", "yellow")


# -- provably fair ------------------------------------------------------------------------------


def verify(round_: dict[str, Any], seed_hex: str) -> tuple[str, str]:
    """(verdict, detail) for a settled round against a revealed server seed: the commitment,
    then the whole round replayed from its inputs by the published games (`games/`, pure
    code with no I/O: the same rules the docs publish) and compared with the recorded
    outcome."""
    proof = round_["proof"]
    try:
        seed = bytes.fromhex(seed_hex.strip())
    except ValueError:
        return "seed-mismatch", "the seed is not hex"
    game = catalogue.get(round_["game"])
    if game is None:
        return "unknown-game", f"this client does not know the game {round_['game']!r}"
    inputs = round_["inputs"]

    def draw(stream: Generator) -> Any:
        # Through JSON, as the server recorded it: tuples and lists compare equal.
        return msgspec.json.decode(msgspec.json.encode(replay(game, inputs, stream)))

    verdict = fair.verify_round(
        seed, proof["server_seed_hash"], proof["client_seed"], int(proof["nonce"]), draw,
        round_["outcome"],
    )  # fmt: skip
    details = {
        fair.Verdict.MATCH: "replayed from its inputs = recorded",
        fair.Verdict.SEED_MISMATCH: "SHA-256 of the seed is not the committed hash",
        fair.Verdict.OUTCOME_MISMATCH: "replayed from its inputs, the outcome differs",
    }
    return verdict.value, details[verdict]


def counts_text(counts: dict[str, int]) -> str:
    return "verified: " + ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items()))


async def rotate(player: Player) -> dict[str, Any]:
    seeds = await player.request("rotate_seed")
    if seeds.get("revealed_server_seed"):
        player.revealed[seeds["revealed_seed_hash"]] = seeds["revealed_server_seed"]
    return seeds


async def verify_all(player: Player, seed_hex: str, limit: int = 100) -> dict[str, int]:
    """Verify every recent round committed to by `seed_hex`; counts per verdict."""
    rounds = (await player.request("history", limit=limit))["rounds"]
    counts: dict[str, int] = {}
    for round_ in rounds:
        if round_["status"] != "settled" or not fair.verify_commitment(
            bytes.fromhex(seed_hex), round_["proof"]["server_seed_hash"]
        ):
            continue
        verdict, detail = verify(round_, seed_hex)
        counts[verdict] = counts.get(verdict, 0) + 1
        player.console.print(
            f"{verdict.upper():>16}  {player.name(round_['game'])}  nonce"
            f" {round_['proof']['nonce']}  {detail}"
        )
    return counts
