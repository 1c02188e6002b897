"""Claims on staff queue items: one staff member holds an item (a pending KYC review, by
player id; a withdrawal or adjustment proposal, or an AML case, by its id) so that two do
not work on it at once, and everyone sees who holds it. A claim is taken if free (or
already one's own), refused with QUEUE_ITEM_CLAIMED naming the holder otherwise, and
released by its holder or an admin. Taking and releasing are on the audit trail, in the
same transaction.

A claim does not gate the decision routes themselves (four eyes and the KYC state machine
judge those); the staff web app offers a decision only on an item one holds.
"""

from __future__ import annotations

from typing import Any

from protocol.errors import ErrorCode, Refused
from server.audit import trail
from server.staff.accounts import StaffMember
from server.staff.roles import Role
from server.storage.database import Database, now_ms

QUEUES = ("kyc", "withdrawals", "aml")


async def claim(db: Database, queue: str, item: int, member: StaffMember, address: str) -> int:
    """Hold `item` of `queue` for `member`; when they claimed it (ms). QUEUE_ITEM_CLAIMED
    when another holds it."""
    async with db.transaction() as tx:
        added = await tx.execute(
            "INSERT INTO queue_claims (queue, item, staff_name, claimed_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (queue, item) DO NOTHING",
            (queue, item, member.name, now_ms()),
        )
        row = await tx.fetchone(
            "SELECT staff_name, claimed_at FROM queue_claims WHERE queue = ? AND item = ?",
            (queue, item),
        )
        assert row is not None
        if str(row[0]) != member.name:
            raise Refused(
                ErrorCode.QUEUE_ITEM_CLAIMED, f"{row[0]} holds this item", holder=str(row[0])
            )
        if added:
            await trail.record(
                tx, member.actor, "queue_claimed", f"{queue}:{item}", "claim", address
            )
    return int(row[1])


async def release(db: Database, queue: str, item: int, member: StaffMember, address: str) -> bool:
    """Let `item` go; True when a claim was released. Only its holder (or an admin) may:
    another's claim is QUEUE_ITEM_CLAIMED."""
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "SELECT staff_name FROM queue_claims WHERE queue = ? AND item = ?", (queue, item)
        )
        if row is None:
            return False
        if str(row[0]) != member.name and member.role is not Role.ADMIN:
            raise Refused(
                ErrorCode.QUEUE_ITEM_CLAIMED, f"{row[0]} holds this item", holder=str(row[0])
            )
        await tx.execute("DELETE FROM queue_claims WHERE queue = ? AND item = ?", (queue, item))
        await trail.record(
            tx, member.actor, "queue_released", f"{queue}:{item}", "release", address,
            {"holder": str(row[0])},
        )  # fmt: skip
    return True


async def held(db: Database, queue: str) -> list[dict[str, Any]]:
    """Every claim of `queue`: item, holder, since when."""
    rows = await db.fetchall(
        "SELECT item, staff_name, claimed_at FROM queue_claims WHERE queue = ? ORDER BY item",
        (queue,),
    )
    return [{"item": int(r[0]), "holder": str(r[1]), "claimed_at": int(r[2])} for r in rows]
