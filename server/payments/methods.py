"""A player's saved payment methods: the gateway's token and a label, never a card number.

A card is tokenised by the gateway (the number passes through this server's memory
on its way there and is neither stored nor logged); the e-wallet and the bank
transfer need no token, and are saved on first use so that every payment names a
method, which the closed-loop rule (server/payments/closed_loop.py) counts by.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.events import outbox
from server.events.catalogue import PaymentMethodSaved
from server.storage.database import Database, now_ms

TYPES = ("card", "ewallet", "bank_transfer")


@dataclass(frozen=True, slots=True)
class Method:
    id: int
    player_id: int
    type: str
    token: str
    label: str

    def for_gateway(self) -> dict[str, str]:
        """How a payment names this method to the gateway."""
        if self.type == "card":
            return {"type": "card", "token": self.token}
        return {"type": self.type}

    def public(self) -> dict[str, Any]:
        return {"method_id": self.id, "type": self.type, "label": self.label}


_SELECT = "SELECT id, player_id, type, token, label FROM payment_methods"


class MethodStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(
        self, player_id: int, kind: str, token: str, label: str, fingerprint: str = ""
    ) -> Method:
        """The player's method with this token, saved on first use; the first save emits
        `PaymentMethodSaved` with the gateway's fingerprint of the instrument (the fraud
        monitor links accounts that share one)."""
        assert kind in TYPES, kind
        async with self.db.transaction() as tx:
            method_id = await tx.insert(
                "INSERT INTO payment_methods (player_id, type, token, label, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (player_id, type, token) DO NOTHING",
                (player_id, kind, token, label, now_ms()),
            )
            if method_id is not None:
                await outbox.emit(
                    tx,
                    PaymentMethodSaved(
                        id=f"payment_method:{method_id}", player_id=player_id, at_ms=now_ms(),
                        method_id=method_id, type=kind, label=label, fingerprint=fingerprint,
                    ),
                )  # fmt: skip
        row = await self.db.fetchone(
            _SELECT + " WHERE player_id = ? AND type = ? AND token = ?", (player_id, kind, token)
        )
        assert row is not None
        return Method(*row)

    async def get(self, player_id: int, method_id: int) -> Method | None:
        row = await self.db.fetchone(
            _SELECT + " WHERE id = ? AND player_id = ?", (method_id, player_id)
        )
        return Method(*row) if row else None

    async def of_player(self, player_id: int) -> list[Method]:
        rows = await self.db.fetchall(_SELECT + " WHERE player_id = ? ORDER BY id", (player_id,))
        return [Method(*row) for row in rows]
