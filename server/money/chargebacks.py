"""Chargebacks in the hot wallet: a lost dispute takes its deposit back from cash, once.

The script takes at most what the cash holds (cash never goes negative) and
tells how much it took; the ledger then records the rest as the player's debt
(server/money/journal/payments.py `write_chargeback`). The movement is appended
to the rounds stream in the same step, so the ledger follows in order.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from server.money import keys, scripts
from server.money.scripts import ScriptReply

KEEP_MS = 400 * 24 * 3600 * 1000  # a chargeback's record answers redeliveries for 400 days


class Chargebacks:
    def __init__(self, client: aioredis.Redis) -> None:
        self._charge = scripts.register(client, scripts.CHARGEBACK)

    async def charge(
        self, dispute_id: int, player_id: int, currency: str, amount: int, gateway: str
    ) -> ScriptReply:
        """OK or ALREADY (cash after, taken from cash), or NO_WALLET (hydrate, then retry)."""
        return await self._charge(
            [
                keys.wallet(player_id, currency),
                keys.chargeback(player_id, dispute_id),
                keys.journal_of(player_id),
                keys.events_of(player_id),
                *keys.push_keys(player_id),
            ],
            [dispute_id, player_id, currency, amount, gateway, KEEP_MS],
        )
