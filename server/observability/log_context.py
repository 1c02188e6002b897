"""The ids a log line carries: request, player, round and transaction, in a contextvar.

An HTTP request and a WebSocket request each run in their own task (a task
copies the context it was started from), so an id bound while handling one
shows on every line logged beneath it and never on another request's lines.
Ids only: a log line names who and what, never a value that is personal data.

All four ids live in one tuple in one ContextVar: every bet binds them, and one
`get` plus one `set` costs a fraction of a variable per id.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar, Token

FIELDS = ("request_id", "player_id", "round_id", "transaction_id")

Ids = tuple[str | None, str | None, str | None, str | None]  # in the order of FIELDS

_IDS: ContextVar[Ids] = ContextVar("casino_log_ids", default=(None, None, None, None))

Bound = Token[Ids]


def bind(
    *,
    request_id: str | None = None,
    player_id: int | str | None = None,
    round_id: str | None = None,
    transaction_id: str | None = None,
) -> Bound:
    """Bind the given ids (None leaves an id as it was); `reset` undoes exactly this."""
    request, player, round_, transaction = _IDS.get()
    return _IDS.set(
        (
            request if request_id is None else request_id,
            player if player_id is None else str(player_id),
            round_ if round_id is None else round_id,
            transaction if transaction_id is None else transaction_id,
        )
    )


def reset(bound: Bound) -> None:
    _IDS.reset(bound)


@contextlib.contextmanager
def bound(
    *,
    request_id: str | None = None,
    player_id: int | str | None = None,
    round_id: str | None = None,
    transaction_id: str | None = None,
) -> Iterator[None]:
    token = bind(
        request_id=request_id,
        player_id=player_id,
        round_id=round_id,
        transaction_id=transaction_id,
    )
    try:
        yield
    finally:
        reset(token)


def current() -> dict[str, str]:
    """The ids bound here and now, for the log formatter."""
    return {
        name: value for name, value in zip(FIELDS, _IDS.get(), strict=True) if value is not None
    }
