"""Withdrawal funds in the hot wallet: lock, then pay out or return, each exactly once.

A withdrawal moves its amount from the wallet's spendable `cash` to its
`locked` field atomically with the funds check (Lua), so the same cent can
never be both staked and withdrawn; the resolution (paid out, or returned to
cash on a decline) happens once per payment, and every movement is appended to
the rounds stream in the same step so the ledger follows in order.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from server.money import keys, scripts
from server.money.scripts import ScriptReply

RESOLVED_KEEP_MS = 30 * 24 * 3600 * 1000  # a resolved withdrawal's record answers retries


class WithdrawalLocks:
    def __init__(self, client: aioredis.Redis) -> None:
        self.redis = client
        self._lock = scripts.register(client, scripts.WITHDRAW_LOCK)
        self._resolve = scripts.register(client, scripts.WITHDRAW_RESOLVE)

    async def lock(
        self, payment_id: int, player_id: int, currency: str, amount: int, gateway: str
    ) -> ScriptReply:
        """OK (cash after), ALREADY (state, cash), INSUFFICIENT_FUNDS (cash) or NO_WALLET."""
        return await self._lock(
            _keys(payment_id, player_id, currency),
            [payment_id, player_id, currency, amount, gateway],
        )

    async def resolve(
        self,
        payment_id: int,
        player_id: int,
        currency: str,
        amount: int,
        gateway: str,
        outcome: str,
    ) -> ScriptReply:
        """Outcome `paid` (locked funds leave) or `returned` (locked -> cash); the reply is
        OK or ALREADY (cash), NOT_LOCKED, CONFLICT (state) or LOCKED_SHORT (locked)."""
        if outcome not in ("paid", "returned"):
            raise ValueError(f"a withdrawal resolves as paid or returned, not {outcome!r}")
        return await self._resolve(
            _keys(payment_id, player_id, currency),
            [payment_id, player_id, currency, amount, gateway, outcome, RESOLVED_KEEP_MS],
        )


def _keys(payment_id: int, player_id: int, currency: str) -> list[str]:
    return [
        keys.wallet(player_id, currency),
        keys.withdrawal(player_id, payment_id),
        keys.journal_of(player_id),
        keys.events_of(player_id),
        *keys.push_keys(player_id),
    ]
