"""Executes a round's money commands against the wallet: the I/O shell of `games.round`.

The pure `Round` decides what may happen; this module does it: reserve the
stake in Redis, draw the outcome, settle (which also appends the round to the
stream) and only then report success. A stake that cannot be reserved moves
nothing; a game that fails after the reserve gets its stake released.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import msgspec
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

import rng
from games import catalogue
from games.base import StakeError
from games.round import Round
from protocol.errors import ErrorCode
from server.accounts.service import Player
from server.rounds.ids import new_round_id
from server.wallet.hot import Refused, Resolved
from server.wallet.service import Wallet

log = logging.getLogger(__name__)

SETTLE_ATTEMPTS = 3


class PlayRefused(Exception):
    def __init__(self, code: ErrorCode, message: str, balance: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.balance = balance


@dataclass(frozen=True, slots=True)
class SpinOutcome:
    round_id: str
    game: str
    stake: int
    payout: int
    balance: int
    outcome: dict[str, Any]


async def spin(wallet: Wallet, player: Player, game_id: str, stake: int) -> SpinOutcome:
    game = catalogue.get(game_id)
    if game is None:
        raise PlayRefused(ErrorCode.UNKNOWN_GAME, f"no game {game_id[:64]!r}")
    try:
        round_ = Round(new_round_id(), game, stake)
    except StakeError as error:
        raise PlayRefused(ErrorCode(error.code), str(error)) from None
    reserve = round_.begin()
    hot = wallet.hot
    held = await hot.reserve(player.id, player.currency, round_.round_id, game_id, reserve.amount)
    if isinstance(held, Refused) and held.reason == "NO_WALLET":
        await wallet.ensure_hot(player.id, player.currency)
        held = await hot.reserve(
            player.id, player.currency, round_.round_id, game_id, reserve.amount
        )
    if isinstance(held, Refused):
        round_.refused()
        if held.reason == "INSUFFICIENT_FUNDS":
            raise PlayRefused(
                ErrorCode.INSUFFICIENT_FUNDS, "balance does not cover the stake", held.cash
            )
        raise PlayRefused(ErrorCode.INTERNAL_ERROR, f"stake could not be held ({held.reason})")
    try:
        settle = round_.reserved(rng.system)
    except Exception:
        log.exception("game %s failed after the stake was held; releasing it", game_id)
        round_.abandon()
        await hot.release(player.id, player.currency, round_.round_id, "voided", only_if_due=False)
        raise PlayRefused(
            ErrorCode.INTERNAL_ERROR, "the game failed; the stake was returned"
        ) from None
    assert settle is not None, "single-step games settle as soon as they start"
    outcome_json = msgspec.json.encode(settle.outcome).decode()
    resolved = await _settle(wallet, player, round_.round_id, settle.payout, outcome_json)
    round_.settled()
    return SpinOutcome(
        round_.round_id, game_id, stake, settle.payout, resolved.cash, settle.outcome
    )


async def _settle(
    wallet: Wallet, player: Player, round_id: str, payout: int, outcome_json: str
) -> Resolved:
    """Settle, retrying a lost connection: the script is idempotent, so a retry after a
    settle whose reply was lost returns the first result instead of paying twice."""
    for attempt in range(1, SETTLE_ATTEMPTS + 1):
        try:
            return await wallet.hot.settle(
                player.id, player.currency, round_id, payout, outcome_json
            )
        except (RedisConnectionError, RedisTimeoutError):
            if attempt == SETTLE_ATTEMPTS:
                raise
            await asyncio.sleep(0.05 * attempt)
    raise AssertionError("unreachable")
