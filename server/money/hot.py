"""The hot wallet: balances and stake reservations in Redis, changed only by Lua scripts.

Each script checks and moves in one atomic step, so two connections can never
spend the same cent. Invariants held here (and attacked by the tests):
`cash >= 0` always; `held` equals the sum of pending reservations; a
reservation resolves at most once (settled, voided or expired); settling a
round appends it to the rounds stream in the same step, so a settled round is
never missing from the stream. The reserve script also hands the round its
provably fair seed and nonce, so no two rounds ever share a nonce.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from server.money import keys, lua
from server.storage.autopipeline import AutoPipeline

RESOLVED_KEEP_MS = 10 * 60 * 1000  # how long a resolved reservation answers retries
ONE_SHOT_KEEP_MS = 60 * 1000  # a one-step round's record: long enough for client retries
APPLIED_MARKER_MS = 30 * 24 * 3600 * 1000


@dataclass(frozen=True, slots=True)
class Reserved:
    cash: int  # spendable balance after the hold
    server_seed: bytes = b""
    client_seed: str = ""
    nonce: int = -1


@dataclass(frozen=True, slots=True)
class Refused:
    reason: str  # INSUFFICIENT_FUNDS, NO_WALLET, NO_SEED, ROUND_IN_PROGRESS, DUPLICATE, CONFLICT...
    cash: int | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class FairState:
    """A player's live provably fair seed, as the spin script checks it."""

    server_seed: bytes
    client_seed: str
    nonce: int
    seed_hash: str


@dataclass(frozen=True, slots=True)
class Stepped:
    cash: int
    held: int  # everything the round holds now
    version: int


@dataclass(frozen=True, slots=True)
class Resolved:
    cash: int
    stream_id: str
    first_time: bool  # False when a retry found it already resolved this way


class ReservationError(RuntimeError):
    """Settle or release found no pending reservation to resolve."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _int(value: Any) -> int:
    return int(value)


def now_ms() -> int:
    # Only orders the sweeper's index; the scripts judge expiry by Redis's own clock.
    return time.time_ns() // 1_000_000


class HotWallet:
    def __init__(
        self,
        client: aioredis.Redis,
        reservation_ttl_ms: int,
        max_backlog: int = 50_000,
        max_lag_ms: int = 5_000,
    ) -> None:
        self.redis = client
        # The bet path's calls of concurrent players share one round trip per loop tick.
        self.batch = AutoPipeline(client)
        self.reservation_ttl_ms = reservation_ttl_ms
        self.max_backlog = max_backlog  # stream entries not yet durable before bets wait
        self.max_lag_ms = max_lag_ms  # age of the oldest of them before bets wait
        self._reserve = lua.register(client, "reserve")
        self._step = lua.register(client, "step")
        self._settle = lua.register(client, "settle")
        self._release = lua.register(client, "release")
        self._credit = lua.register(client, "credit")
        self._hydrate = lua.register(client, "hydrate")
        self._seeds = lua.register(client, "seeds")
        self._client_seed = lua.register(client, "client_seed")
        self._spin = lua.register(client, "spin")

    async def aclose(self) -> None:
        """Close the bet path's own Redis connection (the client's pool is the caller's)."""
        await self.batch.aclose()

    async def balance(self, player_id: int, currency: str) -> int | None:
        cash = await self.redis.hget(keys.wallet(player_id, currency), "cash")
        return None if cash is None else int(cash)

    async def held(self, player_id: int, currency: str) -> int:
        held = await self.redis.hget(keys.wallet(player_id, currency), "held")
        return 0 if held is None else int(held)

    async def locked(self, player_id: int, currency: str) -> int:
        """Funds of pending withdrawals: out of `cash`, so no stake can spend them."""
        locked = await self.redis.hget(keys.wallet(player_id, currency), "locked")
        return 0 if locked is None else int(locked)

    async def hydrate(self, player_id: int, currency: str, cash: int, ledger_mark: int) -> int:
        _, value = await self._hydrate(
            keys=[keys.wallet(player_id, currency)], args=[cash, ledger_mark]
        )
        return _int(value)

    async def reserve(
        self,
        player_id: int,
        currency: str,
        round_id: str,
        game: str,
        amount: int,
        inputs_json: str = "{}",
        ttl_ms: int | None = None,
    ) -> Reserved | Refused:
        if amount <= 0:
            raise ValueError("a reservation holds a positive amount")
        ttl = self.reservation_ttl_ms if ttl_ms is None else ttl_ms

        # The due-index entry goes first: if we die between the two, the sweeper finds an
        # index entry with no reservation and drops it; the reverse order could strand money.
        def stage(pipe: Pipeline) -> None:
            pipe.zadd(
                keys.RESERVATIONS_DUE,
                {keys.due_member(player_id, currency, round_id): now_ms() + ttl},
            )
            self.batch.stage_script(
                pipe,
                self._reserve,
                keys=[
                    keys.wallet(player_id, currency),
                    keys.reservation(player_id, round_id),
                    keys.fair_seed(player_id),
                    keys.open_rounds(player_id),
                    keys.ROUNDS_STREAM,
                ],
                args=[
                    amount,
                    ttl,
                    player_id,
                    game,
                    currency,
                    round_id,
                    inputs_json,
                    self.max_backlog,
                    self.max_lag_ms,
                ],
            )

        _, reply = await self.batch.run(stage)
        status = reply[0]
        if status == "OK":
            return Reserved(_int(reply[1]), bytes.fromhex(reply[2]), str(reply[3]), _int(reply[4]))
        if status == "DUPLICATE" and reply[1] == "pending":  # a retry whose first reply was lost
            return Reserved(_int(reply[2]), bytes.fromhex(reply[3]), str(reply[4]), _int(reply[5]))
        if status == "INSUFFICIENT_FUNDS":
            return Refused(status, cash=_int(reply[1]))
        if status == "ROUND_IN_PROGRESS":
            return Refused(status, detail=str(reply[1]))
        return Refused(str(status))

    async def spin(
        self,
        player_id: int,
        currency: str,
        round_id: str,
        game: str,
        stake: int,
        payout: int,
        outcome_json: str,
        inputs_json: str,
        fair: FairState,
        sessions_key: str,
        push_channel: str,
    ) -> Resolved | Refused | FairState:
        """Play a one-step round in one script; a `FairState` back means the seed or nonce
        moved since the outcome was drawn: draw again with it."""
        reply = await self.batch.script(
            self._spin,
            keys=[
                keys.wallet(player_id, currency),
                keys.done(player_id, round_id),
                keys.fair_seed(player_id),
                sessions_key,
                keys.ROUNDS_STREAM,
            ],
            args=[
                stake, payout, outcome_json, ONE_SHOT_KEEP_MS, player_id, game, currency,
                round_id, inputs_json, fair.seed_hash, fair.client_seed, fair.nonce,
                push_channel, self.max_backlog, self.max_lag_ms,
            ],
        )  # fmt: skip
        status = reply[0]
        if status in ("OK", "ALREADY"):
            return Resolved(cash=_int(reply[1]), stream_id=str(reply[2]), first_time=status == "OK")
        if status == "SEED_MOVED":
            return FairState(bytes.fromhex(reply[1]), str(reply[2]), _int(reply[3]), str(reply[4]))
        if status == "INSUFFICIENT_FUNDS":
            return Refused(status, cash=_int(reply[1]))
        return Refused(str(status))

    async def fair_secret(self, player_id: int) -> FairState | None:
        """The live seed with its secret, for drawing outcomes; None when there is none."""
        fields = ["server_seed", "client_seed", "nonce", "seed_hash"]
        (values,) = await self.batch.run(lambda pipe: pipe.hmget(keys.fair_seed(player_id), fields))
        seed, client_seed, nonce, digest = values
        if seed is None:
            return None
        return FairState(bytes.fromhex(seed), str(client_seed), int(nonce), str(digest))

    async def step(
        self,
        player_id: int,
        currency: str,
        round_id: str,
        expected_version: int,
        extra: int,
        round_state_json: str,
        inputs_json: str,
        ttl_ms: int,
    ) -> Stepped | Refused:
        """Save a multi-step round's new state, holding `extra` more stake first."""

        def stage(pipe: Pipeline) -> None:
            pipe.zadd(
                keys.RESERVATIONS_DUE,
                {keys.due_member(player_id, currency, round_id): now_ms() + ttl_ms},
            )
            self.batch.stage_script(
                pipe,
                self._step,
                keys=[
                    keys.wallet(player_id, currency),
                    keys.reservation(player_id, round_id),
                    keys.open_rounds(player_id),
                ],
                args=[expected_version, extra, round_state_json, inputs_json, ttl_ms],
            )

        _, reply = await self.batch.run(stage)
        status = reply[0]
        if status == "OK":
            return Stepped(_int(reply[1]), _int(reply[2]), _int(reply[3]))
        if status == "INSUFFICIENT_FUNDS":
            return Refused(status, cash=_int(reply[1]))
        return Refused(str(status), detail=str(reply[1]) if len(reply) > 1 else "")

    async def reservation(self, player_id: int, round_id: str) -> dict[str, str]:
        """Everything stored with a reservation ({} when there is none)."""
        data = await self.redis.hgetall(keys.reservation(player_id, round_id))
        return {str(k): str(v) for k, v in data.items()}

    async def open_rounds(self, player_id: int) -> dict[str, str]:
        """game id -> round id of the player's unfinished multi-step rounds."""
        data = await self.redis.hgetall(keys.open_rounds(player_id))
        return {str(k): str(v) for k, v in data.items()}

    async def settle(
        self,
        player_id: int,
        currency: str,
        round_id: str,
        payout: int,
        outcome_json: str,
        inputs_json: str = "",
    ) -> Resolved:
        if payout < 0:
            raise ValueError("a payout is never negative")

        def stage(pipe: Pipeline) -> None:
            self.batch.stage_script(
                pipe,
                self._settle,
                keys=[
                    keys.wallet(player_id, currency),
                    keys.reservation(player_id, round_id),
                    keys.ROUNDS_STREAM,
                    keys.open_rounds(player_id),
                ],
                args=[payout, outcome_json, RESOLVED_KEEP_MS, inputs_json],
            )
            pipe.zrem(keys.RESERVATIONS_DUE, keys.due_member(player_id, currency, round_id))

        reply, _ = await self.batch.run(stage)
        return _resolved(reply)

    async def release(
        self, player_id: int, currency: str, round_id: str, reason: str, only_if_due: bool
    ) -> Resolved:
        """Void a pending reservation (reason 'voided' or 'expired')."""
        reply = await self._release(
            keys=[
                keys.wallet(player_id, currency),
                keys.reservation(player_id, round_id),
                keys.ROUNDS_STREAM,
                keys.open_rounds(player_id),
            ],
            args=[reason, "1" if only_if_due else "0", RESOLVED_KEEP_MS],
        )
        return _resolved(reply)

    async def credit(
        self, player_id: int, currency: str, transfer_key: str, transfer_id: int, amount: int
    ) -> int | None:
        """Apply a durable ledger credit once; the new cash, or None when there is no wallet."""
        reply = await self._credit(
            keys=[keys.wallet(player_id, currency), keys.applied_credit(player_id, transfer_key)],
            args=[amount, APPLIED_MARKER_MS, transfer_id],
        )
        return None if reply[0] == "NO_WALLET" else _int(reply[1])

    async def install_seed(
        self,
        player_id: int,
        rotate: bool,
        server_seed: bytes,
        seed_hash: str,
        client_seed: str,
        nonce: int,
    ) -> tuple[str, bytes | None, str]:
        """(status, replaced seed or None, its hash) for a new or rotated server seed."""
        status, old_seed, old_hash = await self._seeds(
            keys=[keys.fair_seed(player_id)],
            args=[
                "rotate" if rotate else "create",
                server_seed.hex(),
                seed_hash,
                client_seed,
                nonce,
            ],
        )
        return str(status), bytes.fromhex(old_seed) if old_seed else None, str(old_hash)

    async def set_client_seed(self, player_id: int, client_seed: str) -> bool:
        reply = await self._client_seed(keys=[keys.fair_seed(player_id)], args=[client_seed])
        return bool(reply[0] == "OK")

    async def fair_state(self, player_id: int) -> dict[str, str]:
        data = await self.redis.hgetall(keys.fair_seed(player_id))
        return {str(k): str(v) for k, v in data.items() if k != "server_seed"}


def _resolved(reply: list[object]) -> Resolved:
    status = reply[0]
    if status == "OK":
        return Resolved(cash=_int(reply[1]), stream_id=str(reply[2]), first_time=True)
    if status == "ALREADY" and len(reply) == 3:
        return Resolved(cash=_int(reply[1]), stream_id=str(reply[2]), first_time=False)
    raise ReservationError(str(status) if len(reply) == 1 else f"{status}:{reply[1]}")
