"""Executes a round's money commands against the wallet: the I/O shell of `games.round`.

The pure `Round` decides what may happen; this module does it: reserve the
stake (which also assigns the provably fair nonce), deal from the round's
fair stream, store the state of a round that waits for the player, hold an
action's extra stake, settle (which appends the round to the stream) and only
then report. A stake that cannot be held moves nothing; a game that fails
after the reserve gets its stake released.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass, field
from typing import Any, Protocol

import msgspec
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from games import catalogue
from games.base import ActionError, Game, Options, SingleStepGame, StakeError
from games.round import Phase, Round, Save, Settle
from protocol.errors import ErrorCode, Refused
from protocol.messages import BonusProgress
from rng.fair import FairGenerator
from rng.generator import Generator
from server.money import stake_rules
from server.money.hot import FairState, Reserved, Resolved
from server.money.scripts import ScriptReply, ScriptStatus
from server.money.stake_rules import HOUSE, StakeAttempt
from server.money.wallet import Wallet
from server.observability import log_context, metrics
from server.rounds.fairness import Fairness
from server.rounds.ids import new_round_id

log = logging.getLogger(__name__)

SETTLE_ATTEMPTS = 3
MAX_REDRAWS = 10  # a nonce moved by other sessions this often in a row means trouble
MAX_OPTIONS_BYTES = 8 * 1024


class Account(Protocol):
    """Whose money a round moves: a logged-in `Player`, or an `Owner` named by the sweeper."""

    @property
    def id(self) -> int: ...

    @property
    def currency(self) -> str: ...


class Staker(Account, Protocol):
    """A player starting a round: the stake rules need their account status."""

    @property
    def status(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Owner:
    id: int
    currency: str


@dataclass(frozen=True, slots=True)
class RoundView:
    round_id: str
    game: str
    stake: int  # everything the round has staked so far
    finished: bool
    payout: int
    balance: int
    outcome: dict[str, Any]
    actions: list[str] = field(default_factory=list)
    bonus_progress: BonusProgress | None = None  # a spin that counted towards a bonus


def _json(data: Any) -> str:
    return msgspec.json.encode(data).decode()


def _game(game_id: str) -> Game:
    game = catalogue.get(game_id)
    if game is None:
        raise Refused(ErrorCode.UNKNOWN_GAME, f"no game {game_id[:64]!r}")
    return game


class Rounds:
    """Starts, acts on, resumes and completes rounds of our own games for their players."""

    def __init__(self, wallet: Wallet, fairness: Fairness, round_ttl_ms: int) -> None:
        self.wallet = wallet
        self.fairness = fairness
        self.round_ttl_ms = round_ttl_ms  # how long a round may wait for the player's action
        # Each player's live seed and next nonce as last seen. Only a hint: the spin script
        # checks it and hands back the real one when it moved (another tab, a rotation).
        self._fair: dict[int, FairState] = {}
        # One-step rounds of one player take turns within this process, so they do not race
        # each other for the nonce; only sessions in other processes can still move it.
        self._turns: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    async def start(
        self, player: Staker, game_id: str, stake: int, options: Options = None
    ) -> RoundView:
        game = _game(game_id)
        if options is not None and len(_json(options)) > MAX_OPTIONS_BYTES:
            raise Refused(ErrorCode.INVALID_BET, "options too large")
        try:
            round_ = Round(new_round_id(), game, stake, options)
        except StakeError as error:
            raise Refused(
                ErrorCode(error.code),
                str(error),
                params=_stake_figures(game, error, stake, player.currency),
            ) from None
        attempt = StakeAttempt(player.id, player.status, player.currency, HOUSE, game_id, stake)
        refusal = await stake_rules.refuse_stake(attempt)
        if refusal is not None:
            raise refusal
        log_context.bind(round_id=round_.round_id)  # lasts as long as this request's task
        if isinstance(game, SingleStepGame):
            turn = self._turns.get(player.id)
            if turn is None:  # not setdefault: that would build a lock for every bet
                turn = self._turns[player.id] = asyncio.Lock()
            async with turn:
                return await self._one_step(player, round_)
        reserve = round_.begin()
        held = await self._reserve(player, round_, game_id, reserve.amount)
        if isinstance(held, ScriptReply):
            round_.refused()
            raise _refusal(held, player.currency)
        rng = FairGenerator(held.server_seed, held.client_seed, held.nonce)
        try:
            command = round_.reserved(rng)
        except Exception:
            log.exception("game %s failed after the stake was held; releasing it", game_id)
            round_.abandon()
            await self.wallet.hot.release(
                player.id, player.currency, round_.round_id, "voided", only_if_due=False
            )
            raise Refused(
                ErrorCode.INTERNAL_ERROR, "the game failed; the stake was returned"
            ) from None
        if isinstance(command, Settle):
            return await self._settle(player, round_, command)
        return await self._save(player, round_, command, held.cash)

    async def _one_step(self, player: Account, first: Round) -> RoundView:
        """Draw with the seed and nonce we expect, then reserve, settle and stream in one
        script; if the nonce moved meanwhile, draw again with the one the script returns."""
        hot = self.wallet.hot
        fair = self._fair.get(player.id) or await self._fair_secret(player)
        round_ = first
        for _ in range(MAX_REDRAWS):
            round_.begin()
            try:
                settle = round_.reserved(
                    FairGenerator(fair.server_seed, fair.client_seed, fair.nonce)
                )
            except Exception:
                log.exception("game %s failed before anything was reserved", first.game.info.id)
                raise Refused(ErrorCode.INTERNAL_ERROR, "the game failed; nothing moved") from None
            assert isinstance(settle, Settle), "one-step games settle as soon as they start"
            result = await hot.spin(
                player.id, player.currency, round_.round_id, round_.game.info.id, round_.stake,
                settle.payout, _json(settle.outcome), _json(round_.inputs), fair,
                weight_class=round_.game.info.kind,
            )  # fmt: skip
            if isinstance(result, Resolved):
                round_.settled()
                metrics.record_round(
                    round_.game.info.id, player.currency, round_.stake, settle.payout
                )
                self._fair[player.id] = FairState(
                    fair.server_seed, fair.client_seed, fair.nonce + 1, fair.seed_hash
                )
                return RoundView(
                    round_id=round_.round_id, game=round_.game.info.id, stake=round_.stake,
                    finished=True, payout=settle.payout, balance=result.cash,
                    outcome=settle.outcome, bonus_progress=result.progress,
                )  # fmt: skip
            round_.refused()
            if isinstance(result, FairState):
                fair = self._fair[player.id] = result
            elif result.status is ScriptStatus.NO_WALLET:
                await self.wallet.ensure_hot(player.id, player.currency)
            elif result.status is ScriptStatus.NO_SEED:
                fair = await self._fair_secret(player)
            else:
                raise _refusal(result, player.currency)
            round_ = Round(first.round_id, first.game, first.stake, first.options)
        raise Refused(ErrorCode.SERVICE_UNAVAILABLE, "the round could not be dealt; retry")

    async def _fair_secret(self, player: Account) -> FairState:
        for _ in range(2):
            fair = await self.wallet.hot.fair_secret(player.id)
            if fair is not None:
                self._fair[player.id] = fair
                return fair
            await self.fairness.ensure(player.id)
        raise Refused(ErrorCode.SERVICE_UNAVAILABLE, "no provably fair seed; retry")

    async def _reserve(
        self, player: Account, round_: Round, game_id: str, amount: int
    ) -> Reserved | ScriptReply:
        hot = self.wallet.hot
        for _ in range(3):  # at most: the wallet, then the seed, were missing
            held = await hot.reserve(
                player.id, player.currency, round_.round_id, game_id, amount,
                inputs_json=_json(round_.inputs), ttl_ms=self.round_ttl_ms,
                weight_class=round_.game.info.kind,
            )  # fmt: skip
            if isinstance(held, ScriptReply) and held.status is ScriptStatus.NO_WALLET:
                await self.wallet.ensure_hot(player.id, player.currency)
            elif isinstance(held, ScriptReply) and held.status is ScriptStatus.NO_SEED:
                await self.fairness.ensure(player.id)
            else:
                return held
        return held

    async def _save(self, player: Account, round_: Round, command: Save, cash: int) -> RoundView:
        stepped = await self.wallet.hot.step(
            player.id, player.currency, round_.round_id, expected_version=0, extra=0,
            round_state_json=_json(command.state), inputs_json=_json(round_.inputs),
            ttl_ms=self.round_ttl_ms,
        )  # fmt: skip
        if isinstance(stepped, ScriptReply):  # only a racing resolution could do this
            raise Refused(ErrorCode.INTERNAL_ERROR, f"round could not be stored ({stepped.status})")
        return self._view(round_, stepped.held, cash)

    def _view(self, round_: Round, staked: int, balance: int) -> RoundView:
        """An unfinished round as the player sees it."""
        return RoundView(
            round_id=round_.round_id,
            game=round_.game.info.id,
            stake=staked,
            finished=False,
            payout=0,
            balance=balance,
            outcome=round_.view(),
            actions=round_.legal_actions(),
        )

    async def act(self, player: Account, round_id: str, action: str) -> RoundView:
        round_, stored = await self._load(player, round_id)
        try:
            step = round_.act(action, _NO_DRAWS)
        except ActionError as error:
            raise Refused(ErrorCode(error.code), str(error)) from None
        stepped = await self.wallet.hot.step(
            player.id, player.currency, round_id, expected_version=int(stored["version"]),
            extra=step.extra, round_state_json=_json(step.state),
            inputs_json=_json(round_.inputs), ttl_ms=self.round_ttl_ms,
            weight_class=round_.game.info.kind,
        )  # fmt: skip
        if isinstance(stepped, ScriptReply):
            round_.step_refused()
            raise _refusal(stepped, player.currency)
        settle = round_.stepped()
        if settle is not None:
            return await self._settle(player, round_, settle)
        return self._view(round_, stepped.held, stepped.cash)

    async def resume(self, player: Account, round_id: str) -> RoundView:
        """The current view of one of the player's unfinished rounds."""
        round_, stored = await self._load(player, round_id)
        cash = await self.wallet.balance(player.id, player.currency)
        return self._view(round_, int(stored["amount"]), cash)

    async def _load(self, player: Account, round_id: str) -> tuple[Round, dict[str, str]]:
        stored = await self.wallet.hot.reservation(player.id, round_id)
        if stored.get("state") != "pending" or "round_state" not in stored:
            raise Refused(ErrorCode.NOT_FOUND, "no unfinished round with this id")
        game = _game(stored["game"])
        round_ = Round.restore(
            round_id, game, msgspec.json.decode(stored["inputs"]),
            msgspec.json.decode(stored["round_state"]),
        )  # fmt: skip
        return round_, stored

    async def complete(self, player: Account, round_id: str) -> RoundView:
        """Finish an abandoned round with the game's default actions and settle it."""
        round_, stored = await self._load(player, round_id)
        while round_.phase is Phase.PLAYING:
            action = round_.game.default_action(round_.state)
            if action is None:
                break
            step = round_.act(action, _NO_DRAWS)
            stepped = await self.wallet.hot.step(
                player.id, player.currency, round_id, expected_version=int(stored["version"]),
                extra=step.extra, round_state_json=_json(step.state),
                inputs_json=_json(round_.inputs), ttl_ms=self.round_ttl_ms,
                weight_class=round_.game.info.kind,
            )  # fmt: skip
            if isinstance(stepped, ScriptReply):
                round_.step_refused()
                raise _refusal(stepped, player.currency)
            stored["version"] = str(stepped.version)
            settle = round_.stepped()
            if settle is not None:
                return await self._settle(player, round_, settle)
        raise Refused(ErrorCode.INTERNAL_ERROR, "the round has no default action left")

    async def _settle(self, player: Account, round_: Round, command: Settle) -> RoundView:
        resolved = await _settle(
            self.wallet, player, round_.round_id, command.payout, _json(command.outcome),
            _json(round_.inputs),
        )  # fmt: skip
        round_.settled()
        staked = round_.game.total_stake(round_.state)
        metrics.record_round(round_.game.info.id, player.currency, staked, command.payout)
        return RoundView(
            round_id=round_.round_id,
            game=round_.game.info.id,
            stake=round_.game.total_stake(round_.state),
            finished=True,
            payout=command.payout,
            balance=resolved.cash,
            outcome=command.outcome,
        )


class _NoDraws(Generator):
    """Actions never draw: every random choice of a round is made when it is dealt."""

    def randbytes(self, n: int) -> bytes:
        raise RuntimeError("a game action tried to draw randomness after the deal")


_NO_DRAWS = _NoDraws()


def _stake_figures(
    game: Game, error: StakeError, stake: object, currency: str
) -> dict[str, int | str]:
    """The game's limit a refused stake broke, for the sentence the player reads."""
    info = game.info
    if error.code == "STAKE_BELOW_MIN":
        return {"minimum": info.min_stake, "currency": currency}
    if error.code == "STAKE_ABOVE_MAX":
        return {"maximum": info.max_stake, "currency": currency}
    off_step = isinstance(stake, int) and stake > 0 and stake % info.stake_step
    if error.code == "INVALID_STAKE" and off_step:
        return {"variant": "step", "step": info.stake_step, "currency": currency}
    return {}


def _refusal(reply: ScriptReply, currency: str) -> Refused:
    """What a script's no tells the player (amounts in `currency`, the wallet's)."""
    status = reply.status
    if status is ScriptStatus.INSUFFICIENT_FUNDS:
        return Refused(
            ErrorCode.INSUFFICIENT_FUNDS,
            "balance does not cover the stake",
            balance=reply.integer("cash"),
            params={"balance": reply.integer("cash"), "currency": currency},
        )
    if status is ScriptStatus.BONUS_MAX_STAKE:
        return Refused(
            ErrorCode.BONUS_MAX_STAKE,
            "the stake is above the active bonus's maximum stake; nothing was moved",
            max_stake=reply.integer("max_stake"),
            params={"max_stake": reply.integer("max_stake"), "currency": currency},
        )
    if status is ScriptStatus.ROUND_IN_PROGRESS:
        return Refused(
            ErrorCode.ROUND_IN_PROGRESS,
            f"finish round {reply.text('round_id')} of this game first",
        )
    if status is ScriptStatus.PLAY_BLOCKED:
        return Refused(ErrorCode.PLAY_BLOCKED, "a time-out or self-exclusion is running")
    if status is ScriptStatus.LOSS_LIMIT_REACHED:
        return Refused(ErrorCode.LOSS_LIMIT_REACHED, "the stake could pass your loss limit")
    if status is ScriptStatus.BUSY:
        return Refused(ErrorCode.SERVER_BUSY, "too many rounds waiting to be stored; retry")
    if status is ScriptStatus.CONFLICT:
        return Refused(ErrorCode.ROUND_CONFLICT, "the round changed meanwhile; resume it")
    if status in (ScriptStatus.NOT_PENDING, ScriptStatus.NO_RESERVATION):
        return Refused(ErrorCode.NOT_FOUND, "no unfinished round with this id")
    return Refused(ErrorCode.INTERNAL_ERROR, f"stake could not be held ({status})")


async def _settle(
    wallet: Wallet, player: Account, round_id: str, payout: int, outcome_json: str, inputs_json: str
) -> Resolved:
    """Settle, retrying a lost connection: the script is idempotent, so a retry after a
    settle whose reply was lost returns the first result instead of paying twice."""
    for attempt in range(1, SETTLE_ATTEMPTS + 1):
        try:
            return await wallet.hot.settle(
                player.id, player.currency, round_id, payout, outcome_json, inputs_json
            )
        except (RedisConnectionError, RedisTimeoutError):
            if attempt == SETTLE_ATTEMPTS:
                raise
            await asyncio.sleep(0.05 * attempt)
    raise AssertionError("unreachable")
