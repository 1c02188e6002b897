"""The money side of closing an account: the cash no payment method can take back moves to
the operator's liability `house:closed_accounts_payable:CUR`, all of it, once per closure.

Atomically in Redis (server/money/lua/closed_payable.lua: the cash is read and taken in one
step, so a win landing meanwhile is either in it or left in cash, never half), keyed by the
closure's id so a retry moves nothing twice, with the ledger following through the rounds
stream (server/money/journal/closures.py). A wallet Redis does not hold is hydrated from the
ledger first. Closing itself (status, sessions, bonus, payout) is the staff domain's
(server/staff/closure.py); this never decides, it moves.
"""

from __future__ import annotations

from server.money import keys, scripts
from server.money.scripts import ScriptStatus
from server.money.wallet import Wallet

KEEP_MS = 400 * 24 * 3600 * 1000  # a closure's marker answers retries for 400 days


class ClosedAccounts:
    def __init__(self, wallet: Wallet) -> None:
        self.wallet = wallet
        self._move = scripts.register(wallet.hot.redis, scripts.CLOSED_PAYABLE)

    async def to_payable(self, closure_id: int, player_id: int, currency: str) -> int:
        """Move the whole cash balance to the closed-accounts liability; what moved (the
        same on every retry of `closure_id`)."""
        call_keys = [
            keys.wallet(player_id, currency),
            keys.closed_payable(player_id, closure_id),
            keys.journal_of(player_id),
        ]
        args = [closure_id, player_id, currency, KEEP_MS]
        reply = await self._move(call_keys, args)
        if reply.status is ScriptStatus.NO_WALLET:
            await self.wallet.ensure_hot(player_id, currency)
            reply = await self._move(call_keys, args)
        if reply.status not in (ScriptStatus.OK, ScriptStatus.ALREADY):
            raise RuntimeError(f"closed_payable answered {reply.status}")
        return reply.integer("moved")
