"""The durable double-entry ledger: accounts, transfers and the balances they imply.

Every movement of money is one transfer from a debit account to a credit
account with a unique idempotency key; posting the same key twice moves
nothing the second time. An account's `balance` column is kept equal to its
credits minus its debits inside the same transaction, and `reconcile` proves
it. Player accounts may never go negative: a transfer that would make one
negative raises `LedgerInvariantError` and rolls the whole transaction back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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


def player_bonus(player_id: int, currency: str) -> AccountRef:
    """Bonus money: playable, not withdrawable. Stakes take from it only once cash is spent,
    and wins on what it staked come back to it (`server/money/balances.py`)."""
    return AccountRef(
        f"player:{player_id}:bonus:{currency}", "player_bonus", currency, player_id, False
    )


def player_withdrawal_locked(player_id: int, currency: str) -> AccountRef:
    """Cash a pending withdrawal took out of play until the gateway pays or declines it."""
    return AccountRef(
        f"player:{player_id}:withdrawal_locked:{currency}",
        "withdrawal_locked",
        currency,
        player_id,
        False,
    )


def game_revenue(currency: str) -> AccountRef:
    return AccountRef(f"house:game_revenue:{currency}", "game_revenue", currency, None, True)


def bonus_cost(currency: str) -> AccountRef:
    """The operator's cost of promotions: it funds every grant and takes back bonus money that
    expires, is forfeited or passes a conversion cap."""
    return AccountRef(f"house:bonus_cost:{currency}", "bonus_cost", currency, None, True)


def gateway_clearing(gateway: str, currency: str) -> AccountRef:
    return AccountRef(f"clearing:{gateway}:{currency}", "payment_clearing", currency, None, True)


def chargeback_losses(currency: str) -> AccountRef:
    """The operator's chargeback losses: what the gateway took back for lost disputes, less
    what was recovered from the players' cash or recorded as their debt."""
    return AccountRef(
        f"house:chargeback_losses:{currency}", "chargeback_losses", currency, None, True
    )


def house_adjustments(currency: str) -> AccountRef:
    """The operator's side of manual balance adjustments (four eyes, server/staff): what it
    credited to players' cash (negative) and took from it (positive)."""
    return AccountRef(f"house:adjustments:{currency}", "adjustments", currency, None, True)


def closed_accounts_payable(currency: str) -> AccountRef:
    """What the operator owes closed accounts whose cash no payment method could take back
    (server/staff/closure.py): a liability, paid out by hand once the person is reached."""
    return AccountRef(
        f"house:closed_accounts_payable:{currency}", "closed_accounts_payable", currency, None,
        True,
    )  # fmt: skip


def player_debt(player_id: int, currency: str) -> AccountRef:
    """What a player owes after a chargeback their cash did not cover (negative: owed). Not
    cash, never spendable: the cash account itself never goes below zero."""
    return AccountRef(
        f"player:{player_id}:debt:{currency}", "player_debt", currency, player_id, True
    )


@dataclass(frozen=True, slots=True)
class Transfer:
    key: str  # the idempotency key: posting it twice moves nothing the second time
    debit: AccountRef
    credit: AccountRef
    amount: int
    kind: str
    reference: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool) or self.amount <= 0:
            raise ValueError(f"transfer amount must be a positive integer, got {self.amount!r}")
        if self.debit.currency != self.credit.currency:
            raise ValueError("a transfer never crosses currencies")


def _marks(count: int) -> str:
    return ", ".join("?" * count)


async def account_ids(tx: Transaction, accounts: Iterable[AccountRef]) -> dict[str, int]:
    """Row ids by account code, creating accounts on first use."""
    distinct = {account.code: account for account in accounts}
    await tx.insert_rows(
        "INSERT INTO ledger_accounts (code, kind, player_id, currency, allow_negative)",
        [
            (a.code, a.kind, a.player_id, a.currency, int(a.allow_negative))
            for a in distinct.values()
        ],
        "ON CONFLICT (code) DO NOTHING",
    )
    rows = await tx.fetchall(
        f"SELECT code, id FROM ledger_accounts WHERE code IN ({_marks(len(distinct))})",
        list(distinct),
    )
    return {str(code): int(account_id) for code, account_id in rows}


async def account_id(tx: Transaction, account: AccountRef) -> int:
    """The account's row id, creating the account on first use."""
    return (await account_ids(tx, [account]))[account.code]


async def post_many(tx: Transaction, transfers: Sequence[Transfer]) -> int:
    """Post transfers in a few statements whatever their number; returns how many were new.

    A key posted before with the same terms is skipped; with other terms it raises
    IdempotencyConflict. Balances move by each account's net delta, and every account
    that may not go negative is checked once the whole batch is applied: the ledger
    follows the hot wallet, where no balance ever went below zero, so a negative
    result means money the wallet never had, and the whole transaction rolls back.
    """
    if not transfers:
        return 0
    ids = await account_ids(tx, [a for t in transfers for a in (t.debit, t.credit)])
    keys = [t.key for t in transfers]
    existing = {
        str(key): (int(debit), int(credit), int(amount))
        for key, debit, credit, amount in await tx.fetchall(
            "SELECT idempotency_key, debit_account_id, credit_account_id, amount"
            f" FROM ledger_transfers WHERE idempotency_key IN ({_marks(len(keys))})",
            keys,
        )
    }
    fresh: dict[str, Transfer] = {}
    for t in transfers:
        terms = (ids[t.debit.code], ids[t.credit.code], t.amount)
        seen = existing.get(t.key) or (
            (ids[fresh[t.key].debit.code], ids[fresh[t.key].credit.code], fresh[t.key].amount)
            if t.key in fresh
            else None
        )
        if seen is None:
            fresh[t.key] = t
        elif seen != terms:
            raise IdempotencyConflict(f"transfer {t.key} was posted before with other terms")
    if not fresh:
        return 0
    created = now_ms()
    await tx.insert_rows(
        "INSERT INTO ledger_transfers (idempotency_key, debit_account_id, credit_account_id,"
        " amount, currency, kind, reference, created_at)",
        [
            (t.key, ids[t.debit.code], ids[t.credit.code], t.amount, t.debit.currency, t.kind,
             t.reference, created)
            for t in fresh.values()
        ],
    )  # fmt: skip
    deltas: dict[int, int] = {}
    guarded: set[int] = set()
    for t in fresh.values():
        deltas[ids[t.debit.code]] = deltas.get(ids[t.debit.code], 0) - t.amount
        deltas[ids[t.credit.code]] = deltas.get(ids[t.credit.code], 0) + t.amount
        if not t.debit.allow_negative:
            guarded.add(ids[t.debit.code])
    moved = [(account, delta) for account, delta in deltas.items() if delta]
    if moved:  # one statement for every account, for the reason given at `insert_rows`
        # The CAST: PostgreSQL cannot tell a bare THEN placeholder's type (it guesses text).
        cases = " ".join("WHEN ? THEN CAST(? AS BIGINT)" for _ in moved)
        await tx.execute(
            f"UPDATE ledger_accounts SET balance = balance + CASE id {cases} END"
            f" WHERE id IN ({_marks(len(moved))})",
            [value for pair in moved for value in pair] + [account for account, _ in moved],
        )
    if guarded:
        negative = await tx.fetchall(
            f"SELECT code FROM ledger_accounts WHERE id IN ({_marks(len(guarded))})"
            " AND balance < 0",
            list(guarded),
        )
        if negative:
            raise LedgerInvariantError(f"transfers would overdraw {negative[0][0]}")
    return len(fresh)


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
    return await post_many(tx, [Transfer(key, debit, credit, amount, kind, reference)]) == 1


async def balance(tx: Transaction, account: AccountRef) -> int:
    row = await tx.fetchone("SELECT balance FROM ledger_accounts WHERE code = ?", (account.code,))
    return int(row[0]) if row else 0
