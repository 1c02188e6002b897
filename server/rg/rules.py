"""The jurisdiction profile's rules on a stake of our own games: cycle spacing and stake caps.

A `StakeRule` for money's seam (server/money/stake_rules.py), plugged in at wiring time. Two
rules, both from the player's profile (their country): a slot stake above the profile's cap
for the player's age is refused (UK: GBP 2 for ages 18 to 24, GBP 5 from 25), and a game
cycle started sooner than the profile's spacing after the player's previous one is refused
(UK: 2.5 s for slots, 5 s for other games). The spacing is one `SET NX PX` on a key in the
player's slot, so it holds across sessions and server processes alike; a cycle refused later
(funds, limits) has still used its slot, which only ever errs towards slower play.

Time-outs, self-exclusion and loss limits are not here: the stake scripts enforce them
atomically (server/money/lua/_loss_limit.lua). Provider games are not here either: their
cycle speed is the provider's game client's to hold, and their catalogue does not say which
are slots (so their stake caps are left to the provider's game limits).
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
        if attempt.provider != HOUSE:
            return None
        game = catalogue.get(attempt.game)
        if game is None:
            return None
        profile, born = await self.profile_of(attempt.player_id)
        is_slot = game.info.kind == "slot"
        if is_slot and profile.slot_stake_caps:
            today = datetime.now(UTC).date()
            age = age_on(born, today) if born else 18  # unknown age: the strictest band
            cap = profile.slot_stake_cap(age, attempt.currency)
            if cap is not None and attempt.amount > cap:
                return Refused(
                    ErrorCode.STAKE_ABOVE_PROFILE_CAP,
                    f"a slot stake is at most {cap} per game cycle here",
                    cap=cap,
                )
        gap = profile.cycle_ms(is_slot)
        if gap > 0:
            key = cycle_key(attempt.player_id)
            if not await self.redis.set(key, "1", px=gap, nx=True):
                wait = await self.redis.pttl(key)
                return Refused(
                    ErrorCode.GAME_CYCLE_TOO_SOON,
                    "the next game cycle may start only after the least time between cycles",
                    retry_after_ms=max(int(wait), 1),
                )
        return None
