"""Every money script, registered and called here, and every reply read here, once.

A script in `server/money/lua/` answers a table: a status first, then the values that status
carries. This module owns the one list of statuses (`ScriptStatus`), each script's reply
shapes (which statuses it may answer and the names of the values each carries), and the one
result type (`ScriptReply`) that a reply is parsed into as soon as it arrives. So no caller
compares a raw string or reads a value by its position: it asks for `reply.status` and for a
value by name. A status the script does not declare, or a reply longer than its shape, raises
a named error (`UnknownScriptStatus`, `MalformedScriptReply`) instead of being guessed at.

Names: the status enum and the reply type say `Script` because `Status` and `Reply` already
mean the provider protocol's status and reply (`server/provider/`), and `Refusal`/`Refused`
mean refusals with a client error code; a script reply whose status is not OK is not yet a
refusal of anything: its caller decides what it means to its client.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.commands.core import AsyncScript

from server.money import lua
from server.storage.autopipeline import AutoPipeline

Value = int | str  # what Redis turns a Lua number or string into (decode_responses=True)


class ScriptStatus(StrEnum):
    """Every status a money script answers, one meaning each."""

    OK = "OK"  # this call moved (or wrote) what it was asked to
    ALREADY = "ALREADY"  # an earlier identical call did it; its result is given again
    CREATED = "CREATED"  # there was none; one was created
    EXISTS = "EXISTS"  # there was one already; it was left as it was
    ROTATED = "ROTATED"  # the fair seed was replaced; the old one is given to be revealed
    DUPLICATE = "DUPLICATE"  # a transaction id already used with other terms
    REFUSED = "REFUSED"  # the caller's rules refused it; `reason` is theirs, passed through
    BUSY = "BUSY"  # back-pressure: the journal is behind, no new stake is taken
    NO_WALLET = "NO_WALLET"  # Redis holds no wallet: hydrate it from the ledger and retry
    NO_SEED = "NO_SEED"  # the player has no live provably fair seed
    SEED_MOVED = "SEED_MOVED"  # the seed or nonce changed since the outcome was drawn
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"  # cash + bonus do not cover it; carries the cash
    ROUND_IN_PROGRESS = "ROUND_IN_PROGRESS"  # the game has an unfinished round
    NO_RESERVATION = "NO_RESERVATION"
    NOT_PENDING = "NOT_PENDING"  # the reservation was already resolved
    NOT_DUE = "NOT_DUE"  # the reservation has not expired by Redis's clock
    CONFLICT = "CONFLICT"  # the record changed meanwhile in a way this call contradicts
    WRONG_CURRENCY = "WRONG_CURRENCY"
    ROUND_CLOSED = "ROUND_CLOSED"
    ROLLED_BACK = "ROLLED_BACK"
    DOES_NOT_EXIST = "DOES_NOT_EXIST"  # the referenced bet is not one of this round's
    BET_SETTLED = "BET_SETTLED"  # the bet has a win and can no longer be rolled back
    NOT_LOCKED = "NOT_LOCKED"  # no withdrawal lock to resolve
    LOCKED_SHORT = "LOCKED_SHORT"  # the wallet's locked funds are less than the withdrawal
    PLAY_BLOCKED = "PLAY_BLOCKED"  # the player is in a time-out or self-exclusion
    LOSS_LIMIT_REACHED = "LOSS_LIMIT_REACHED"  # the stake could pass the player's loss limit
    BONUS_MAX_STAKE = "BONUS_MAX_STAKE"  # over the active bonus's maximum stake; carries it
    NO_FREE_ROUND = "NO_FREE_ROUND"  # a bet flagged free, and no free round of it is due
    REWARD_USED_UP = "REWARD_USED_UP"  # a free bet's campaign award has no free round left


class ScriptReplyError(RuntimeError):
    """A script answered something its declared shape does not allow: a bug, never retried."""

    def __init__(self, script: str, message: str) -> None:
        super().__init__(f"script {script}: {message}")
        self.script = script


class UnknownScriptStatus(ScriptReplyError):
    """The first element is not a status this script declares."""


class MalformedScriptReply(ScriptReplyError):
    """Not a table, more values than the status carries, or a value of the wrong kind."""


@dataclass(frozen=True, slots=True)
class ScriptReply:
    """One script's answer: its status and the values that status carries, by name.

    A Lua nil ends a table early, so a trailing value may be absent: `optional_integer` reads it
    as None, and `integer`/`text` raise `MalformedScriptReply`."""

    script: str
    status: ScriptStatus
    names: tuple[str, ...]
    values: tuple[Value, ...]

    @property
    def moved(self) -> bool:
        return self.status is ScriptStatus.OK

    def integer(self, name: str) -> int:
        value = self._value(name)
        if not isinstance(value, int):
            raise MalformedScriptReply(self.script, f"{self.status} {name}={value!r} is no int")
        return value

    def optional_integer(self, name: str) -> int | None:
        """The value, or None when this status carries no such value (or Lua gave nil)."""
        if name not in self.names[: len(self.values)]:
            return None
        return self.integer(name)

    def text(self, name: str) -> str:
        value = self._value(name)
        if not isinstance(value, str):
            raise MalformedScriptReply(self.script, f"{self.status} {name}={value!r} is no text")
        return value

    def _value(self, name: str) -> Value:
        try:
            return self.values[self.names.index(name)]
        except (ValueError, IndexError):
            raise MalformedScriptReply(
                self.script, f"{self.status} carries no {name!r} (got {self.values!r})"
            ) from None


@dataclass(frozen=True, slots=True)
class Script:
    """A script's name (its file under `lua/`) and what it may answer: for each status, the
    names of the values that follow it."""

    name: str
    shapes: Mapping[ScriptStatus, tuple[str, ...]]

    def parse(self, raw: object) -> ScriptReply:
        if not isinstance(raw, list) or not raw:
            raise MalformedScriptReply(self.name, f"a reply is a non-empty table, not {raw!r}")
        first, *rest = raw
        try:
            status = ScriptStatus(first)
            names = self.shapes[status]
        except (ValueError, KeyError):
            raise UnknownScriptStatus(self.name, f"unknown status {first!r}") from None
        if len(rest) > len(names):
            raise MalformedScriptReply(self.name, f"{status} carries {names}, got {rest!r}")
        return ScriptReply(self.name, status, names, tuple(rest))


S = ScriptStatus
_NOTHING: tuple[str, ...] = ()
_CASH = ("cash",)
_MOVED = ("cash", "stream_id")
_MAX = ("max_stake",)

RESERVE = Script("reserve", {
    S.OK: ("cash", "server_seed", "client_seed", "nonce"),
    S.ALREADY: ("state", "cash", "server_seed", "client_seed", "nonce"),
    S.BUSY: _NOTHING, S.NO_WALLET: _NOTHING, S.NO_SEED: _NOTHING,
    S.ROUND_IN_PROGRESS: ("round_id",), S.INSUFFICIENT_FUNDS: _CASH,
    S.PLAY_BLOCKED: _NOTHING, S.LOSS_LIMIT_REACHED: _NOTHING,
    S.BONUS_MAX_STAKE: _MAX,
})  # fmt: skip
SPIN = Script("spin", {
    S.OK: (*_MOVED, "award", "wagered", "required"), S.ALREADY: _MOVED,
    S.BUSY: _NOTHING, S.NO_WALLET: _NOTHING, S.NO_SEED: _NOTHING,
    S.SEED_MOVED: ("server_seed", "client_seed", "nonce", "seed_hash"),
    S.INSUFFICIENT_FUNDS: _CASH, S.PLAY_BLOCKED: _NOTHING, S.LOSS_LIMIT_REACHED: _NOTHING,
    S.BONUS_MAX_STAKE: _MAX,
})  # fmt: skip
STEP = Script("step", {
    S.OK: ("cash", "held", "version"),
    S.NO_RESERVATION: _NOTHING, S.NOT_PENDING: ("state",), S.CONFLICT: ("version",),
    S.INSUFFICIENT_FUNDS: _CASH, S.PLAY_BLOCKED: _NOTHING, S.LOSS_LIMIT_REACHED: _NOTHING,
    S.BONUS_MAX_STAKE: _MAX,
})  # fmt: skip
SETTLE = Script("settle", {
    S.OK: _MOVED, S.ALREADY: _MOVED, S.NO_RESERVATION: _NOTHING, S.NOT_PENDING: ("state",),
})  # fmt: skip
RELEASE = Script("release", {
    S.OK: _MOVED, S.ALREADY: ("state",), S.NO_RESERVATION: _NOTHING,
    S.NOT_DUE: ("expires_at",),
})  # fmt: skip
CREDIT = Script("credit", {S.OK: _CASH, S.ALREADY: _CASH, S.NO_WALLET: _NOTHING})
HYDRATE = Script("hydrate", {S.CREATED: _CASH, S.EXISTS: _CASH})
_OLD_SEED = ("old_server_seed", "old_seed_hash")
SEEDS = Script("seeds", {S.CREATED: _OLD_SEED, S.EXISTS: _OLD_SEED, S.ROTATED: _OLD_SEED})
CLIENT_SEED = Script("client_seed", {S.OK: ("nonce",), S.NO_SEED: _NOTHING})
PROVIDER_BET = Script("provider_bet", {
    S.OK: _MOVED, S.ALREADY: _CASH, S.DUPLICATE: _NOTHING, S.ROLLED_BACK: _NOTHING,
    S.BUSY: _NOTHING, S.REFUSED: ("reason",), S.WRONG_CURRENCY: _NOTHING,
    S.NO_WALLET: _NOTHING, S.ROUND_CLOSED: _CASH, S.INSUFFICIENT_FUNDS: _CASH,
    S.PLAY_BLOCKED: _NOTHING, S.LOSS_LIMIT_REACHED: _NOTHING,
    S.BONUS_MAX_STAKE: _MAX, S.NO_FREE_ROUND: _CASH, S.REWARD_USED_UP: _CASH,
})  # fmt: skip
PROVIDER_WIN = Script("provider_win", {
    S.OK: _MOVED, S.ALREADY: _CASH, S.DUPLICATE: _NOTHING, S.WRONG_CURRENCY: _NOTHING,
    S.ROLLED_BACK: _NOTHING, S.DOES_NOT_EXIST: _NOTHING, S.NO_WALLET: _NOTHING,
    S.ROUND_CLOSED: _CASH,
})  # fmt: skip
PROVIDER_ROLLBACK = Script("provider_rollback", {
    S.OK: _MOVED, S.ALREADY: _CASH, S.DUPLICATE: _NOTHING, S.DOES_NOT_EXIST: _NOTHING,
    S.BET_SETTLED: _NOTHING, S.NO_WALLET: _NOTHING,
})  # fmt: skip
PROVIDER_CLAIM = Script("provider_claim", {S.OK: ("owner",), S.ALREADY: ("owner",)})
PROVIDER_RESTORE = Script("provider_restore", {S.OK: _NOTHING, S.EXISTS: _NOTHING})
WITHDRAW_LOCK = Script("withdraw_lock", {
    S.OK: _CASH, S.ALREADY: ("state", "cash"), S.NO_WALLET: _NOTHING,
    S.INSUFFICIENT_FUNDS: _CASH,
})  # fmt: skip
WITHDRAW_RESOLVE = Script("withdraw_resolve", {
    S.OK: _CASH, S.ALREADY: _CASH, S.NOT_LOCKED: _NOTHING, S.CONFLICT: ("state",),
    S.LOCKED_SHORT: ("locked",),
})  # fmt: skip
BONUS_GRANT = Script("bonus_grant", {
    S.OK: _CASH, S.ALREADY: _CASH, S.NO_WALLET: _NOTHING, S.EXISTS: _NOTHING,
    S.CONFLICT: ("bonus",),
})  # fmt: skip
BONUS_END = Script("bonus_end", {S.OK: ("state",), S.NOT_PENDING: ("state",)})
BONUS_RESTORE = Script("bonus_restore", {S.OK: _NOTHING, S.EXISTS: _NOTHING})
CHARGEBACK = Script("chargeback", {
    S.OK: ("cash", "taken"), S.ALREADY: ("cash", "taken"), S.NO_WALLET: _NOTHING,
})  # fmt: skip
ADJUST = Script("adjust", {
    S.OK: _CASH, S.ALREADY: _CASH, S.NO_WALLET: _NOTHING, S.INSUFFICIENT_FUNDS: _CASH,
})  # fmt: skip
CLOSED_PAYABLE = Script("closed_payable", {
    S.OK: ("moved",), S.ALREADY: ("moved",), S.NO_WALLET: _NOTHING,
})  # fmt: skip
del S

ALL: tuple[Script, ...] = (
    RESERVE, SPIN, STEP, SETTLE, RELEASE, CREDIT, HYDRATE, SEEDS, CLIENT_SEED, PROVIDER_BET,
    PROVIDER_WIN, PROVIDER_ROLLBACK, PROVIDER_CLAIM, PROVIDER_RESTORE, WITHDRAW_LOCK,
    WITHDRAW_RESOLVE, BONUS_GRANT, BONUS_END, BONUS_RESTORE, CHARGEBACK, ADJUST,
    CLOSED_PAYABLE,
)  # fmt: skip


class LoadedScript:
    """A script registered on one Redis client: call it alone, through the bet path's
    auto-pipeline, or staged with other commands; every way answers a parsed reply."""

    def __init__(self, client: aioredis.Redis, script: Script) -> None:
        self.script = script
        self.redis_script: AsyncScript = lua.register(client, script.name)

    async def __call__(self, keys: Sequence[str], args: Sequence[Any]) -> ScriptReply:
        return self.script.parse(await self.redis_script(keys=keys, args=args))

    async def batched(
        self, batch: AutoPipeline, keys: Sequence[str], args: Sequence[Any]
    ) -> ScriptReply:
        return self.script.parse(await batch.script(self.redis_script, keys, args))

    def stage(
        self, batch: AutoPipeline, pipe: Pipeline, keys: Sequence[str], args: Sequence[Any]
    ) -> None:
        """Stage the call in a `batch.run` stage; parse its raw reply with `parse`."""
        batch.stage_script(pipe, self.redis_script, keys, args)

    def parse(self, raw: object) -> ScriptReply:
        return self.script.parse(raw)


def register(client: aioredis.Redis, script: Script) -> LoadedScript:
    return LoadedScript(client, script)
