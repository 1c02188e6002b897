"""The flusher: settled rounds move from the Redis journal streams to durable storage.

Every shard of players has a journal stream of its own (`server/money/keys.py`), and
the flusher reads them all at once (one XREADGROUP over every journal). Each batch of
entries becomes rows in `rounds` plus their ledger transfers, in one database
transaction, each journal's entries in their stream order (a player's movements all sit
in one journal, so they are written in the order they happened); the entries are
acknowledged and deleted from their streams only after that commit. Inserts are idempotent by
round id and transfer key, so an entry written twice (a crash between commit
and acknowledgement, or a sibling process claiming it) moves nothing twice.

An entry the database refuses for what it holds (a constraint, a kind this
code does not know, a malformed field) would otherwise block every entry
behind it for ever. Such a batch is retried entry by entry, and only the
entries that fail on their own move to the dead-letter stream, where they stay
(counted in /metrics, named by /ready, `run.py doctor` and `run.py reconcile`)
until an operator fixes the cause; every start-up retries them first. Trouble
with the backends themselves (a locked database, Redis down) is never a reason
to quarantine: it is retried with backoff.

A settled table round also becomes a `RoundBets` event on the player's event stream,
appended just before its entry is acknowledged (server/money/journal/table_bets.py): the
fraud rules read its bets there, and the bet's script pays nothing for it.

Where Redis is a Sentinel-watched master with `?replicas=N` (`redis_client`), a batch is
written only once N replicas hold everything read so far (a marker write, then WAIT on the
same connection): a movement the old master had not sent on before it died is not in the
promoted replica's balances, so it must not be in the ledger either. On a Redis Cluster
with `?replicas=N` the same holds per master: the master of each journal is noted before
it is read, and a batch is written only once N replicas of each master it was read from
hold a mark written after the read (`redis_client.wait_for_replicas`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, NamedTuple

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode
from redis.exceptions import RedisError, ResponseError

from server.events import stream as events_stream
from server.money import keys, ledger
from server.money.journal import table_bets
from server.observability import metrics
from server.storage import redis_client
from server.storage.database import Database, IntegrityError, Transaction, now_ms

log = logging.getLogger(__name__)

GROUP = "flusher"
CLAIM_IDLE_MS = 30_000  # entries a silent consumer held this long are taken over
MAX_BACKOFF_S = 5.0
# A batch smaller than the most we read waits this long after its read began before the
# next read, so that rounds gather: a transaction costs about a dozen statements and a
# commit whatever it holds, and under a steady load reading as soon as one round came made
# batches of a few dozen rounds at about 50 us each, against 30 us in batches of hundreds.
# It adds at most this much to a round's time to durable, far inside the lag bounds.
GATHER_S = 0.1
# A throwaway write whose replication offset covers every entry read before it (WAIT waits
# for the offset of the connection's own last write).
REPLICATION_MARK = "flusher:replication-mark"

Entry = tuple[str, dict[str, str]]
# Entries by the journal stream they were read from: an id means something only in its stream.
Batch = dict[str, list[Entry]]


class SettledRound(NamedTuple):
    """A settled, voided or expired round as the stream carries it (immutable; a NamedTuple
    because the flusher builds one per round, at a fraction of a frozen dataclass's cost)."""

    stream_id: str
    kind: str  # settle, voided or expired
    round_id: str
    player_id: int
    game: str
    currency: str
    stake: int
    payout: int
    balance_before: int
    balance_after: int
    outcome: str
    reserved_at: int
    settled_at: int
    inputs: str = "{}"
    seed_hash: str = ""
    client_seed: str = ""
    nonce: int = -1
    stake_bonus: int = 0  # the parts of stake and payout that were bonus; the rest was cash
    payout_bonus: int = 0
    free: bool = False  # one of a bonus's free spins: the promotion's stake, not the player's

    @classmethod
    def from_entry(cls, stream_id: str, fields: dict[str, str]) -> SettledRound:
        return cls(
            stream_id=stream_id,
            kind=fields["kind"],
            round_id=fields["round_id"],
            player_id=int(fields["player_id"]),
            game=fields["game"],
            currency=fields["currency"],
            stake=int(fields["stake"]),
            payout=int(fields["payout"]),
            balance_before=int(fields["balance_before"]),
            balance_after=int(fields["balance_after"]),
            outcome=fields["outcome"],
            reserved_at=int(fields["reserved_at"]),
            settled_at=int(fields["settled_at"]),
            inputs=fields.get("inputs") or "{}",
            seed_hash=fields.get("seed_hash", ""),
            client_seed=fields.get("client_seed", ""),
            nonce=int(fields.get("nonce") or -1),
            # Absent in entries written before sub-balances: all cash.
            stake_bonus=int(fields.get("stake_bonus") or 0),
            payout_bonus=int(fields.get("payout_bonus") or 0),
            free=fields.get("free") == "1",
        )


# Writes one stream entry durably inside the batch's transaction; True when it was new.
# Other domains (the provider wallet) add writers for their own entry kinds.
Writer = Callable[[Transaction, str, dict[str, str]], Awaitable[bool]]
ROUND_KINDS = ("settle", "voided", "expired")


class UnknownEntryKind(RuntimeError):
    pass


# Errors about an entry's content: the same entry fails the same way on every retry.
POISON_ERRORS: tuple[type[Exception], ...] = (
    *IntegrityError,
    ledger.LedgerInvariantError,
    ledger.IdempotencyConflict,
    UnknownEntryKind,
    KeyError,
    ValueError,
)


async def write_rounds(tx: Transaction, rounds: Sequence[SettledRound]) -> int:
    """Insert rounds and post their transfers, a whole batch in a few statements;
    returns how many rounds were new (a round seen before is skipped entirely)."""
    if not rounds:
        return 0
    ids = list({r.round_id for r in rounds})
    seen = {
        str(row[0])
        for row in await tx.fetchall(
            f"SELECT round_id FROM rounds WHERE round_id IN ({', '.join('?' * len(ids))})", ids
        )
    }
    fresh: dict[str, SettledRound] = {}
    for r in rounds:
        if r.round_id not in seen and r.round_id not in fresh:
            fresh[r.round_id] = r
    flushed = now_ms()
    await tx.insert_rows(
        "INSERT INTO rounds (round_id, player_id, game_id, currency, status, stake, payout,"
        " balance_before, balance_after, outcome, reserved_at, settled_at, stream_id, inputs,"
        " server_seed_hash, client_seed, nonce, flushed_at, free)",
        [
            (
                r.round_id, r.player_id, r.game, r.currency, _status(r), r.stake, r.payout,
                r.balance_before, r.balance_after, r.outcome, r.reserved_at, r.settled_at,
                r.stream_id, r.inputs, r.seed_hash, r.client_seed, r.nonce, flushed,
                int(r.free),
            )
            for r in fresh.values()
        ],
    )  # fmt: skip
    transfers = []
    # Built once per batch, not per round: each player's (cash, bonus) accounts.
    accounts: dict[tuple[int, str], tuple[ledger.AccountRef, ledger.AccountRef]] = {}
    houses: dict[str, ledger.AccountRef] = {}
    for r in fresh.values():
        if _status(r) != "settled":
            continue  # a void moved no money in the ledger: the stake was only ever held
        player = accounts.get((r.player_id, r.currency))
        if player is None:
            player = accounts[r.player_id, r.currency] = (
                ledger.player_cash(r.player_id, r.currency),
                ledger.player_bonus(r.player_id, r.currency),
            )
        cash, bonus = player
        house = houses.get(r.currency)
        if house is None:
            house = houses[r.currency] = ledger.game_revenue(r.currency)
        ref = f"round:{r.round_id}"
        # Each part to its own account; the cash parts keep the keys they had before bonuses.
        # A part of zero moves nothing (a ledger transfer is positive).
        for key, debit, credit, amount, kind in (
            (f"{ref}:stake", cash, house, r.stake - r.stake_bonus, "stake"),
            (f"{ref}:stake_bonus", bonus, house, r.stake_bonus, "stake"),
            (f"{ref}:payout", house, cash, r.payout - r.payout_bonus, "payout"),
            (f"{ref}:payout_bonus", house, bonus, r.payout_bonus, "payout"),
        ):
            if amount:
                transfers.append(ledger.Transfer(key, debit, credit, amount, kind, ref))
    await ledger.post_many(tx, transfers)
    return len(fresh)


def _status(r: SettledRound) -> str:
    return "settled" if r.kind == "settle" else r.kind


async def write_round_entries(tx: Transaction, entries: Sequence[Entry]) -> int:
    return await write_rounds(tx, [SettledRound.from_entry(i, fields) for i, fields in entries])


def _entries(reply: Any) -> list[Entry]:
    """Stream entries from an XREADGROUP/XAUTOCLAIM reply, whatever its nesting: RESP3 gives
    {stream: [[(id, fields), ...]]}, RESP2 [[stream, [(id, fields), ...]]]."""
    found: list[Entry] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list | tuple):
            if len(node) == 2 and isinstance(node[0], str) and isinstance(node[1], dict | None):
                if node[1]:  # a pending entry deleted from the stream comes back without fields
                    found.append((node[0], dict(node[1])))
            else:
                for item in node:
                    walk(item)

    walk(reply)
    return found


def _by_stream(reply: Any) -> Batch:
    """An XREADGROUP reply over several streams, as {stream: entries} (RESP3 or RESP2)."""
    pairs = reply.items() if isinstance(reply, dict) else (reply or [])
    batch: Batch = {}
    for stream, found in pairs:
        entries = _entries(found)
        if entries:
            batch[str(stream)] = entries
    return batch


def _queue_events(pipe: Any, events: Sequence[tuple[int, bytes]]) -> None:
    for player_id, payload in events:
        pipe.xadd(
            events_stream.key_of(player_id), {events_stream.FIELD: payload},
            maxlen=events_stream.MAX_LENGTH, approximate=True,
        )  # fmt: skip


def _size(batch: Batch) -> int:
    return sum(len(entries) for entries in batch.values())


# Each journal's dead letters, by the journal they came from.
_DEAD_LETTERS = {keys.journal(k): keys.dead_letters(k) for k in range(keys.SHARDS)}


class Flusher:
    def __init__(
        self,
        client: aioredis.Redis,
        db: Database,
        batch: int,
        block_ms: int,
        writers: Mapping[str, Writer] | None = None,
    ) -> None:
        self.writers: dict[str, Writer] = dict(writers or {})
        self.redis = client
        self.db = db
        self.batch = batch
        self.block_ms = block_ms
        self.consumer = f"{socket.gethostname()}:{os.getpid()}"
        self.rounds_written = 0
        # Whether entries read but not acknowledged may be ours: at start (a crash before the
        # ack) and after any failure; `_read` re-reads them first, then clears this.
        self._may_hold_pending = True
        self.replicas = redis_client.replicas(client)
        # On a cluster with `replicas`: journal -> the master it was last read from.
        self._read_from: dict[str, ClusterNode] = {}

    async def ensure_group(self) -> None:
        for stream in keys.journals():
            try:
                await self.redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
            except ResponseError as error:
                if "BUSYGROUP" not in str(error):
                    raise

    async def drain(self) -> int:
        """Flush everything the stream holds now, including what dead processes left pending;
        quarantined entries are retried first (the code or the data may have been fixed)."""
        await self.ensure_group()
        await self.retry_dead_letters()
        total = 0
        while batch := await self._claim(min_idle_ms=0):
            total += await self._flush_or_isolate(batch)
        while batch := await self._read(block=False):
            total += await self._flush_or_isolate(batch)
        return total

    async def retry_dead_letters(self) -> int:
        """Write every quarantined entry that the database now accepts; returns how many."""
        written = 0
        for journal, dead_letters in _DEAD_LETTERS.items():
            for dead_id, fields in _entries(await self.redis.xrange(dead_letters)):
                original = {k: v for k, v in fields.items() if not k.startswith("dead_")}
                entry = (fields.get("dead_stream_id", dead_id), original)
                try:
                    await self._write({journal: [entry]}, acknowledge=False)
                except POISON_ERRORS:
                    continue
                await self.redis.xdel(dead_letters, dead_id)
                log.warning("quarantined stream entry %s is now durable", dead_id)
                written += 1
        return written

    async def run(self) -> None:
        """Flush forever; Redis or database trouble is retried with backoff, never dropped."""
        backoff = 0.05
        idle_rounds = 0
        loop = asyncio.get_running_loop()
        while True:
            redis_client.stop_if_cancelled()
            try:
                began = loop.time()
                batch = await self._read(block=True)
                if not batch:
                    idle_rounds += 1
                    if idle_rounds * self.block_ms >= CLAIM_IDLE_MS:
                        idle_rounds = 0
                        batch = await self._claim(min_idle_ms=CLAIM_IDLE_MS)
                if batch:
                    await self._flush_or_isolate(batch)
                    if _size(batch) < self.batch:
                        await asyncio.sleep(max(0.0, began + GATHER_S - loop.time()))
                backoff = 0.05
            except asyncio.CancelledError:
                raise
            except ResponseError as error:
                if "NOGROUP" in str(error):  # Redis lost the stream; start a new one
                    await self._retry_later(error, backoff)
                    await self._safe_ensure_group()
                else:
                    await self._retry_later(error, backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
            except Exception as error:  # database locked, Redis down: wait and try again
                await self._retry_later(error, backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _safe_ensure_group(self) -> None:
        try:
            await self.ensure_group()
        except RedisError as error:
            log.warning("flusher could not create its consumer group: %s", error)

    async def _retry_later(self, error: Exception, delay: float) -> None:
        self._may_hold_pending = True
        metrics.record_flusher_error(error)
        log.warning("flusher retrying in %.2fs after %s: %s", delay, type(error).__name__, error)
        await asyncio.sleep(delay)

    async def _read(self, block: bool) -> Batch:
        # Our own unacknowledged entries first (a failed commit), then new ones. Only after a
        # start or a failure can we hold any: reading them on every turn, over every shard's
        # stream, cost the flusher a fifth more CPU per round.
        starts = ("0", ">") if self._may_hold_pending else (">",)
        await self._note_masters()
        for start in starts:
            reply = await redis_client.read_group(
                self.redis,
                GROUP,
                self.consumer,
                dict.fromkeys(keys.journals(), start),
                count=self.batch,
                block=self.block_ms if block and start == ">" else None,
            )
            batch = _by_stream(reply)
            if batch:
                return batch
            if start == "0":
                self._may_hold_pending = False
        return {}

    async def _claim(self, min_idle_ms: int) -> Batch:
        await self._note_masters()
        batch: Batch = {}
        for stream in keys.journals():
            reply = await self.redis.xautoclaim(
                stream, GROUP, self.consumer, min_idle_time=min_idle_ms, count=self.batch
            )
            claimed = _entries({stream: reply[1]})
            if claimed:
                batch[stream] = claimed
            deleted = reply[2] if len(reply) > 2 else []
            if deleted:  # entries trimmed away while pending: nothing left to write
                await self.redis.xack(stream, GROUP, *deleted)
        return batch

    async def _flush_or_isolate(self, batch: Batch) -> int:
        try:
            return await self._flush(batch)
        except POISON_ERRORS as error:
            log.error(
                "flusher batch refused (%s: %s): retrying entry by entry",
                type(error).__name__,
                error,
            )
        for stream, entries in batch.items():
            for entry in entries:
                try:
                    await self._flush({stream: [entry]})
                except POISON_ERRORS as error:
                    await self._quarantine(stream, entry, error)
        return _size(batch)

    async def _quarantine(self, stream: str, entry: Entry, error: Exception) -> None:
        entry_id, fields = entry
        dead_letters = _DEAD_LETTERS[stream]
        reason = f"{type(error).__name__}: {error}"[:500]
        kept: dict[Any, Any] = {**fields, "dead_stream_id": entry_id, "dead_reason": reason}
        # Not MULTI: a crash between the XADD and the XDEL leaves the entry in both, and
        # writing a round twice moves nothing.
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xadd(dead_letters, kept)
            pipe.xack(stream, GROUP, entry_id)
            pipe.xdel(stream, entry_id)
            await pipe.execute()
        metrics.record_dead_letter(fields.get("kind", ""))
        log.error(
            "stream entry %s (kind %s) quarantined in %s: %s",
            entry_id,
            fields.get("kind", ""),
            dead_letters,
            reason,
        )

    async def _flush(self, batch: Batch) -> int:
        await self._replicated(batch)
        return await self._write(batch, acknowledge=True)

    async def _note_masters(self) -> None:
        """Before a read on a cluster with `replicas`: which master each journal is read
        from, the one whose replicas `_replicated` must ask about what was read."""
        if self.replicas and redis_client.is_cluster(self.redis):
            self._read_from = {
                journal: await redis_client.primary_of(self.redis, journal)
                for journal in keys.journals()
            }

    async def _replicated_on_cluster(self, batch: Batch) -> None:
        asked: set[str] = set()
        for journal in batch:
            node = self._read_from[journal]
            if node.name not in asked:
                await redis_client.wait_for_replicas(self.redis, node, journal)
                asked.add(node.name)

    async def _replicated(self, batch: Batch) -> None:
        """Return once `replicas` replicas hold every entry read so far; NotReplicated
        (retried by `run` with backoff) when they do not within WAIT_TIMEOUT_MS."""
        if not self.replicas:
            return
        if redis_client.is_cluster(self.redis):
            await self._replicated_on_cluster(batch)
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(REPLICATION_MARK, self.consumer, px=60_000)
            pipe.wait(self.replicas, redis_client.WAIT_TIMEOUT_MS)
            _, acknowledged = await pipe.execute()
        if acknowledged < self.replicas:
            raise redis_client.NotReplicated(
                f"{acknowledged} of {self.replicas} replicas hold the journal entries read"
            )

    async def _write(self, batch: Batch, acknowledge: bool) -> int:
        new = 0
        # Built first: an entry too malformed for its event is refused like one the
        # database refuses (a KeyError or ValueError: quarantined, blocking nothing).
        bets = table_bets.events(entry for entries in batch.values() for entry in entries)
        async with self.db.transaction() as tx:
            # Each shard's entries in its stream order (a player's are all in one shard), one
            # shard after another: consecutive rounds, across shards too, go in one multi-row
            # write (its cost is a dozen statements whatever it holds), other kinds one by one.
            run: list[Entry] = []
            for entries in batch.values():
                for entry_id, fields in entries:
                    kind = fields.get("kind", "")
                    if kind in ROUND_KINDS:
                        run.append((entry_id, fields))
                        continue
                    new += await write_round_entries(tx, run)
                    run = []
                    writer = self.writers.get(kind)
                    if writer is None:  # never drop money: stop here until the code knows it
                        raise UnknownEntryKind(f"stream entry {entry_id} has kind {kind}")
                    new += await writer(tx, entry_id, fields)
            new += await write_round_entries(tx, run)
        if acknowledge:
            async with self.redis.pipeline(transaction=False) as pipe:
                # The table rounds' events before the acknowledgements, in one round trip: a
                # crash between them leaves the entries pending, and their second flush
                # appends the same events again (same ids), which consumers dedupe.
                _queue_events(pipe, bets)
                for stream, entries in batch.items():
                    ids = [entry_id for entry_id, _ in entries]
                    pipe.xack(stream, GROUP, *ids)
                    pipe.xdel(stream, *ids)
                await pipe.execute()
        elif bets:
            await events_stream.append(self.redis, bets)
        self.rounds_written += new
        flat = [entry for entries in batch.values() for entry in entries]
        metrics.record_flush(flat, new)
        return len(flat)
