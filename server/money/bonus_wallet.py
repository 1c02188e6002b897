"""The bonus sub-balance's own movements in Redis: granting an award and ending the active bonus.

The bonus domain (`server/bonus/`) decides who gets what; this module moves it, through the two
scripts `bonus_grant.lua` and `bonus_end.lua`, each of which appends its movement to the journal
in the same atomic step (the ledger posts it from there: `server/money/journal/bonus.py`). The
rules that hold on every stake (maximum stake, wagering with contribution weights, conversion and
expiry) are not here: they run inside the stake and settle scripts (`lua/_bonus.lua`), so there
is no second path a stake could take around them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import redis.asyncio as aioredis

from server.money import keys, scripts
from server.money.scripts import ScriptReply, ScriptStatus

GRANT_MARKER_MS = 90 * 24 * 3600 * 1000  # a retried grant is recognised for this long


@dataclass(frozen=True, slots=True)
class FreeSpins:
    """Spins of one of our slots at a fixed stake that the promotion pays for; each win adds
    `wagering` times itself to the bonus's wagering requirement."""

    game: str
    count: int
    stake: int
    wagering: int

    def encoded(self) -> str:
        return f"{self.game}|{self.count}|{self.stake}|{self.wagering}"


@dataclass(frozen=True, slots=True)
class Grant:
    """One award's money and, for bonus money, the terms the scripts enforce until it ends."""

    award_id: int
    player_id: int
    currency: str
    amount: int
    to_cash: bool  # paid as cash with no wagering (cashback as cash); the terms below unused
    required: int  # wagering to do, in minor units; stakes count amount x weight / 100
    max_stake: int  # 0: no maximum
    expires_at_ms: int
    cap: int | None  # most of it that may ever convert to cash; None: no cap
    weights: Mapping[str, int]  # game id, game kind, provider category -> percent (0-100)
    free_spins: FreeSpins | None = None


@dataclass(frozen=True, slots=True)
class ActiveBonus:
    """The hot state of a player's current (or last) wagering bonus, as the scripts keep it."""

    award_id: int
    state: str  # active, forfeiting or ended
    outcome: str  # '' while active; converted, expired, forfeited or spent once ended
    wagered: int  # minor units of weighted stakes (rounded down)
    required: int
    max_stake: int
    expires_at_ms: int
    granted: int
    free_spins_left: int
    free_spin_game: str
    free_spin_stake: int


class BonusWallet:
    def __init__(self, client: aioredis.Redis) -> None:
        self.redis = client
        self._grant = scripts.register(client, scripts.BONUS_GRANT)
        self._end = scripts.register(client, scripts.BONUS_END)
        self._restore = scripts.register(client, scripts.BONUS_RESTORE)

    async def grant(self, grant: Grant) -> ScriptReply:
        """OK or ALREADY: granted; EXISTS: a wagering bonus is active (keep this one queued);
        CONFLICT: bonus money of the last one is still in play; NO_WALLET: hydrate first."""
        weights: list[str | int] = []
        for name, percent in sorted(grant.weights.items()):
            weights += [name, percent]
        pid, cur = grant.player_id, grant.currency
        return await self._grant(
            keys=[
                keys.wallet(pid, cur), keys.bonus(pid, cur), keys.bonus_grant(pid, grant.award_id),
                keys.journal_of(pid), keys.events_of(pid), *keys.push_keys(pid),
            ],
            args=[
                grant.award_id, pid, cur, grant.amount, "cash" if grant.to_cash else "bonus",
                grant.required * 100, grant.max_stake, grant.expires_at_ms,
                "" if grant.cap is None else grant.cap, GRANT_MARKER_MS,
                "" if grant.free_spins is None else grant.free_spins.encoded(), *weights,
            ],
        )  # fmt: skip

    async def end(
        self, player_id: int, currency: str, forfeit: bool, award_id: int | None = None
    ) -> str:
        """End the active bonus if it is due (or leave it, `forfeit`); its state after, or ''
        when there is none. A stake held in one of our rounds delays the move to its settle."""
        reply = await self._end(
            keys=[
                keys.wallet(player_id, currency), keys.bonus(player_id, currency),
                keys.journal_of(player_id), keys.events_of(player_id),
                *keys.push_keys(player_id),
            ],
            args=[
                "" if award_id is None else award_id, player_id, currency,
                "1" if forfeit else "0",
            ],
        )  # fmt: skip
        return reply.text("state") if reply.values else ""

    async def restore(self, player_id: int, currency: str, fields: Mapping[str, str | int]) -> bool:
        """Put back the player's bonus hash Redis lost, as the bonus domain rebuilt it from
        SQL; True when written, False when a hash was there (a grant or a stake came first:
        it stands)."""
        flat: list[str | int] = []
        for name, value in fields.items():
            flat += [name, value]
        reply = await self._restore(keys=[keys.bonus(player_id, currency)], args=flat)
        return reply.status is ScriptStatus.OK

    async def active(self, player_id: int, currency: str) -> ActiveBonus | None:
        data = await self.redis.hgetall(keys.bonus(player_id, currency))
        if not data:
            return None
        field = {str(k): str(v) for k, v in data.items()}
        return ActiveBonus(
            award_id=int(field["award"]),
            state=field["state"],
            outcome=field.get("outcome", ""),
            wagered=int(field.get("wagered", "0")) // 100,
            required=int(field.get("required", "0")) // 100,
            max_stake=int(field.get("max_stake", "0")),
            expires_at_ms=int(field.get("expires_at", "0")),
            granted=int(field.get("granted", "0")),
            free_spins_left=int(field.get("fs_left", "0")),
            free_spin_game=field.get("fs_game", ""),
            free_spin_stake=int(field.get("fs_stake", "0")),
        )
