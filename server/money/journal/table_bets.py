"""The `RoundBets` event of a settled table round, built from its journal entry.

The fraud rules want a table round's bets (which pockets, which sides) and how much of its
stake was bonus money (server/risk/: hedged play, minimal-risk play while clearing a
bonus). The journal entry a round's script writes already holds both (`inputs`, with the
game's options, and `stake_bonus`), and the flusher reads every entry anyway, so the
flusher appends the event after the round is durable: the bet's script, the hot path, does
no extra work, and no other domain needs a hook into the rounds. Slot rounds, voided and
expired rounds and free rounds make no event (no bets of the player's to judge).

The event's id is the round's (`bets:ROUND`), so an entry flushed twice (a crash between
the commit and the acknowledgement) gives the same event twice, which consumers dedupe.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from games import catalogue as games
from server.events.catalogue import RoundBets, encode

# The games whose rounds are judged: a table game's bets have sides and coverage to read.
TABLE_GAMES = frozenset(info.id for info in games.infos() if info.kind == "table")

_inputs = msgspec.json.Decoder(dict[str, Any])


def round_bets(fields: dict[str, str]) -> RoundBets | None:
    """The event of one journal entry, or None when the entry is no settled table round of
    the player's own money; an entry whose inputs cannot be read has no options."""
    if fields.get("kind") != "settle" or fields.get("game") not in TABLE_GAMES:
        return None
    if fields.get("free") == "1":
        return None
    options: dict[str, Any] | None = None
    try:
        found = _inputs.decode(fields.get("inputs") or "{}").get("options")
    except msgspec.DecodeError:
        found = None
    if isinstance(found, dict):
        options = found
    return RoundBets(
        id=f"bets:{fields['round_id']}",
        player_id=int(fields["player_id"]),
        at_ms=int(fields["settled_at"]),
        round_id=fields["round_id"],
        game=fields["game"],
        currency=fields["currency"],
        stake=int(fields["stake"]),
        stake_bonus=int(fields.get("stake_bonus") or 0),
        options=options,
    )


def events(entries: Iterable[tuple[str, dict[str, str]]]) -> list[tuple[int, bytes]]:
    """(player id, encoded event) for each table round among `entries`, in their order."""
    found = []
    for _, fields in entries:
        event = round_bets(fields)
        if event is not None:
            found.append((event.player_id, encode(event)))
    return found
