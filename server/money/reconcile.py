"""Reconciliation: proves that Redis, the ledger and the rounds tell the same story.

For every player wallet, three independent figures must agree once the
rounds stream is flushed and no stake is held:
hot cash (Redis) == ledger balance == deposits - stakes + payouts (rounds table)
- provider bets + provider wins + returned provider stakes (provider transactions)
- withdrawals locked or paid out (payments table); and the funds pending withdrawals
hold: Redis `locked` == the ledger's withdrawal_locked account == pending withdrawals.
For the ledger as a whole, every currency sums to zero and every account's
stored balance equals its credits minus its debits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from server.money import keys
from server.money.hot import HotWallet
from server.payments.history import withdrawals_by_wallet
from server.provider.history import net_by_wallet as provider_net_by_wallet
from server.storage.database import Database


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

    @property
    def ok(self) -> bool:
        return (
            self.redis_held == 0
            and self.redis_cash == self.ledger == self.from_history
            and self.redis_locked == self.ledger_locked == self.locked_from_history
        )


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
                f" locked: redis={w.redis_locked} ledger={w.ledger_locked}"
                f" history={w.locked_from_history}"
            )
        out.append("RECONCILED" if self.ok else "MISMATCH")
        return out


async def reconcile(db: Database, hot: HotWallet) -> Report:
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
        " COALESCE((SELECT SUM(amount) FROM deposits d"
        "   WHERE d.player_id = p.id AND d.currency = p.currency), 0),"
        " COALESCE((SELECT SUM(payout - stake) FROM rounds r"
        "   WHERE r.player_id = p.id AND r.currency = p.currency AND r.status = 'settled'), 0)"
        " FROM players p ORDER BY p.id"
    )
    provider_net = await provider_net_by_wallet(db)
    withdrawals = await withdrawals_by_wallet(db)
    for player_id, currency, ledger_balance, ledger_locked, deposits, net_rounds in rows:
        pid, cur = int(player_id), str(currency)
        withdrawn, locked = withdrawals.get((pid, cur), (0, 0))
        report.wallets.append(
            WalletCheck(
                player_id=pid,
                currency=cur,
                redis_cash=await hot.balance(pid, cur),
                redis_held=await hot.held(pid, cur),
                ledger=int(ledger_balance),
                from_history=int(deposits)
                + int(net_rounds)
                + provider_net.get((pid, cur), 0)
                - withdrawn,
                redis_locked=await hot.locked(pid, cur),
                ledger_locked=int(ledger_locked),
                locked_from_history=locked,
            )
        )
    return report
