"""Reconciliation: proves that Redis, the ledger and the rounds tell the same story.

For every player wallet, three independent figures must agree once the
rounds stream is flushed and no stake is held:
hot cash (Redis) == the ledger's cash account; hot bonus (Redis) == the ledger's bonus
account; the two ledger accounts together == deposits (less what they repaid of a
chargeback debt) - stakes + payouts (rounds table)
- provider bets + provider wins + returned provider stakes (provider transactions)
- withdrawals locked or paid out (payments table); and the funds pending withdrawals
hold: Redis `locked` == the ledger's withdrawal_locked account == pending withdrawals.
(The history figure is of cash and bonus together because the history tables do not split
stakes and payouts; bonus grants and what expiry or forfeiture removed join it, from
`bonus_movements`.)
For the ledger as a whole, every currency sums to zero and every account's
stored balance equals its credits minus its debits.

Money reads the history of the tables its own journal writes (rounds, provider
transactions) and the deposits it writes itself. A table that a domain writes
(payments) is read by that domain, through the `History` seam: the domain
implements it and the process registers it at wiring time (`server/wiring.py`), so
money never imports a domain. A movement of money that a domain records must have
its `History` registered, or the wallets it touched show a mismatch.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from server.money import keys
from server.money.hot import HotWallet
from server.storage.database import Database


@dataclass(frozen=True, slots=True)
class Movements:
    """What one domain's own records say it did to one wallet, independently of the ledger."""

    cash: int  # added to the player's cash, in minor units (negative: taken out)
    locked: int = 0  # still held in the wallet's withdrawal-locked funds


# (player id, currency) -> that wallet's movements; wallets the domain never touched are absent.
History = Callable[[Database], Awaitable[Mapping[tuple[int, str], Movements]]]


async def provider_history(db: Database) -> dict[tuple[int, str], Movements]:
    """Provider play's part: wins plus returned stakes minus stakes, per wallet.

    `provider_transactions` is money's own table (only the journal's provider writers
    write it, in the transaction that posts the ledger transfer), so its figure is read
    here, as the rounds table's is, rather than through the provider domain.
    """
    rows = await db.fetchall(
        "SELECT player_id, currency, SUM(CASE kind WHEN 'bet' THEN -amount"
        " WHEN 'win' THEN amount WHEN 'rollback' THEN amount ELSE 0 END)"
        " FROM provider_transactions GROUP BY player_id, currency"
    )
    return {(int(pid), str(cur)): Movements(int(net)) for pid, cur, net in rows}


async def bonus_history(db: Database) -> dict[tuple[int, str], Movements]:
    """The bonus engine's part: grants in, expiries and forfeitures out (a conversion moves
    bonus to cash and changes neither's sum), from money's own `bonus_movements` table."""
    rows = await db.fetchall(
        "SELECT player_id, currency, SUM(cash + bonus) FROM bonus_movements"
        " GROUP BY player_id, currency"
    )
    return {(int(pid), str(cur)): Movements(int(net)) for pid, cur, net in rows}


@dataclass(frozen=True, slots=True)
class WalletCheck:
    player_id: int
    currency: str
    redis_cash: int | None
    redis_held: int
    ledger: int
    from_history: int
    redis_locked: int = 0
    ledger_locked: int = 0
    locked_from_history: int = 0
    redis_bonus: int = 0
    ledger_bonus: int = 0

    @property
    def ok(self) -> bool:
        return not self.mismatched

    @property
    def mismatched(self) -> list[str]:
        """The sub-balances (and `held`) whose figures disagree: what an operator looks at."""
        return [
            name
            for name, agrees in (
                ("held", self.redis_held == 0),
                ("cash", self.redis_cash == self.ledger),
                ("bonus", self.redis_bonus == self.ledger_bonus),
                ("history", self.ledger + self.ledger_bonus == self.from_history),
                ("locked", self.redis_locked == self.ledger_locked == self.locked_from_history),
            )
            if not agrees
        ]


@dataclass(slots=True)
class Report:
    wallets: list[WalletCheck] = field(default_factory=list)
    currency_sums: dict[str, int] = field(default_factory=dict)
    drifted_accounts: list[str] = field(default_factory=list)
    stream_backlog: int = 0
    dead_letters: int = 0  # stream entries the flusher quarantined: money not yet in the ledger

    @property
    def ok(self) -> bool:
        return (
            all(w.ok for w in self.wallets)
            and all(total == 0 for total in self.currency_sums.values())
            and not self.drifted_accounts
            and self.stream_backlog == 0
            and self.dead_letters == 0
        )

    def lines(self) -> list[str]:
        out = [
            f"stream backlog: {self.stream_backlog}",
            f"quarantined stream entries: {self.dead_letters}",
            "ledger sums by currency: "
            + (", ".join(f"{c}={v}" for c, v in sorted(self.currency_sums.items())) or "none"),
            f"accounts whose balance != credits - debits: {self.drifted_accounts or 'none'}",
        ]
        for w in self.wallets:
            mark = "ok " if w.ok else "BAD"
            out.append(
                f"{mark} player {w.player_id} {w.currency}: redis={w.redis_cash}"
                f" held={w.redis_held} ledger={w.ledger} history={w.from_history}"
                f" bonus: redis={w.redis_bonus} ledger={w.ledger_bonus}"
                f" locked: redis={w.redis_locked} ledger={w.ledger_locked}"
                f" history={w.locked_from_history}"
                + (f" mismatched: {', '.join(w.mismatched)}" if w.mismatched else "")
            )
        out.append("RECONCILED" if self.ok else "MISMATCH")
        return out


async def adjustment_history(db: Database) -> dict[tuple[int, str], Movements]:
    """Manual balance adjustments (signed), from money's own `balance_adjustments` table,
    written with each adjustment's ledger transfer."""
    rows = await db.fetchall(
        "SELECT player_id, currency, SUM(amount) FROM balance_adjustments"
        " GROUP BY player_id, currency"
    )
    return {(int(pid), str(cur)): Movements(int(net)) for pid, cur, net in rows}


async def closed_payable_history(db: Database) -> dict[tuple[int, str], Movements]:
    """Cash of closed accounts moved to the closed-accounts liability, from money's own
    `closed_account_payables` table, written with each move's ledger transfer."""
    rows = await db.fetchall(
        "SELECT player_id, currency, SUM(amount) FROM closed_account_payables"
        " GROUP BY player_id, currency"
    )
    return {(int(pid), str(cur)): Movements(-int(total)) for pid, cur, total in rows}


async def reconcile(db: Database, hot: HotWallet, histories: Sequence[History]) -> Report:
    """Check every wallet and the ledger; `histories` are the domains' own figures (the
    process's are `server.wiring.histories()`)."""
    report = Report()
    for k in range(keys.SHARDS):
        report.stream_backlog += int(await hot.redis.xlen(keys.journal(k)))
        report.dead_letters += int(await hot.redis.xlen(keys.dead_letters(k)))
    for currency, total in await db.fetchall(
        "SELECT currency, SUM(balance) FROM ledger_accounts GROUP BY currency"
    ):
        report.currency_sums[str(currency)] = int(total)
    report.drifted_accounts = [
        str(code)
        for (code,) in await db.fetchall(
            "SELECT a.code FROM ledger_accounts a WHERE a.balance <> COALESCE("
            "(SELECT SUM(amount) FROM ledger_transfers t WHERE t.credit_account_id = a.id), 0)"
            " - COALESCE("
            "(SELECT SUM(amount) FROM ledger_transfers t WHERE t.debit_account_id = a.id), 0)"
        )
    ]
    rows = await db.fetchall(
        "SELECT p.id, p.currency,"
        " COALESCE((SELECT balance FROM ledger_accounts a"
        "   WHERE a.kind = 'player_cash' AND a.player_id = p.id AND a.currency = p.currency), 0),"
        " COALESCE((SELECT balance FROM ledger_accounts a WHERE a.kind = 'withdrawal_locked'"
        "   AND a.player_id = p.id AND a.currency = p.currency), 0),"
        " COALESCE((SELECT balance FROM ledger_accounts a WHERE a.kind = 'player_bonus'"
        "   AND a.player_id = p.id AND a.currency = p.currency), 0),"
        " COALESCE((SELECT SUM(amount - debt_repaid) FROM deposits d"
        "   WHERE d.player_id = p.id AND d.currency = p.currency), 0),"
        " COALESCE((SELECT SUM(payout - stake) FROM rounds r"
        "   WHERE r.player_id = p.id AND r.currency = p.currency AND r.status = 'settled'), 0)"
        " FROM players p ORDER BY p.id"
    )
    told = [
        await provider_history(db),
        await bonus_history(db),
        await adjustment_history(db),
        await closed_payable_history(db),
    ] + [await history(db) for history in histories]
    for (
        player_id,
        currency,
        ledger_balance,
        ledger_locked,
        ledger_bonus,
        deposits,
        net_rounds,
    ) in rows:
        pid, cur = int(player_id), str(currency)
        moved = [by_wallet[(pid, cur)] for by_wallet in told if (pid, cur) in by_wallet]
        report.wallets.append(
            WalletCheck(
                player_id=pid,
                currency=cur,
                redis_cash=await hot.balance(pid, cur),
                redis_held=await hot.held(pid, cur),
                ledger=int(ledger_balance),
                from_history=int(deposits) + int(net_rounds) + sum(m.cash for m in moved),
                redis_locked=await hot.locked(pid, cur),
                ledger_locked=int(ledger_locked),
                locked_from_history=sum(m.locked for m in moved),
                redis_bonus=await hot.bonus(pid, cur),
                ledger_bonus=int(ledger_bonus),
            )
        )
    return report
