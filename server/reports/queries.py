"""The reports, read from the reporting store (`report_lines`) and, for liabilities, the
ledger's balances (server/money/liabilities.py). Reads only.

A day is a UTC day (YYYY-MM-DD), and a period is from its first day to its last, both
included. Gaming figures: stakes and wins of our rounds and providers' (a rolled-back
provider bet takes its stake back); GGR = stakes - wins; bonus cost = bonus granted less
what ended bonuses gave back to the operator; NGR = GGR - bonus cost. `players` counts the
players who staked, `rounds` the rounds staked on. Bonus cost belongs to a day and a
currency, not to a game (a bonus is wagered across games), so the games report has none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from server.money import liabilities
from server.storage.database import Database


@dataclass(frozen=True, slots=True)
class Period:
    first: str
    last: str


def _int(value: Any) -> int:
    return int(value or 0)


def _gaming(stakes: int, wins: int, bonus_cost: int | None = None) -> dict[str, int]:
    figures = {"stakes": stakes, "wins": wins, "ggr": stakes - wins}
    if bonus_cost is not None:
        figures |= {"bonus_cost": bonus_cost, "ngr": stakes - wins - bonus_cost}
    return figures


def _daily_row(row: Sequence[Any]) -> dict[str, Any]:
    currency, stakes, wins, cost, players, rounds, dep, deps, wd, wds = row
    return {
        "currency": str(currency),
        **_gaming(_int(stakes), _int(wins), _int(cost)),
        "players": _int(players),
        "rounds": _int(rounds),
        "deposits": _int(dep),
        "deposit_count": _int(deps),
        "withdrawals": _int(wd),
        "withdrawal_count": _int(wds),
    }


async def daily(db: Database, period: Period, currency: str | None) -> dict[str, Any]:
    """Per day and currency, and per currency over the whole period (`totals`: a player who
    played on two days is one player there)."""
    days = await db.fetchall(
        "SELECT day, currency, SUM(stake), SUM(win), SUM(bonus_cost),"
        " COUNT(DISTINCT CASE WHEN kind IN ('round', 'provider_bet') THEN player_id END),"
        " COUNT(DISTINCT CASE WHEN kind IN ('round', 'provider_bet') THEN round_key END),"
        " SUM(deposit), SUM(CASE kind WHEN 'deposit' THEN 1 ELSE 0 END),"
        " SUM(withdrawal), SUM(CASE kind WHEN 'withdrawal_paid' THEN 1 ELSE 0 END)"
        " FROM report_lines WHERE day >= ? AND day <= ?"
        " AND (CAST(? AS TEXT) IS NULL OR currency = ?)"
        " GROUP BY day, currency ORDER BY day, currency",
        (period.first, period.last, currency, currency),
    )
    totals = await db.fetchall(
        "SELECT currency, SUM(stake), SUM(win), SUM(bonus_cost),"
        " COUNT(DISTINCT CASE WHEN kind IN ('round', 'provider_bet') THEN player_id END),"
        " COUNT(DISTINCT CASE WHEN kind IN ('round', 'provider_bet') THEN round_key END),"
        " SUM(deposit), SUM(CASE kind WHEN 'deposit' THEN 1 ELSE 0 END),"
        " SUM(withdrawal), SUM(CASE kind WHEN 'withdrawal_paid' THEN 1 ELSE 0 END)"
        " FROM report_lines WHERE day >= ? AND day <= ?"
        " AND (CAST(? AS TEXT) IS NULL OR currency = ?) GROUP BY currency ORDER BY currency",
        (period.first, period.last, currency, currency),
    )
    return {
        "rows": [{"day": str(row[0]), **_daily_row(row[1:])} for row in days],
        "totals": [_daily_row(row) for row in totals],
    }


async def games(
    db: Database, period: Period, currency: str | None, provider: str | None, game: str | None
) -> dict[str, Any]:
    """Per day, provider, game and currency."""
    rows = await db.fetchall(
        "SELECT day, provider, game, currency, SUM(stake), SUM(win),"
        " COUNT(DISTINCT CASE WHEN kind IN ('round', 'provider_bet') THEN player_id END),"
        " COUNT(DISTINCT CASE WHEN kind IN ('round', 'provider_bet') THEN round_key END)"
        " FROM report_lines WHERE day >= ? AND day <= ? AND round_key <> ''"
        " AND (CAST(? AS TEXT) IS NULL OR currency = ?)"
        " AND (CAST(? AS TEXT) IS NULL OR provider = ?)"
        " AND (CAST(? AS TEXT) IS NULL OR game = ?)"
        " GROUP BY day, provider, game, currency ORDER BY day, provider, game, currency",
        (period.first, period.last, currency, currency, provider, provider, game, game),
    )
    return {
        "rows": [
            {
                "day": str(day), "provider": str(prov), "game": str(name),
                "currency": str(cur), **_gaming(_int(stakes), _int(wins)),
                "players": _int(players), "rounds": _int(rounds),
            }
            for day, prov, name, cur, stakes, wins, players, rounds in rows
        ]
    }  # fmt: skip


async def liabilities_report(db: Database) -> dict[str, Any]:
    """Per currency: what players hold (cash, bonus, locked) and the operator's liability."""
    return {
        "rows": [
            {
                "currency": found.currency, "cash": found.cash, "bonus": found.bonus,
                "locked": found.locked, "closed_accounts": found.closed, "owed": found.owed,
                "players": found.players,
                "operator_liability": found.operator,
                "balanced": found.owed == found.operator,
            }
            for found in await liabilities.by_currency(db)
        ]
    }  # fmt: skip


async def statement(db: Database, player_id: int, period: Period) -> dict[str, Any]:
    """A player's movements in the period, oldest first, with the opening and closing funds
    (cash, bonus and locked together) per currency; `balance` is the cash after a movement
    where its event says."""
    opening = {
        str(cur): _int(total)
        for cur, total in await db.fetchall(
            "SELECT currency, SUM(amount) FROM report_lines WHERE player_id = ? AND day < ?"
            " GROUP BY currency",
            (player_id, period.first),
        )
    }
    rows = await db.fetchall(
        "SELECT at_ms, kind, currency, provider, game, reference, amount, balance"
        " FROM report_lines WHERE player_id = ? AND day >= ? AND day <= ?"
        " ORDER BY at_ms, event_id",
        (player_id, period.first, period.last),
    )
    closing = dict(opening)
    found = []
    for at_ms, kind, cur, provider, game, reference, amount, balance in rows:
        closing[str(cur)] = closing.get(str(cur), 0) + _int(amount)
        found.append(
            {
                "at_ms": _int(at_ms), "kind": str(kind), "currency": str(cur),
                "provider": str(provider), "game": str(game), "reference": str(reference),
                "amount": _int(amount), "balance": None if balance is None else int(balance),
            }
        )  # fmt: skip
    return {
        "player_id": player_id,
        "lines": found,
        "funds": [
            {"currency": cur, "opening": opening.get(cur, 0), "closing": closing[cur]}
            for cur in sorted(closing)
        ],
    }
