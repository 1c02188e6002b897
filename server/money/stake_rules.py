"""Every rule that can refuse a stake, for our own games and providers' alike: `refuse_stake`.

This is the reserve path's one seam (DESIGN.md, "Design now for what comes
later"): account restrictions today; responsible-gambling limits, time-outs
and self-exclusion, bonus max-bet and jurisdiction rules are each one more
`StakeRule` in `RULES`, and both paths that take stakes (`server/rounds/play.py`
for our games, `server/provider/rules.py` for providers' bets) meet them with no
other change. Rules run before any money moves and only for a new stake, never
for a retry of one already taken. Funds are the one rule not here: the reserve
and bet scripts check them in the same atomic step as the move, because a check
made here could be stale by the time the money moves.

A refusal is the server's one refusal, `protocol.errors.Refused`, with the code
and message the player sees; the provider path reads its code in the provider
API's vocabulary through `server/provider/status.py`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from protocol.errors import ErrorCode, Refused

HOUSE = "house"  # the `provider` of our own games


@dataclass(frozen=True, slots=True)
class StakeAttempt:
    player_id: int
    player_status: str  # accounts' `players.status`: only "active" may stake
    currency: str
    provider: str  # HOUSE, or the provider id
    game: str  # our game id, or the provider's game code
    amount: int  # minor units of `currency`


StakeRule = Callable[[StakeAttempt], Awaitable[Refused | None]]


async def account_open(attempt: StakeAttempt) -> Refused | None:
    if attempt.player_status == "active":
        return None
    return Refused(ErrorCode.ACCOUNT_RESTRICTED, "this account may not place stakes")


RULES: tuple[StakeRule, ...] = (account_open,)
# Rules other domains plug in at wiring time (`plug`), by name, so wiring a second app in one
# process replaces a rule instead of running it twice. They run after `RULES`.
PLUGGED: dict[str, StakeRule] = {}


def plug(name: str, rule: StakeRule) -> None:
    PLUGGED[name] = rule


async def refuse_stake(
    attempt: StakeAttempt, rules: Sequence[StakeRule] | None = None
) -> Refused | None:
    """The first rule's refusal, or None when every rule lets the stake through."""
    for rule in (*RULES, *PLUGGED.values()) if rules is None else rules:
        refusal = await rule(attempt)
        if refusal is not None:
            return refusal
    return None
