"""The wallet's sub-balances and the one rule that moves money between them and the games.

A player's wallet in one currency holds three sub-balances: `cash` (the player's own,
withdrawable), `bonus` (granted by the bonus engine, playable, not withdrawable) and `locked`
(cash taken out of play by a pending withdrawal, never staked). This module states, without
any I/O, the two rules every stake and every payout obey; the Lua include
`server/money/lua/_spend.lua` applies the same rules inside the scripts, and
`tests/test_balances_lua.py` holds the two equal.

Invariants (attacked by `tests/test_balances.py`):
- Spending order: a stake is taken from cash first, then from bonus. Bonus is never spent
  while cash covers the stake, and locked funds are never spent.
- A stake's parts are never negative and sum to the stake.
- A payout (a win, or a returned stake) is split in proportion to the stake's parts, so money
  won with bonus stays bonus until the bonus engine releases it. The bonus part is
  `payout * from_bonus // stake` (rounded down) and cash gets the rest: the parts sum to the
  payout exactly, a cash-only stake pays cash only, and a stake returned whole goes back to
  exactly the parts it came from. The rounding remainder (under one minor unit per payout)
  goes to cash, the player's side, so rounding never turns a player's cash into bonus.
- A payout for a zero stake (a provider's free bet) is all cash: there is no proportion.
"""

from __future__ import annotations

from dataclasses import dataclass


class InsufficientFunds(ValueError):
    """Cash and bonus together do not cover the stake."""


@dataclass(frozen=True, slots=True)
class Parts:
    """An amount as the wallet moves it: how much of it is cash and how much is bonus."""

    cash: int
    bonus: int

    def __post_init__(self) -> None:
        if self.cash < 0 or self.bonus < 0:
            raise ValueError(f"sub-balance parts are never negative, got {self!r}")

    @property
    def total(self) -> int:
        return self.cash + self.bonus


def spendable(cash: int, bonus: int) -> int:
    """What a stake may take: cash and bonus, never locked funds."""
    return cash + bonus


def split_stake(stake: int, cash: int, bonus: int) -> Parts:
    """The parts of `stake` taken from a wallet holding `cash` and `bonus`: cash first."""
    if stake < 0:
        raise ValueError(f"a stake is never negative, got {stake}")
    if stake > spendable(cash, bonus):
        raise InsufficientFunds(f"stake {stake} exceeds cash {cash} + bonus {bonus}")
    from_cash = min(stake, max(cash, 0))
    return Parts(from_cash, stake - from_cash)


def split_payout(payout: int, stake: Parts) -> Parts:
    """The parts of `payout` for a stake taken as `stake`: in proportion, remainder to cash."""
    if payout < 0:
        raise ValueError(f"a payout is never negative, got {payout}")
    if stake.total == 0:
        return Parts(payout, 0)
    to_bonus = payout * stake.bonus // stake.total
    return Parts(payout - to_bonus, to_bonus)
