"""The hot wallet: balances and stake reservations in Redis, changed only by Lua scripts.

Each script checks and moves in one atomic step, so two connections can never
spend the same cent. Invariants held here (and attacked by the tests):
`cash >= 0` and `bonus >= 0` always (a stake takes cash first, then bonus, and a payout
goes back in the stake's proportion: `server/money/balances.py`, applied by `lua/_spend.lua`);
`held` equals the sum of pending reservations; a
reservation resolves at most once (settled, voided or expired); settling a
round appends it to the rounds stream in the same step, so a settled round is
never missing from the stream. The reserve script also hands the round its
provably fair seed and nonce, so no two rounds ever share a nonce.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from protocol.messages import BonusProgress
from server.events.push import bonus_progress
from server.money import keys, scripts
from server.money.scripts import ScriptReply, ScriptStatus
from server.storage import autopipeline

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
    # A spin's stake counted towards a bonus: its progress (minor units, as pushes carry it).
    progress: BonusProgress | None = None


class ReservationError(RuntimeError):
    """Settle or release found no pending reservation to resolve; `reply` says why."""

    def __init__(self, reply: ScriptReply) -> None:
        super().__init__(f"{reply.script}: {reply.status} {reply.values}")
        self.reply = reply

    @property
    def status(self) -> ScriptStatus:
        return self.reply.status


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
        self.batch = autopipeline.for_client(client)
        self.reservation_ttl_ms = reservation_ttl_ms
        self.max_backlog = max_backlog  # stream entries not yet durable before bets wait
        self.max_lag_ms = max_lag_ms  # age of the oldest of them before bets wait
        self._reserve = scripts.register(client, scripts.RESERVE)
        self._step = scripts.register(client, scripts.STEP)
        self._settle = scripts.register(client, scripts.SETTLE)
        self._release = scripts.register(client, scripts.RELEASE)
        self._credit = scripts.register(client, scripts.CREDIT)
        self._hydrate = scripts.register(client, scripts.HYDRATE)
        self._seeds = scripts.register(client, scripts.SEEDS)
        self._client_seed = scripts.register(client, scripts.CLIENT_SEED)
        self._spin = scripts.register(client, scripts.SPIN)

    async def aclose(self) -> None:
        """Close the bet path's own Redis connection (the client's pool is the caller's)."""
        await self.batch.aclose()

    async def balance(self, player_id: int, currency: str) -> int | None:
        cash = await self.redis.hget(keys.wallet(player_id, currency), "cash")
        return None if cash is None else int(cash)

    async def held(self, player_id: int, currency: str) -> int:
        held = await self.redis.hget(keys.wallet(player_id, currency), "held")
        return 0 if held is None else int(held)

    async def bonus(self, player_id: int, currency: str) -> int:
        """Bonus funds: spent only once cash is (`server/money/balances.py`); absent is 0."""
        bonus = await self.redis.hget(keys.wallet(player_id, currency), "bonus")
        return 0 if bonus is None else int(bonus)

    async def locked(self, player_id: int, currency: str) -> int:
        """Funds of pending withdrawals: out of `cash`, so no stake can spend them."""
        locked = await self.redis.hget(keys.wallet(player_id, currency), "locked")
        return 0 if locked is None else int(locked)

    async def hydrate(
        self, player_id: int, currency: str, cash: int, ledger_mark: int, bonus: int = 0
    ) -> int:
        reply = await self._hydrate([keys.wallet(player_id, currency)], [cash, ledger_mark, bonus])
        return reply.integer("cash")

    async def reserve(
        self,
        player_id: int,
        currency: str,
        round_id: str,
        game: str,
        amount: int,
        inputs_json: str = "{}",
        ttl_ms: int | None = None,
        weight_class: str = "",
    ) -> Reserved | ScriptReply:
        """The hold, or the script's reply when nothing was held."""
        if amount <= 0:
            raise ValueError("a reservation holds a positive amount")
        ttl = self.reservation_ttl_ms if ttl_ms is None else ttl_ms

        # The due-index entry goes first: if we die between the two, the sweeper finds an
        # index entry with no reservation and drops it; the reverse order could strand money.
        def stage(pipe: Pipeline) -> None:
            pipe.zadd(
                keys.due_of(player_id),
                {keys.due_member(player_id, currency, round_id): now_ms() + ttl},
            )
            self._reserve.stage(
                self.batch,
                pipe,
                keys=[
                    keys.wallet(player_id, currency),
                    keys.reservation(player_id, round_id),
                    keys.fair_seed(player_id),
                    keys.open_rounds(player_id),
                    keys.journal_of(player_id),
                    keys.events_of(player_id),
                    keys.rg(player_id),
                    keys.bonus(player_id, currency),
                    *keys.push_keys(player_id),
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
                    weight_class,
                ],
            )

        _, raw = await self.batch.run(stage)
        reply = self._reserve.parse(raw)
        # ALREADY and still pending: our own retry whose first reply was lost.
        if reply.moved or (
            reply.status is ScriptStatus.ALREADY and reply.text("state") == "pending"
        ):
            return Reserved(
                reply.integer("cash"),
                bytes.fromhex(reply.text("server_seed")),
                reply.text("client_seed"),
                reply.integer("nonce"),
            )
        return reply

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
        weight_class: str = "",
    ) -> Resolved | FairState | ScriptReply:
        """Play a one-step round in one script; a `FairState` back means the seed or nonce
        moved since the outcome was drawn: draw again with it."""
        reply = await self._spin.batched(
            self.batch,
            keys=[
                keys.wallet(player_id, currency),
                keys.done(player_id, round_id),
                keys.fair_seed(player_id),
                keys.events_of(player_id),
                keys.journal_of(player_id),
                keys.rg(player_id),
                keys.bonus(player_id, currency),
                *keys.push_keys(player_id),
            ],
            args=[
                stake, payout, outcome_json, ONE_SHOT_KEEP_MS, player_id, game, currency,
                round_id, inputs_json, fair.seed_hash, fair.client_seed, fair.nonce,
                self.max_backlog, self.max_lag_ms, weight_class,
            ],
        )  # fmt: skip
        if reply.status in (ScriptStatus.OK, ScriptStatus.ALREADY):
            award = reply.optional_integer("award")
            return Resolved(
                reply.integer("cash"),
                reply.text("stream_id"),
                first_time=reply.moved,
                progress=None
                if award is None
                else bonus_progress(award, reply.integer("wagered"), reply.integer("required")),
            )
        if reply.status is ScriptStatus.SEED_MOVED:
            return FairState(
                bytes.fromhex(reply.text("server_seed")),
                reply.text("client_seed"),
                reply.integer("nonce"),
                reply.text("seed_hash"),
            )
        return reply

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
        weight_class: str = "",
    ) -> Stepped | ScriptReply:
        """Save a multi-step round's new state, holding `extra` more stake first."""

        def stage(pipe: Pipeline) -> None:
            pipe.zadd(
                keys.due_of(player_id),
                {keys.due_member(player_id, currency, round_id): now_ms() + ttl_ms},
            )
            self._step.stage(
                self.batch,
                pipe,
                keys=[
                    keys.wallet(player_id, currency),
                    keys.reservation(player_id, round_id),
                    keys.open_rounds(player_id),
                    keys.events_of(player_id),
                    keys.rg(player_id),
                    keys.bonus(player_id, currency),
                    *keys.push_keys(player_id),
                ],
                args=[
                    expected_version,
                    extra,
                    round_state_json,
                    inputs_json,
                    ttl_ms,
                    player_id,
                    currency,
                    weight_class,
                ],
            )

        _, raw = await self.batch.run(stage)
        reply = self._step.parse(raw)
        if reply.moved:
            return Stepped(reply.integer("cash"), reply.integer("held"), reply.integer("version"))
        return reply

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
            self._settle.stage(
                self.batch,
                pipe,
                keys=[
                    keys.wallet(player_id, currency),
                    keys.reservation(player_id, round_id),
                    keys.journal_of(player_id),
                    keys.open_rounds(player_id),
                    keys.events_of(player_id),
                    keys.rg(player_id),
                    keys.bonus(player_id, currency),
                    *keys.push_keys(player_id),
                ],
                args=[payout, outcome_json, RESOLVED_KEEP_MS, inputs_json],
            )
            pipe.zrem(keys.due_of(player_id), keys.due_member(player_id, currency, round_id))

        raw, _ = await self.batch.run(stage)
        return _resolved(self._settle.parse(raw))

    async def release(
        self, player_id: int, currency: str, round_id: str, reason: str, only_if_due: bool
    ) -> Resolved:
        """Void a pending reservation (reason 'voided' or 'expired')."""
        reply = await self._release(
            [
                keys.wallet(player_id, currency),
                keys.reservation(player_id, round_id),
                keys.journal_of(player_id),
                keys.open_rounds(player_id),
                keys.events_of(player_id),
                keys.rg(player_id),
                keys.bonus(player_id, currency),
                *keys.push_keys(player_id),
            ],
            [reason, "1" if only_if_due else "0", RESOLVED_KEEP_MS],
        )
        return _resolved(reply)

    async def credit(
        self, player_id: int, currency: str, transfer_key: str, transfer_id: int, amount: int
    ) -> int | None:
        """Apply a durable ledger credit once; the new cash, or None when there is no wallet."""
        reply = await self._credit(
            [
                keys.wallet(player_id, currency),
                keys.applied_credit(player_id, transfer_key),
                keys.events_of(player_id),
                *keys.push_keys(player_id),
            ],
            [amount, APPLIED_MARKER_MS, transfer_id, player_id, currency, transfer_key],
        )
        return None if reply.status is ScriptStatus.NO_WALLET else reply.integer("cash")

    async def install_seed(
        self,
        player_id: int,
        rotate: bool,
        server_seed: bytes,
        seed_hash: str,
        client_seed: str,
        nonce: int,
    ) -> tuple[ScriptStatus, bytes | None, str]:
        """(CREATED, EXISTS or ROTATED, replaced seed or None, its hash) for a new or rotated
        server seed."""
        reply = await self._seeds(
            [keys.fair_seed(player_id)],
            [
                "rotate" if rotate else "create",
                server_seed.hex(),
                seed_hash,
                client_seed,
                nonce,
            ],
        )
        old_seed = reply.text("old_server_seed")
        return (
            reply.status,
            bytes.fromhex(old_seed) if old_seed else None,
            reply.text("old_seed_hash"),
        )

    async def set_client_seed(self, player_id: int, client_seed: str) -> bool:
        reply = await self._client_seed([keys.fair_seed(player_id)], [client_seed])
        return reply.moved

    async def fair_state(self, player_id: int) -> dict[str, str]:
        data = await self.redis.hgetall(keys.fair_seed(player_id))
        return {str(k): str(v) for k, v in data.items() if k != "server_seed"}


def _resolved(reply: ScriptReply) -> Resolved:
    # Release answers ALREADY with the state it found, settle with its first result.
    if reply.moved or (reply.status is ScriptStatus.ALREADY and "stream_id" in reply.names):
        return Resolved(reply.integer("cash"), reply.text("stream_id"), first_time=reply.moved)
    raise ReservationError(reply)
