"""Withdrawal funds in the hot wallet: lock, then pay out or return, each exactly once.

A withdrawal moves its amount from the wallet's spendable `cash` to its
`locked` field atomically with the funds check (Lua), so the same cent can
never be both staked and withdrawn; the resolution (paid out, or returned to
cash on a decline) happens once per payment, and every movement is appended to
the rounds stream in the same step so the ledger follows in order.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from server.money import keys, lua

RESOLVED_KEEP_MS = 30 * 24 * 3600 * 1000  # a resolved withdrawal's record answers retries


@dataclass(frozen=True, slots=True)
class LockResult:
    status: str  # OK, ALREADY, INSUFFICIENT_FUNDS, NO_WALLET
    cash: int | None = None
    state: str = ""  # for ALREADY: locked, paid or returned


@dataclass(frozen=True, slots=True)
class ResolveResult:
    status: str  # OK, ALREADY, NOT_LOCKED, CONFLICT, LOCKED_SHORT
    cash: int | None = None


class WithdrawalLocks:
    def __init__(self, client: aioredis.Redis) -> None:
        self.redis = client
        self._lock = lua.register(client, "withdraw_lock")
        self._resolve = lua.register(client, "withdraw_resolve")

    async def lock(
        self, payment_id: int, player_id: int, currency: str, amount: int, gateway: str
    ) -> LockResult:
        reply = await self._lock(
            keys=_keys(payment_id, player_id, currency),
            args=[payment_id, player_id, currency, amount, gateway],
        )
        status = str(reply[0])
        if status == "OK":
            return LockResult(status, int(reply[1]))
        if status == "ALREADY":
            return LockResult(status, int(reply[2]), str(reply[1]))
        if status == "INSUFFICIENT_FUNDS":
            return LockResult(status, int(reply[1]))
        return LockResult(status)

    async def resolve(
        self,
        payment_id: int,
        player_id: int,
        currency: str,
        amount: int,
        gateway: str,
        outcome: str,
    ) -> ResolveResult:
        """Outcome `paid` (locked funds leave) or `returned` (locked -> cash)."""
        if outcome not in ("paid", "returned"):
            raise ValueError(f"a withdrawal resolves as paid or returned, not {outcome!r}")
        reply = await self._resolve(
            keys=_keys(payment_id, player_id, currency),
            args=[payment_id, player_id, currency, amount, gateway, outcome, RESOLVED_KEEP_MS],
        )
        status = str(reply[0])
        cash = int(reply[1]) if status in ("OK", "ALREADY") else None
        return ResolveResult(status, cash)


def _keys(payment_id: int, player_id: int, currency: str) -> list[str]:
    return [
        keys.wallet(player_id, currency),
        keys.withdrawal(player_id, payment_id),
        keys.ROUNDS_STREAM,
    ]
