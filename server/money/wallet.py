"""The wallet as the rest of the server sees it: durable ledger plus hot Redis balance.

Credits from outside (deposits) are written to the ledger first and applied to
Redis second, each exactly once; stakes and wins move in Redis first and reach
the ledger through the rounds stream. A missing hot wallet (a fresh Redis) is
rebuilt from the ledger, never guessed. A deposit first repays what the player owes
after a chargeback (the ledger's debt account), in its own write transaction, so only
the rest reaches the cash; the ledger and Redis see the same rest, and a retry or a
recovery credits it once. A deposit given a daily limit (sandbox
deposits: play money from nowhere) is refused when the player's deposits
through that gateway in the last 24 hours would pass it; the sum is taken and
the deposit written in one write transaction, so concurrent deposits, from
any worker process, cannot pass the limit together.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from server.events import outbox
from server.events.catalogue import DebtRepaid, Deposited
from server.money import deposit_rules, ledger
from server.money.deposit_rules import DepositAttempt
from server.money.hot import HotWallet
from server.storage.database import Database, Transaction, now_ms

log = logging.getLogger(__name__)

SANDBOX = "sandbox"
DAY_MS = 24 * 3600 * 1000


class DepositConflict(ValueError):
    """The idempotency key was used for a different deposit."""


class DepositLimitReached(ValueError):
    """The deposit would take the player's last 24 hours of deposits past the daily limit."""

    def __init__(self, limit: int, remaining: int) -> None:
        super().__init__(
            f"deposits are limited to {limit} in any 24 hours; {remaining} may still be deposited"
        )
        self.limit = limit
        self.remaining = remaining


@dataclass(frozen=True, slots=True)
class Deposit:
    deposit_id: int
    amount: int
    currency: str
    balance: int
    replayed: bool  # True when this key had already been deposited
    debt_repaid: int = 0  # what went to the player's chargeback debt before their cash


# Told of each new deposit once it is spendable: (player id, currency, deposit id, what
# reached the cash: the amount less what repaid a chargeback debt).
# The bonus engine's deposit match plugs in here at start-up; a hook's failure is logged and
# never undoes the deposit.
DepositHook = Callable[[int, str, int, int], Awaitable[None]]


class Wallet:
    def __init__(self, db: Database, hot: HotWallet) -> None:
        self.db = db
        self.hot = hot
        self.on_deposit: list[DepositHook] = []

    async def balance(self, player_id: int, currency: str) -> int:
        cash = await self.hot.balance(player_id, currency)
        return cash if cash is not None else await self.ensure_hot(player_id, currency)

    async def ensure_hot(self, player_id: int, currency: str) -> int:
        """The hot cash balance, hydrating it from the ledger if Redis has no wallet."""
        cash = await self.hot.balance(player_id, currency)
        if cash is not None:
            return cash
        # One statement, so the balance and the mark come from the same snapshot.
        row = await self.db.fetchone(
            "SELECT (SELECT balance FROM ledger_accounts WHERE code = ?),"
            " (SELECT MAX(id) FROM ledger_transfers),"
            " (SELECT balance FROM ledger_accounts WHERE code = ?)",
            (
                ledger.player_cash(player_id, currency).code,
                ledger.player_bonus(player_id, currency).code,
            ),
        )
        balance = int(row[0] or 0) if row else 0
        mark = int(row[1] or 0) if row else 0
        bonus = int(row[2] or 0) if row else 0
        log.debug("hydrating hot wallet of player %s %s from the ledger", player_id, currency)
        return await self.hot.hydrate(player_id, currency, balance, mark, bonus)

    async def deposit(
        self,
        player_id: int,
        currency: str,
        amount: int,
        idempotency_key: str,
        gateway: str = SANDBOX,
        daily_limit: int | None = None,
        screened: bool = False,
    ) -> Deposit:
        """A deposit (sandbox, or one a payment gateway confirmed): durable first, then the
        hot balance; a repeated key is a no-op (answered even when the limit is reached
        since). With `daily_limit`, DepositLimitReached when this player's deposits through
        `gateway` in this currency over the last 24 hours, this one included, would pass it.
        The deposit rules (`deposit_rules`) run in the same transaction unless `screened`
        (a gateway deposit met them when its payment was created); their refusal is raised."""
        created_at = now_ms()
        async with self.db.transaction() as tx:
            deposit_id = await tx.insert(
                "INSERT INTO deposits (player_id, idempotency_key, gateway, amount, currency,"
                " status, created_at) VALUES (?, ?, ?, ?, ?, 'completed', ?)"
                " ON CONFLICT (player_id, idempotency_key) DO NOTHING",
                (player_id, idempotency_key, gateway, amount, currency, created_at),
            )
            replayed = deposit_id is None
            if deposit_id is None:
                row = await tx.fetchone(
                    "SELECT id, amount, currency, debt_repaid FROM deposits"
                    " WHERE player_id = ? AND idempotency_key = ?",
                    (player_id, idempotency_key),
                )
                assert row is not None
                if (row[1], row[2]) != (amount, currency):
                    raise DepositConflict("idempotency key already used for another deposit")
                deposit_id, repaid = int(row[0]), int(row[3])
            else:
                if not screened:
                    refusal = await deposit_rules.refuse_deposit(
                        tx,
                        DepositAttempt(
                            player_id, currency, amount, f"deposit:{deposit_id}", created_at
                        ),
                    )
                    if refusal is not None:
                        raise refusal  # rolls the insert back
                if daily_limit is not None:
                    # Summed after the insert, inside the same write transaction (SQLite's
                    # BEGIN IMMEDIATE: one writer at a time): a concurrent deposit either
                    # committed before and is counted, or waits and counts this one.
                    # (PostgreSQL will need the player's row locked first: FOR UPDATE.)
                    # Raising rolls the insert back.
                    row = await tx.fetchone(
                        "SELECT COALESCE(SUM(amount), 0) FROM deposits WHERE player_id = ?"
                        " AND gateway = ? AND currency = ? AND created_at > ?",
                        (player_id, gateway, currency, created_at - DAY_MS),
                    )
                    total = int(row[0]) if row else amount
                    if total > daily_limit:
                        raise DepositLimitReached(daily_limit, max(daily_limit - total + amount, 0))
                await ledger.post(
                    tx,
                    _deposit_key(deposit_id),
                    ledger.gateway_clearing(gateway, currency),
                    ledger.player_cash(player_id, currency),
                    amount,
                    kind="deposit",
                    reference=f"deposit:{deposit_id}",
                )
                await outbox.emit(
                    tx,
                    Deposited(
                        id=f"deposit:{deposit_id}", player_id=player_id, at_ms=created_at,
                        deposit_id=deposit_id, amount=amount, currency=currency, gateway=gateway,
                    ),
                )  # fmt: skip
                repaid = await _repay_debt(tx, deposit_id, player_id, currency, amount)
        cash = await self._apply_deposit(deposit_id, player_id, currency, amount - repaid)
        # The hooks (the bonus engine's deposit match) are told what reached the cash: a
        # deposit that repaid a chargeback debt first qualifies with the rest only, and one that
        # only repaid debt qualifies for nothing.
        if not replayed and amount - repaid > 0:
            for hook in self.on_deposit:
                try:
                    await hook(player_id, currency, deposit_id, amount - repaid)
                except Exception:  # the deposit stands whatever a promotion makes of it
                    log.exception("deposit hook failed for deposit %s", deposit_id)
            cash = await self.balance(player_id, currency)
        return Deposit(deposit_id, amount, currency, cash, replayed, repaid)

    async def debt_repaid(self, player_id: int, currency: str) -> int:
        """What this player's deposits have repaid of chargeback debts in `currency`."""
        row = await self.db.fetchone(
            "SELECT COALESCE(SUM(debt_repaid), 0) FROM deposits WHERE player_id = ?"
            " AND currency = ?",
            (player_id, currency),
        )
        return int(row[0]) if row else 0

    async def _apply_deposit(
        self, deposit_id: int, player_id: int, currency: str, amount: int
    ) -> int:
        """Credit what reached the cash (`amount`: the deposit less what it repaid), once."""
        key = _deposit_key(deposit_id)
        row = await self.db.fetchone(
            "SELECT id FROM ledger_transfers WHERE idempotency_key = ?", (key,)
        )
        assert row is not None, f"deposit {deposit_id} has no ledger transfer"
        await self.ensure_hot(player_id, currency)
        cash = await self.hot.credit(player_id, currency, key, int(row[0]), amount)
        if cash is None:  # the wallet vanished between the two calls; rebuild it from the ledger
            cash = await self.ensure_hot(player_id, currency)
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE deposits SET credited_at = ? WHERE id = ? AND credited_at IS NULL",
                (now_ms(), deposit_id),
            )
        return cash

    async def recover_credits(self) -> int:
        """Apply every durable deposit that never reached Redis (a crash between the two)."""
        rows = await self.db.fetchall(
            "SELECT id, player_id, currency, amount - debt_repaid FROM deposits"
            " WHERE credited_at IS NULL"
        )
        for deposit_id, player_id, currency, amount in rows:
            await self._apply_deposit(int(deposit_id), int(player_id), str(currency), int(amount))
        if rows:
            log.info("applied %d deposits left durable but uncredited", len(rows))
        return len(rows)


def _deposit_key(deposit_id: int) -> str:
    return f"deposit:{deposit_id}"


async def _repay_debt(
    tx: Transaction, deposit_id: int, player_id: int, currency: str, amount: int
) -> int:
    """Move what the player owes after chargebacks (at most the deposit) from their cash to
    their debt account, in the deposit's transaction; what moved. The debt is the ledger's,
    so a chargeback the flusher has not written yet is repaid by a later deposit."""
    debt = ledger.player_debt(player_id, currency)
    row = await tx.fetchone("SELECT balance FROM ledger_accounts WHERE code = ?", (debt.code,))
    owed = max(-int(row[0]), 0) if row else 0  # the debt account is negative while owed
    repaid = min(owed, amount)
    if repaid == 0:
        return 0
    await ledger.post(
        tx,
        f"{_deposit_key(deposit_id)}:debt_repaid",
        ledger.player_cash(player_id, currency),
        debt,
        repaid,
        kind="debt_repaid",
        reference=f"deposit:{deposit_id}",
    )
    await tx.execute("UPDATE deposits SET debt_repaid = ? WHERE id = ?", (repaid, deposit_id))
    await outbox.emit(
        tx,
        DebtRepaid(
            id=f"debt_repaid:{deposit_id}", player_id=player_id, at_ms=now_ms(),
            deposit_id=deposit_id, amount=repaid, currency=currency, owed=owed - repaid,
        ),
    )  # fmt: skip
    return repaid
