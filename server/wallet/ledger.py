"""The durable double-entry ledger: accounts, transfers and the balances they imply.

Every movement of money is one transfer from a debit account to a credit
account with a unique idempotency key; posting the same key twice moves
nothing the second time. An account's `balance` column is kept equal to its
credits minus its debits inside the same transaction, and `reconcile` proves
it. Player accounts may never go negative: a transfer that would make one
negative raises `LedgerInvariantError` and rolls the whole transaction back.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.storage.database import Transaction, now_ms


class LedgerInvariantError(RuntimeError):
    pass


class IdempotencyConflict(ValueError):
    """The key was posted before with different accounts or amount."""


@dataclass(frozen=True, slots=True)
class AccountRef:
    code: str
    kind: str
    currency: str
    player_id: int | None
    allow_negative: bool


def player_cash(player_id: int, currency: str) -> AccountRef:
    return AccountRef(
        f"player:{player_id}:cash:{currency}", "player_cash", currency, player_id, False
    )


def game_revenue(currency: str) -> AccountRef:
    return AccountRef(f"house:game_revenue:{currency}", "game_revenue", currency, None, True)


def gateway_clearing(gateway: str, currency: str) -> AccountRef:
    return AccountRef(f"clearing:{gateway}:{currency}", "payment_clearing", currency, None, True)


async def account_id(tx: Transaction, account: AccountRef) -> int:
    """The account's row id, creating the account on first use."""
    await tx.execute(
        "INSERT INTO ledger_accounts (code, kind, player_id, currency, allow_negative)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING",
        (
            account.code,
            account.kind,
            account.player_id,
            account.currency,
            int(account.allow_negative),
        ),
    )
    row = await tx.fetchone("SELECT id FROM ledger_accounts WHERE code = ?", (account.code,))
    assert row is not None
    return int(row[0])


async def post(
    tx: Transaction,
    key: str,
    debit: AccountRef,
    credit: AccountRef,
    amount: int,
    kind: str,
    reference: str,
) -> bool:
    """Post one transfer; False when `key` was already posted with the same terms."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValueError(f"transfer amount must be a positive integer, got {amount!r}")
    if debit.currency != credit.currency:
        raise ValueError("a transfer never crosses currencies")
    debit_id = await account_id(tx, debit)
    credit_id = await account_id(tx, credit)
    inserted = await tx.insert(
        "INSERT INTO ledger_transfers (idempotency_key, debit_account_id, credit_account_id,"
        " amount, currency, kind, reference, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (idempotency_key) DO NOTHING",
        (key, debit_id, credit_id, amount, debit.currency, kind, reference, now_ms()),
    )
    if inserted is None:
        row = await tx.fetchone(
            "SELECT debit_account_id, credit_account_id, amount FROM ledger_transfers"
            " WHERE idempotency_key = ?",
            (key,),
        )
        if row != (debit_id, credit_id, amount):
            raise IdempotencyConflict(f"transfer {key} was posted before with other terms")
        return False
    await tx.execute(
        "UPDATE ledger_accounts SET balance = balance - ? WHERE id = ?", (amount, debit_id)
    )
    await tx.execute(
        "UPDATE ledger_accounts SET balance = balance + ? WHERE id = ?", (amount, credit_id)
    )
    if not debit.allow_negative:
        row = await tx.fetchone("SELECT balance FROM ledger_accounts WHERE id = ?", (debit_id,))
        if row is None or int(row[0]) < 0:
            raise LedgerInvariantError(f"transfer {key} would overdraw {debit.code}")
    return True


async def balance(tx: Transaction, account: AccountRef) -> int:
    row = await tx.fetchone("SELECT balance FROM ledger_accounts WHERE code = ?", (account.code,))
    return int(row[0]) if row else 0
