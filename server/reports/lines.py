"""What each money event adds to the reports: one `Line` per event, or nothing. Pure.

The reports add columns up, so each event puts each amount in the column of what it is:
our settled rounds and providers' bets and wins are `stake` and `win` (a rolled-back
provider bet takes its stake back: a negative stake; a voided round of ours moved nothing);
a bonus grant is `bonus_cost`, and what an ended bonus gave back to the operator takes it
off; a deposit is what the gateway paid in (before any chargeback debt it repaid, as the
ledger's deposit transfer); a withdrawal is counted when its money is paid out. Each figure
is the same amount the ledger transfer of that movement carries, so the reports agree with
the ledger to the cent. Events that move no money (logins, KYC, limits...) give no line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from server.events.catalogue import (
    BalanceAdjusted,
    BonusEnded,
    BonusGranted,
    Chargeback,
    DebtRepaid,
    Deposited,
    Event,
    ProviderMovement,
    RoundSettled,
    WithdrawalFunds,
)

HOUSE = "house"  # the provider column of our own games, as `GET /api/games` names it


@dataclass(frozen=True, slots=True)
class Line:
    event_id: str
    player_id: int
    at_ms: int
    kind: str
    currency: str
    provider: str = ""
    game: str = ""
    round_key: str = ""  # one per round, across providers: what `rounds` counts
    stake: int = 0
    win: int = 0
    bonus_cost: int = 0
    deposit: int = 0
    withdrawal: int = 0
    # The statement's movement: the change to all the player's funds in the currency (cash,
    # bonus and funds locked for a withdrawal), so a statement adds up to what the ledger
    # holds for the player. Locking cash for a withdrawal changes nothing; paying it out does.
    amount: int = 0
    balance: int | None = None  # cash after, when the event says
    reference: str = ""

    @property
    def day(self) -> str:
        return day_of(self.at_ms)


def day_of(at_ms: int) -> str:
    """The UTC day (YYYY-MM-DD) of a time: the reports' day."""
    return datetime.fromtimestamp(at_ms / 1000, UTC).strftime("%Y-%m-%d")


def line_of(event: Event) -> Line | None:
    """The report line of `event`; None for an event that moves no money."""
    base = (event.id, event.player_id, event.at_ms)
    match event:
        case RoundSettled(voided=True):
            return None  # the stake was only ever held, and came back whole
        case RoundSettled():
            return Line(
                *base, kind="round", currency=event.currency, provider=HOUSE, game=event.game,
                round_key=f"{HOUSE}:{event.round_id}", stake=event.stake, win=event.win,
                amount=event.win - event.stake, balance=event.balance,
                reference=f"round:{event.round_id}",
            )  # fmt: skip
        case ProviderMovement():
            signed = {"bet": -event.amount, "win": event.amount, "rollback": event.amount}
            return Line(
                *base, kind=f"provider_{event.action}", currency=event.currency,
                provider=event.provider_id, game=event.game,
                round_key=f"{event.provider_id}:{event.round_id}",
                stake=event.amount if event.action == "bet" else
                -event.amount if event.action == "rollback" else 0,
                win=event.amount if event.action == "win" else 0,
                amount=signed[event.action], balance=event.balance,
                reference=f"provider:{event.provider_id}:{event.transaction_id}",
            )  # fmt: skip
        case Deposited():
            return Line(
                *base, kind="deposit", currency=event.currency, provider=event.gateway,
                deposit=event.amount, amount=event.amount,
                reference=f"deposit:{event.deposit_id}",
            )  # fmt: skip
        case DebtRepaid():
            return Line(
                *base, kind="debt_repaid", currency=event.currency, amount=-event.amount,
                reference=f"deposit:{event.deposit_id}",
            )  # fmt: skip
        case WithdrawalFunds():
            return Line(
                *base, kind=f"withdrawal_{event.action}", currency=event.currency,
                withdrawal=event.amount if event.action == "paid" else 0,
                amount=-event.amount if event.action == "paid" else 0,
                balance=event.balance, reference=f"payment:{event.payment_id}",
            )  # fmt: skip
        case BonusGranted():
            return Line(
                *base, kind=f"bonus_granted_{event.to}", currency=event.currency,
                bonus_cost=event.amount, amount=event.amount, balance=event.balance,
                reference=f"bonus:{event.award}",
            )  # fmt: skip
        case BonusEnded():
            return Line(
                *base, kind=f"bonus_{event.outcome}", currency=event.currency,
                bonus_cost=-event.to_cost, amount=-event.to_cost, balance=event.balance,
                reference=f"bonus:{event.award}",
            )  # fmt: skip
        case BalanceAdjusted():
            return Line(
                *base, kind="adjustment", currency=event.currency, amount=event.amount,
                balance=event.balance, reference=f"adjustment:{event.adjustment_id}",
            )  # fmt: skip
        case Chargeback():
            return Line(
                *base, kind="chargeback", currency=event.currency, amount=-event.taken,
                balance=event.balance, reference=f"dispute:{event.dispute_id}",
            )  # fmt: skip
    return None
