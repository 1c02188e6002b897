"""The provider wallet in Redis: the bet, win, rollback and restore scripts, and id claims.

Each script checks the transaction id and moves money in one atomic step, and
appends the movement to the rounds stream in that same step (see the scripts in
`server/money/lua/provider_*.lua`). Redis keeps a transaction's record, its
round and its id claim for `KEEP_MS` after their last change: long enough to
answer any retry a provider makes in practice. Older ones are answered from
the durable tables, which `restore` copies back before a script runs.

A claim (`provider_claim.lua`) names the player a transaction id belongs to. Records live
in the player's `{s:K}` slot, so without the claim two players could each use
one id once; with it, the second is a duplicate. The claim key lives in the shard of
the transaction id, not of any player, so it is claimed in a call of its own before the
money script: each call then touches one hash slot, as a Redis Cluster requires.
"""

from __future__ import annotations

from collections.abc import Sequence

import redis.asyncio as aioredis

from server.money import keys, scripts
from server.money.scripts import ScriptReply

KEEP_MS = 7 * 24 * 3600 * 1000  # records, rounds and claims stay in Redis this long


def _flag(value: bool) -> str:
    return "1" if value else "0"


class ProviderHot:
    def __init__(
        self, client: aioredis.Redis, max_backlog: int = 50_000, max_lag_ms: int = 5_000
    ) -> None:
        self.redis = client
        # The rounds stream's back-pressure bounds, the same as the hot wallet's.
        self.max_backlog = max_backlog
        self.max_lag_ms = max_lag_ms
        self._bet = scripts.register(client, scripts.PROVIDER_BET)
        self._win = scripts.register(client, scripts.PROVIDER_WIN)
        self._rollback = scripts.register(client, scripts.PROVIDER_ROLLBACK)
        self._restore = scripts.register(client, scripts.PROVIDER_RESTORE)
        self._claim = scripts.register(client, scripts.PROVIDER_CLAIM)

    async def claim(self, provider_id: str, transaction_uuid: str, player_id: int) -> bool:
        """True when the id is (now) this player's; False when another player used it."""
        claimed = await self._claim(
            keys=[keys.provider_claim(provider_id, transaction_uuid)], args=[player_id, KEEP_MS]
        )
        return claimed.text("owner") == str(player_id)

    async def missing(self, *record_keys: str) -> list[bool]:
        """For each key, True when Redis holds no record under it."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in record_keys:
                pipe.exists(key)
            found = await pipe.execute()
        return [not bool(n) for n in found]

    async def restore(self, key: str, fields: dict[str, str]) -> bool:
        """Copy a durable record back into Redis unless Redis has one; True when copied."""
        args: list[str] = [str(KEEP_MS)]
        for name, value in fields.items():
            args += [name, value]
        return (await self._restore([key], args)).moved

    async def bet(
        self,
        provider_id: str,
        transaction_uuid: str,
        player_id: int,
        wallet_currency: str,
        currency: str,
        amount: int,
        round_id: str,
        game: str,
        round_closed: bool,
        refusal: str,
        weight_class: str = "",
        free: bool = False,
        reward_award: int | None = None,
        reward_uuid: str | None = None,
        campaign_awards: Sequence[int] = (),
    ) -> ScriptReply:
        """A bet; `free` (the provider flagged it is_free) plays one of the active bonus's
        provider free rounds, funded by the promotion, or is refused NO_FREE_ROUND; with
        `reward_award` (the bonus award of the campaign its reward_uuid names) only while that
        award is the active bonus with rounds left, else REWARD_USED_UP. `reward_uuid` as the
        bet named it is kept as one of its terms: a retry naming another is a DUPLICATE. A free
        bet naming no reward is refused NO_FREE_ROUND while the active bonus is one of
        `campaign_awards` (a campaign's rounds are played only by bets naming its reward)."""
        return await self._bet(
            keys=[
                keys.wallet(player_id, wallet_currency),
                keys.provider_tx(player_id, provider_id, transaction_uuid),
                keys.provider_round(player_id, provider_id, round_id),
                keys.journal_of(player_id),
                keys.events_of(player_id),
                keys.rg(player_id),
                keys.bonus(player_id, wallet_currency),
                *keys.push_keys(player_id),
            ],
            args=[
                provider_id, transaction_uuid, player_id, wallet_currency, currency, str(amount),
                round_id, game, _flag(round_closed), refusal, KEEP_MS, self.max_backlog,
                self.max_lag_ms, weight_class, _flag(free),
                "" if reward_award is None else str(reward_award), reward_uuid or "",
                ",".join(str(award) for award in campaign_awards),
            ],
        )  # fmt: skip

    async def win(
        self,
        provider_id: str,
        transaction_uuid: str,
        player_id: int,
        wallet_currency: str,
        currency: str,
        amount: int,
        round_id: str,
        game: str,
        reference_uuid: str,
        round_closed: bool,
    ) -> ScriptReply:
        return await self._win(
            keys=_settling_keys(
                provider_id, transaction_uuid, player_id, wallet_currency, round_id, reference_uuid
            ),
            args=[
                provider_id, transaction_uuid, player_id, wallet_currency, currency, str(amount),
                round_id, game, reference_uuid, _flag(round_closed), KEEP_MS,
            ],
        )  # fmt: skip

    async def rollback(
        self,
        provider_id: str,
        transaction_uuid: str,
        player_id: int,
        wallet_currency: str,
        round_id: str,
        game: str,
        reference_uuid: str,
        round_closed: bool,
    ) -> ScriptReply:
        return await self._rollback(
            keys=_settling_keys(
                provider_id, transaction_uuid, player_id, wallet_currency, round_id, reference_uuid
            ),
            args=[
                provider_id, transaction_uuid, player_id, wallet_currency, round_id, game,
                reference_uuid, _flag(round_closed), KEEP_MS,
            ],
        )  # fmt: skip


def _settling_keys(
    provider_id: str,
    transaction_uuid: str,
    player_id: int,
    wallet_currency: str,
    round_id: str,
    reference_uuid: str,
) -> list[str]:
    """The keys of a win or a rollback: the wallet, this transaction, the bet it refers to,
    the round, the journal and the event stream, all in the player's slot."""
    return [
        keys.wallet(player_id, wallet_currency),
        keys.provider_tx(player_id, provider_id, transaction_uuid),
        keys.provider_tx(player_id, provider_id, reference_uuid),
        keys.provider_round(player_id, provider_id, round_id),
        keys.journal_of(player_id),
        keys.events_of(player_id),
        keys.rg(player_id),
        keys.bonus(player_id, wallet_currency),
        *keys.push_keys(player_id),
    ]
