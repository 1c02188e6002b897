"""The ids a log line carries: request, player, round and transaction, in contextvars.

An HTTP request and a WebSocket request each run in their own task (a task
copies the context it was started from), so an id bound while handling one
shows on every line logged beneath it and never on another request's lines.
Ids only: a log line names who and what, never a value that is personal data.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar, Token

FIELDS = ("request_id", "player_id", "round_id", "transaction_id")

_VARS: dict[str, ContextVar[str | None]] = {
    name: ContextVar(f"casino_{name}", default=None) for name in FIELDS
}

Bound = list[tuple[str, Token[str | None]]]


def bind(
    *,
    request_id: str | None = None,
    player_id: int | str | None = None,
    round_id: str | None = None,
    transaction_id: str | None = None,
) -> Bound:
    """Bind the given ids (None leaves an id as it was); `reset` undoes exactly this."""
    given = {
        "request_id": request_id,
        "player_id": player_id,
        "round_id": round_id,
        "transaction_id": transaction_id,
    }
    return [
        (name, _VARS[name].set(str(value))) for name, value in given.items() if value is not None
    ]


def reset(bound: Bound) -> None:
    for name, token in reversed(bound):
        _VARS[name].reset(token)


@contextlib.contextmanager
def bound(
    *,
    request_id: str | None = None,
    player_id: int | str | None = None,
    round_id: str | None = None,
    transaction_id: str | None = None,
) -> Iterator[None]:
    tokens = bind(
        request_id=request_id,
        player_id=player_id,
        round_id=round_id,
        transaction_id=transaction_id,
    )
    try:
        yield
    finally:
        reset(tokens)


def current() -> dict[str, str]:
    """The ids bound here and now, for the log formatter."""
    found = {}
    for name, var in _VARS.items():
        value = var.get()
        if value is not None:
            found[name] = value
    return found
