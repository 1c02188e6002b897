"""The jurisdiction profile's rules on a stake of our own games: cycle spacing and stake caps.

A `StakeRule` for money's seam (server/money/stake_rules.py), plugged in at wiring time. Two
rules, both from the player's profile (their country): a slot stake above the profile's cap
for the player's age is refused (UK: GBP 2 for ages 18 to 24, GBP 5 from 25), and a game
cycle started sooner than the profile's spacing after the player's previous one is refused
(UK: 2.5 s for slots, 5 s for other games). The spacing is one `SET NX PX` on a key in the
player's slot, so it holds across sessions and server processes alike; a cycle refused later
(funds, limits) has still used its slot, which only ever errs towards slower play.

Provider games meet the same two rules where their catalogue says they are slots (the
category "slots"): `refuse` is called for them through the provider's bet rules (plugged in by
server/wiring.py), with the provider's round as the game cycle, so a second bet in one round
(a gamble, a feature buy) is the same cycle and is not refused as too soon. Other provider
games (table, instant, live) are left to the provider's own game client and limits.

Time-outs, self-exclusion and loss limits are not here: the stake scripts enforce them
atomically (server/money/lua/_loss_limit.lua).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime

import redis.asyncio as aioredis

from games import catalogue
from protocol.errors import ErrorCode, Refused
from server.money.stake_rules import HOUSE, StakeAttempt
from server.rg.profiles import Chooser, Profile, age_on
from server.storage.slots import player_prefix

Facts = Callable[[int], Awaitable[tuple[str, date] | None]]  # country, date of birth
FACTS_TTL_S = 60.0  # a country or birth date almost never changes; a minute's cache spares SQL


def cycle_key(player_id: int) -> str:
    """Present while the player's last game cycle is too recent for the next one."""
    return f"{player_prefix(player_id)}:rg:cycle"


class ProfileRules:
    def __init__(self, redis: aioredis.Redis, chooser: Chooser, facts: Facts) -> None:
        self.redis = redis
        self.chooser = chooser
        self.facts = facts
        self._cache: dict[int, tuple[float, Profile, date | None]] = {}

    async def profile_of(self, player_id: int) -> tuple[Profile, date | None]:
        cached = self._cache.get(player_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1], cached[2]
        found = await self.facts(player_id)
        profile = self.chooser.for_country(found[0]) if found else self.chooser.default
        born = found[1] if found else None
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[player_id] = (time.monotonic() + FACTS_TTL_S, profile, born)
        return profile, born

    async def __call__(self, attempt: StakeAttempt) -> Refused | None:
        """Money's stake seam, for our own games (a provider's bets come through `refuse`)."""
        if attempt.provider != HOUSE:
            return None
        game = catalogue.get(attempt.game)
        if game is None:
            return None
        return await self.refuse(
            attempt.player_id, attempt.currency, attempt.amount, game.info.kind == "slot"
        )

    async def refuse(
        self, player_id: int, currency: str, amount: int, is_slot: bool, cycle: str = ""
    ) -> Refused | None:
        """The profile's refusal of a stake of `amount` starting (or, with the same `cycle`
        as the last one, continuing) a game cycle, or None. Our games leave `cycle` empty:
        each of their stakes is a cycle of its own."""
        profile, born = await self.profile_of(player_id)
        if is_slot and profile.slot_stake_caps:
            today = datetime.now(UTC).date()
            age = age_on(born, today) if born else 18  # unknown age: the strictest band
            cap = profile.slot_stake_cap(age, currency)
            if cap is not None and amount > cap:
                return Refused(
                    ErrorCode.STAKE_ABOVE_PROFILE_CAP,
                    f"a slot stake is at most {cap} per game cycle here",
                    cap=cap,
                    params={"cap": cap, "currency": currency},
                )
        gap = profile.cycle_ms(is_slot)
        if gap > 0:
            key = cycle_key(player_id)
            # The key holds the running cycle's id: a stake in the cycle already running goes
            # on (a provider round's second bet). Read after a failed SET, a key gone meanwhile
            # reads as another cycle: a refusal, which only ever errs towards slower play.
            started = await self.redis.set(key, cycle or "1", px=gap, nx=True)
            if not started and not (cycle and _text(await self.redis.get(key)) == cycle):
                wait = await self.redis.pttl(key)
                return Refused(
                    ErrorCode.GAME_CYCLE_TOO_SOON,
                    "the next game cycle may start only after the least time between cycles",
                    retry_after_ms=max(int(wait), 1),
                    params={"seconds": max(-(-int(wait) // 1000), 1)},
                )
        return None


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
