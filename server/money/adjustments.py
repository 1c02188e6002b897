"""Manual balance adjustments in the hot wallet: a signed amount to or from cash, once.

The four-eyes approval (server/staff/four_eyes.py) decides that an adjustment happens; this
moves it: atomically with the funds check in Redis (server/money/lua/adjust.lua), keyed by
the adjustment's id so a retry moves nothing twice, with the ledger following through the
rounds stream. A wallet Redis does not hold is hydrated from the ledger first.
"""

from __future__ import annotations

from server.money import keys, scripts
from server.money.scripts import ScriptReply, ScriptStatus
from server.money.wallet import Wallet

KEEP_MS = 400 * 24 * 3600 * 1000  # an adjustment's marker answers retries for 400 days


class Adjustments:
    def __init__(self, wallet: Wallet) -> None:
        self.wallet = wallet
        self._adjust = scripts.register(wallet.hot.redis, scripts.ADJUST)

    async def apply(
        self, adjustment_id: int, player_id: int, currency: str, amount: int
    ) -> ScriptReply:
        """OK or ALREADY (cash after), or INSUFFICIENT_FUNDS (cash) for a debit that the
        cash does not cover (nothing moved)."""
        if amount == 0:
            raise ValueError("an adjustment moves a non-zero amount")
        call_keys = [
            keys.wallet(player_id, currency),
            keys.adjustment(player_id, adjustment_id),
            keys.journal_of(player_id),
            keys.events_of(player_id),
            *keys.push_keys(player_id),
        ]
        args = [adjustment_id, player_id, currency, amount, KEEP_MS]
        reply = await self._adjust(call_keys, args)
        if reply.status is ScriptStatus.NO_WALLET:
            await self.wallet.ensure_hot(player_id, currency)
            reply = await self._adjust(call_keys, args)
        return reply
