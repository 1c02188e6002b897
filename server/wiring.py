"""What a process plugs into the seams that lower floors define and cannot fill themselves.

Money's reconciliation must hear each domain's own figure (`histories`), and the backlog
gauges of observability must be told which of money's keys to read (`backlog_keys`).
Neither lower floor may import the one that fills it, so the server (`server/app.py`)
and every process that is not the server (`run.py reconcile`, `run.py doctor`, the bench,
the soak, the tests) take them from here instead of listing them by hand. This module
builds nothing and opens nothing: it only names what to plug in.
"""

from __future__ import annotations

from server.money import keys
from server.money.reconcile import History
from server.observability.backlog import Watched
from server.payments.history import withdrawals_by_wallet


def histories() -> tuple[History, ...]:
    """Every domain's record of money it moved that money's own tables do not hold."""
    return (withdrawals_by_wallet,)


def backlog_keys() -> tuple[Watched, ...]:
    """Money's journal, due-reservation and dead-letter keys, one triple per shard."""
    return tuple(
        Watched(keys.journal(k), keys.due(k), keys.dead_letters(k)) for k in range(keys.SHARDS)
    )
