"""The players' risk features in Redis: what the rules remember between events, and reading
them back for a batch of events in one pipelined round trip.

Every player's feature key starts with the player's prefix (`{s:K}:p:ID:risk:...`, as the
wallet's keys do: server/storage/slots.py), so a player's features share the player's slot.
They are sorted sets scored by the event's time, and every write is idempotent by
construction: a member is the event id (with what the rule needs: the amount, the place), so
an event delivered twice adds nothing the second time, and first-seen sets are written with
`ZADD NX`, so they keep the first time. That is what lets the monitor process an event again
after a crash without counting it twice, with no per-event marker to store.

What is kept (bounded by count, and expiring when the player is idle):
- `dep`, `wd`: the last `KEEP_MOVEMENTS` deposits and withdrawal requests (`id|amount`);
- `bets`: the last `KEEP_STAKES` bets (`id|amount`: `rules.bet_amount`, which reads a
  one-step game's `round_settled` as its bet), for rapid betting and for play
  since a deposit;
- `devices`, `countries`: each device id and login country with when it was first seen;
- `logins`: the last `KEEP_LOGINS` successful logins (`id|country|lat|lon`).
- `street`: the digest of the first line of the player's postal address (a household's
  building), for the household rule.
Keys that are not a player's: `risk:address:ADDR` (accounts that failed a login from that
address, scored by the last failure), `risk:device:ID` (accounts that logged in with that
device id), `risk:instrument:FP` (accounts that saved a payment instrument with the
gateway's fingerprint FP), `risk:postal:DIGEST` and `risk:street:DIGEST` (accounts whose
postal address, or its first line, has that digest). They are written in the same
pipeline, never in one script with a player's key, so a Redis Cluster accepts them.

The household rule (same device and same first line of the address) needs a second round
trip, only for logins and address changes that have candidates: whether the accounts on
this device live in this building, or the accounts in this building used this device.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import redis.asyncio as aioredis

from server.events.catalogue import (
    Deposited,
    Event,
    LoggedInV2,
    PaymentMethodSaved,
    ProfileChangedV2,
    RoundBets,
    Withdrawal,
)
from server.risk.geoip import Place
from server.risk.policy import Policy
from server.risk.rules import Facts, Login, Movement, bet_amount
from server.storage.slots import player_prefix

KEEP_MOVEMENTS = 50
KEEP_STAKES = 1_000
KEEP_LOGINS = 20
IDLE_TTL_MS = 90 * 86_400_000
BETS_TTL_MS = 86_400_000
UA_DEVICE = "ua:"  # the accounts' stand-in when a client sent no device id: not evidence
HOUSEHOLD_CANDIDATES = 50  # accounts a household check looks at, at most, per event
# A player's bets are trimmed to KEEP_STAKES and their expiry renewed once per this many bets
# a monitor sees (and at the first): the set may hold that many more between two trims.
TRIM_EVERY = 64
TRIMS_KEPT = 100_000  # players whose count since the last trim a monitor remembers


def key(player_id: int, feature: str) -> str:
    return f"{player_prefix(player_id)}:risk:{feature}"


def address_key(address: str) -> str:
    return f"risk:address:{address}"


def device_key(device_id: str) -> str:
    return f"risk:device:{device_id}"


def instrument_key(fingerprint: str) -> str:
    return f"risk:instrument:{fingerprint}"


def postal_key(digest: str) -> str:
    return f"risk:postal:{digest}"


def street_key(digest: str) -> str:
    return f"risk:street:{digest}"


def _evidence_device(device_id: str) -> bool:
    return bool(device_id) and not device_id.startswith(UA_DEVICE)


def relevant(event: Event) -> bool:
    """Whether any rule reads this kind of event: the rest are acknowledged unread."""
    return (
        bet_amount(event) is not None
        or isinstance(event, Deposited | LoggedInV2 | RoundBets)
        or (isinstance(event, Withdrawal) and event.status == "requested")
        or (isinstance(event, PaymentMethodSaved) and bool(event.fingerprint))
        or (isinstance(event, ProfileChangedV2) and bool(event.address_digest))
    )


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _movements(raw: Sequence[Any]) -> tuple[Movement, ...]:
    found = []
    for member, score in raw:
        event_id, _, amount = _text(member).rpartition("|")
        found.append(Movement(event_id, int(score), int(amount)))
    return tuple(found)


def _float(text: str) -> float | None:
    return float(text) if text else None


def _login(raw: Sequence[Any]) -> Login | None:
    if not raw:
        return None
    member, score = raw[0]
    event_id, country, lat, lon = _text(member).rsplit("|", 3)
    return Login(event_id, int(score), country, _float(lat), _float(lon))


def _score(value: Any) -> int | None:
    return None if value is None else int(float(value))


@dataclass(frozen=True, slots=True)
class _Reads:
    """Where one event's replies sit in the pipeline's answer, and how to read them."""

    event: Event
    place: Place
    start: int
    fields: tuple[str, ...]


class Features:
    def __init__(self, client: aioredis.Redis, policy: Policy) -> None:
        self.client = client
        self.policy = policy
        self._untrimmed: dict[int, int] = {}  # player: bets added since their last trim

    def _window_ms(self, rule: str, default_s: int) -> int:
        settings = self.policy.rules.get(rule)
        return (settings.params.get("window_s", default_s) if settings else default_s) * 1000

    async def update(self, events: Sequence[tuple[Event, Place]]) -> list[tuple[Event, Facts]]:
        """Add each event to its player's features and read what its rules need, in order
        and in one round trip: event N's reads see events up to N of the batch.

        A player's bets are the bulk of the stream, so they are written together: the bets
        a player made since the batch's last other event of theirs go into the set in one
        ZADD (then one trim, one expiry) before that other event's reads, or at the end.
        Each bet still gets its own count of the bets before it, so a rule sees what it
        would have seen one event at a time (bets of one player arrive in time order)."""
        plans: list[_Reads | None] = [None] * len(events)
        waiting: dict[int, list[tuple[int, int]]] = {}  # player: (index, amount) of bets
        async with self.client.pipeline(transaction=False) as pipe:
            for index, (event, place) in enumerate(events):
                amount = bet_amount(event)
                if amount is not None:
                    waiting.setdefault(event.player_id, []).append((index, amount))
                    continue
                if event.player_id in waiting:
                    self._bets(pipe, events, waiting.pop(event.player_id), plans)
                before = len(pipe)
                plans[index] = _Reads(event, place, before, self._queue(pipe, event, place))
            for bets in waiting.values():
                self._bets(pipe, events, bets, plans)
            replies = await pipe.execute() if len(pipe) else []
        found = [(plan.event, self._facts(plan, replies)) for plan in plans if plan is not None]
        return await self._households(found)

    def _bets(
        self,
        pipe: Any,
        events: Sequence[tuple[Event, Place]],
        bets: list[tuple[int, int]],
        plans: list[_Reads | None],
    ) -> None:
        """Queue one player's bets (`bets`: their indexes in `events` and amounts): one write
        for them all, then each one's count of the recent bets up to it."""
        first = events[bets[0][0]][0]
        series = key(first.player_id, "bets")
        members = {f"{events[i][0].id}|{amount}": events[i][0].at_ms for i, amount in bets}
        pipe.zadd(series, members)
        if self._trim_due(first.player_id, len(bets)):
            pipe.zremrangebyrank(series, 0, -KEEP_STAKES - 1)
            pipe.pexpire(series, BETS_TTL_MS)
        window = self._window_ms("rapid_betting", 10)
        for index, _ in bets:
            event, place = events[index]
            plans[index] = _Reads(event, place, len(pipe), ("recent_bets",))
            pipe.zcount(series, f"({event.at_ms - window}", event.at_ms)

    def _trim_due(self, player_id: int, added: int) -> bool:
        """Whether this batch trims the player's bets and renews their expiry: bets are the
        bulk of the stream, and two commands per bet were half of what the monitor sent."""
        if len(self._untrimmed) >= TRIMS_KEPT:
            self._untrimmed.clear()
        since = self._untrimmed.get(player_id)
        if since is None or since + added >= TRIM_EVERY:
            self._untrimmed[player_id] = 0
            return True
        self._untrimmed[player_id] = since + added
        return False

    async def _households(self, found: list[tuple[Event, Facts]]) -> list[tuple[Event, Facts]]:
        """Fill `household` (accounts sharing a device and the first line of the address
        with the event's player, the player included) where there are candidates: one more
        round trip for the batch."""
        checks: list[tuple[int, int]] = []  # (index in found, candidate)
        async with self.client.pipeline(transaction=False) as pipe:
            for index, (event, facts) in enumerate(found):
                pid = event.player_id
                if isinstance(event, ProfileChangedV2) and event.street_digest:
                    devices = [d for d in facts.devices if _evidence_device(d)]
                    for other in facts.street_accounts[:HOUSEHOLD_CANDIDATES]:
                        if other == pid or not devices:
                            continue
                        # Did `other` log in on any of this player's devices?
                        for device in devices:
                            pipe.zscore(device_key(device), str(other))
                            checks.append((index, other))
                elif isinstance(event, LoggedInV2) and facts.street:
                    for other in facts.device_accounts[:HOUSEHOLD_CANDIDATES]:
                        if other == pid:
                            continue
                        pipe.get(key(other, "street"))  # does `other` live in this building?
                        checks.append((index, other))
            replies = await pipe.execute() if checks else []
        members: dict[int, set[int]] = {}
        for (index, other), reply in zip(checks, replies, strict=True):
            event, facts = found[index]
            shared = (
                reply is not None
                if isinstance(event, ProfileChangedV2)
                else reply is not None and _text(reply) == facts.street
            )
            if shared:
                members.setdefault(index, {event.player_id}).add(other)
        for index, accounts in members.items():
            event, facts = found[index]
            found[index] = (event, replace(facts, household=tuple(sorted(accounts))))
        return found

    def _queue(self, pipe: Any, event: Event, place: Place) -> tuple[str, ...]:
        """Queue the writes and reads of one event that is not a bet (`_bets` queues those);
        the names of the replies to keep (`_` for a write's reply)."""
        pid, at = event.player_id, event.at_ms
        if isinstance(event, Deposited):
            return self._movement(pipe, event, "dep", event.amount, ("deposits",))
        if isinstance(event, Withdrawal):
            fields = self._movement(pipe, event, "wd", event.amount, ("withdrawals",))
            pipe.zrange(key(pid, "dep"), 0, -1, withscores=True)
            window = self._window_ms("quick_cashout", 86_400)
            pipe.zrangebyscore(key(pid, "bets"), f"({at - window}", at, withscores=True)
            pipe.zcard(key(pid, "bets"))
            return (*fields, "deposits", "stakes", "stakes_count")
        if isinstance(event, LoggedInV2):
            return self._login(pipe, event, place)
        if isinstance(event, PaymentMethodSaved):
            shared = instrument_key(event.fingerprint)
            pipe.zadd(shared, {str(pid): at}, nx=True)
            pipe.pexpire(shared, IDLE_TTL_MS)
            pipe.zrange(shared, 0, -1)
            return ("_", "_", "instrument_accounts")
        if isinstance(event, ProfileChangedV2):
            postal, street = postal_key(event.address_digest), street_key(event.street_digest)
            pipe.zadd(postal, {str(pid): at}, nx=True)
            pipe.pexpire(postal, IDLE_TTL_MS)
            pipe.zrange(postal, 0, -1)
            pipe.zadd(street, {str(pid): at}, nx=True)
            pipe.pexpire(street, IDLE_TTL_MS)
            pipe.zrange(street, 0, -1)
            pipe.set(key(pid, "street"), event.street_digest, px=IDLE_TTL_MS)
            pipe.zrange(key(pid, "devices"), 0, -1)
            return ("_", "_", "address_accounts", "_", "_", "street_accounts", "_", "devices")
        return ()

    @staticmethod
    def _movement(
        pipe: Any, event: Event, feature: str, amount: int, names: tuple[str, ...]
    ) -> tuple[str, ...]:
        series = key(event.player_id, feature)
        pipe.zadd(series, {f"{event.id}|{amount}": event.at_ms})
        pipe.zremrangebyrank(series, 0, -KEEP_MOVEMENTS - 1)
        pipe.pexpire(series, IDLE_TTL_MS)
        pipe.zrange(series, 0, -1, withscores=True)
        return ("_", "_", "_", *names)

    def _login(self, pipe: Any, event: LoggedInV2, place: Place) -> tuple[str, ...]:
        pid, at = event.player_id, event.at_ms
        if event.outcome != "ok":
            sprayed = address_key(event.address)
            window = self._window_ms("password_spraying", 600)
            pipe.zadd(sprayed, {str(pid): at}, gt=True)
            pipe.pexpire(sprayed, window)
            # Up to +inf: failures on other accounts come from other shards' streams, in no
            # order relative to this one.
            pipe.zrangebyscore(sprayed, f"({at - window}", "+inf")
            return ("_", "_", "sprayed")
        devices, countries, logins = key(pid, "devices"), key(pid, "countries"), key(pid, "logins")
        fields: list[str] = []
        pipe.zcount(logins, "-inf", f"({at}")
        pipe.zrevrangebyscore(logins, f"({at}", "-inf", start=0, num=1, withscores=True)
        fields += ["logins_before", "previous_login"]
        pipe.zadd(devices, {event.device_id: at}, nx=True)
        pipe.zscore(devices, event.device_id)
        fields += ["_", "device_first_ms"]
        if place.country:
            pipe.zadd(countries, {place.country: at}, nx=True)
            pipe.zscore(countries, place.country)
            fields += ["_", "country_first_ms"]
        lat = "" if place.latitude is None else repr(place.latitude)
        lon = "" if place.longitude is None else repr(place.longitude)
        pipe.zadd(logins, {f"{event.id}|{place.country}|{lat}|{lon}": at})
        pipe.zremrangebyrank(logins, 0, -KEEP_LOGINS - 1)
        fields += ["_", "_"]
        for series in (devices, countries, logins):
            pipe.pexpire(series, IDLE_TTL_MS)
            fields.append("_")
        if _evidence_device(event.device_id):
            shared = device_key(event.device_id)
            pipe.zadd(shared, {str(pid): at}, nx=True)
            pipe.pexpire(shared, IDLE_TTL_MS)
            pipe.zrange(shared, 0, -1)
            pipe.get(key(pid, "street"))
            fields += ["_", "_", "device_accounts", "street"]
        return tuple(fields)

    @staticmethod
    def _facts(plan: _Reads, replies: Sequence[Any]) -> Facts:
        place = plan.place
        values = dict(
            zip(plan.fields, replies[plan.start : plan.start + len(plan.fields)], strict=True)
        )
        values.pop("_", None)
        changes: dict[str, Any] = {}
        for name, value in values.items():
            if name in ("deposits", "withdrawals", "stakes"):
                changes[name] = _movements(value or [])
            elif name == "stakes_count":
                changes["stakes_full"] = int(value) >= KEEP_STAKES
            elif name in ("recent_bets", "logins_before"):
                changes[name] = int(value)
            elif name in ("device_first_ms", "country_first_ms"):
                changes[name] = _score(value)
            elif name == "previous_login":
                changes[name] = _login(value or [])
            elif name in (
                "sprayed", "device_accounts", "instrument_accounts", "address_accounts",
                "street_accounts",
            ):  # fmt: skip
                changes[name] = tuple(sorted(int(_text(member)) for member in value or []))
            elif name == "devices":
                changes[name] = tuple(_text(member) for member in value or [])
            elif name == "street":
                changes[name] = "" if value is None else _text(value)
        return Facts(
            country=place.country, latitude=place.latitude, longitude=place.longitude, **changes
        )
