"""One player connection: decodes each frame, runs the request, encodes the reply.

Knows nothing of sockets; `endpoint` feeds it frames. Whatever a frame holds,
`handle` returns a reply frame: a typed result or an error with a stable code.
A bad frame never closes the connection and never moves money.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from redis.exceptions import RedisError

import rng
from games import catalogue
from games.base import SingleStepGame
from protocol.codec import ProtocolError, decode_request, encode_reply
from protocol.errors import ErrorCode, Refused
from protocol.messages import (
    SUPPORTED_VERSIONS,
    Act,
    AnyReply,
    AnyRequest,
    Balance,
    BalanceReply,
    ErrorReply,
    Hello,
    History,
    HistoryReply,
    OpenRound,
    Play,
    RealityCheckAck,
    RealityCheckAcknowledged,
    RequestId,
    Resume,
    RotateSeed,
    RoundReply,
    Seeds,
    SeedsReply,
    SetClientSeed,
    Spin,
    SpinResult,
    Welcome,
)
from server.accounts.service import Player, token_hash
from server.context import Services
from server.observability.middleware import instrument
from server.rg import limits
from server.rg.session import MINUTE_MS, SECOND_MS, SessionClock
from server.rounds import history
from server.rounds.fairness import SeedState
from server.rounds.play import RoundView
from server.sessions import replies
from server.sessions.hub import Deliver, Hub
from server.sessions.replies import ReplyCache
from server.storage.database import now_ms

log = logging.getLogger(__name__)


# Requests that move money or change seeds: answered once per id under a client session.
IDEMPOTENT = (Spin, Play, Act, SetClientSeed, RotateSeed)
# Replies that mean "nothing was decided": a resend with the same id runs again.
RETRYABLE = frozenset({ErrorCode.SERVICE_UNAVAILABLE, ErrorCode.INTERNAL_ERROR})


class Connection:
    def __init__(
        self,
        services: Services,
        hub: Hub | None = None,
        deliver: Deliver | None = None,
        session_id: str = "",
    ) -> None:
        self.services = services
        self.hub = hub
        self.deliver = deliver
        self.session_id = session_id or rng.token_urlsafe(12)
        self.replies = ReplyCache(services.redis)
        self.player: Player | None = None
        self.token_hash = ""
        self.client_session: str | None = None
        self.session_expires_at = 0
        self.last_round_id: str | None = None
        self.over_session_cap = False
        # Responsible gambling: this session's clock (reality checks, time limit), its timers,
        # and whether the player's profile wants session figures in every balance push.
        self.clock: SessionClock | None = None
        self.show_figures = False
        self._timers: list[asyncio.TimerHandle] = []
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def authenticated(self) -> bool:
        return self.player is not None

    async def close(self) -> None:
        for timer in self._timers:
            timer.cancel()
        if self.hub is not None and self.player is not None:
            await self.hub.close_session(self.player.id, self.session_id)

    async def handle(self, frame: bytes | str) -> bytes | str:
        """The one reply to `frame`, in the format the client spoke. A fault on the way (a
        stage outside the request's own error handling, or the encoding) still gives one:
        INTERNAL_ERROR with the request's id. An exception here would end the request's
        task with no reply, and the client would wait for it for ever (issue 27)."""
        binary = isinstance(frame, bytes)
        request_id: RequestId | None = None
        reply: AnyReply
        try:
            request = decode_request(frame, self.services.settings.max_frame_bytes)
        except ProtocolError as error:
            reply = ErrorReply(id=error.request_id, code=error.code, message=error.message)
        else:
            request_id = request.id
            try:
                reply = await self._reply(request)
            except Exception:
                log.exception("no reply could be made to %s", type(request).__name__)
                reply = _error(request_id, ErrorCode.INTERNAL_ERROR, "internal error")
        try:
            encoded = encode_reply(reply, binary)
            return encoded if binary else encoded.decode()
        except Exception:
            log.exception("the %s reply could not be encoded", type(reply).__name__)
            fault = encode_reply(
                _error(request_id, ErrorCode.INTERNAL_ERROR, "internal error"), binary
            )
            return fault if binary else fault.decode()

    async def _reply(self, request: AnyRequest) -> AnyReply:
        if self.client_session and self.player and isinstance(request, IDEMPOTENT):
            return await self._once(request)
        return await self._answer(request)

    async def _once(self, request: AnyRequest) -> AnyReply:
        """Answer a money-moving request once per id; a resend gets the first reply."""
        assert self.player is not None and self.client_session is not None
        cache_key = replies.key(self.player.id, self.client_session, request)
        try:
            first = await self.replies.claim(cache_key)
            if not first:
                original = await self.replies.original(cache_key)
                if isinstance(original, SpinResult | RoundReply) and (
                    isinstance(original, SpinResult) or original.finished
                ):
                    self.last_round_id = original.round_id  # history waits until it is durable
                if original is not None:
                    return original
                return _error(request.id, ErrorCode.REQUEST_IN_PROGRESS, "still running; ask again")
        except RedisError:
            return _error(request.id, ErrorCode.SERVICE_UNAVAILABLE, "wallet briefly unavailable")
        reply = await self._answer(request)
        try:
            if isinstance(reply, ErrorReply) and reply.code in RETRYABLE:
                await self.replies.forget(cache_key)
            else:
                await self.replies.store(cache_key, reply)
        except RedisError as error:  # the reply still goes out; only a later resend may rerun
            log.warning("could not keep the reply to %s: %s", type(request).__name__, error)
        return reply

    @instrument  # log ids, latency per message type, error replies by code
    async def _answer(self, request: AnyRequest) -> AnyReply:
        try:
            reply = await self._dispatch(request)
        except Refused as refused:
            return _error(
                request.id,
                refused.code,
                refused.message,
                refused.extra.get("balance"),
                refused.params,
            )
        except RedisError as error:
            log.warning("redis unavailable during %s: %s", type(request).__name__, error)
            return _error(request.id, ErrorCode.SERVICE_UNAVAILABLE, "wallet briefly unavailable")
        except Exception:
            log.exception("unexpected failure handling %s", type(request).__name__)
            return _error(request.id, ErrorCode.INTERNAL_ERROR, "internal error")
        return reply

    async def _dispatch(self, request: AnyRequest) -> AnyReply:
        if isinstance(request, Hello):
            return await self._hello(request)
        player = self._require_player()
        if isinstance(request, Balance):
            cash = await self.services.wallet.balance(player.id, player.currency)
            return BalanceReply(id=request.id, balance=cash, currency=player.currency)
        services = self.services
        if isinstance(request, Spin):
            if _takes_actions(request.game):
                raise Refused(
                    ErrorCode.INVALID_FIELD,
                    f"{request.game} takes actions: start it with `play`, then `act`",
                )
            self._hold()
            view = await services.play.start(player, request.game, request.stake)
            self.last_round_id = view.round_id
            if self.clock is not None:
                self.clock.settled(view.stake, view.payout)
            return SpinResult(
                id=request.id,
                round_id=view.round_id,
                game=view.game,
                stake=view.stake,
                payout=view.payout,
                balance=view.balance,
                currency=player.currency,
                outcome=view.outcome,
                bonus_progress=view.bonus_progress,
            )
        if isinstance(request, Play):
            self._hold()
            view = await services.play.start(player, request.game, request.stake, request.options)
            return self._round(request.id, view)
        if isinstance(request, Act):
            view = await services.play.act(player, request.round_id, request.action)
            return self._round(request.id, view)
        if isinstance(request, Resume):
            return self._round(request.id, await services.play.resume(player, request.round_id))
        if isinstance(request, History):
            if self.last_round_id is not None:
                await history.wait_until_durable(services.db, self.last_round_id)
            found = await history.page(services.db, player.id, request.limit, request.cursor)
            return HistoryReply(id=request.id, rounds=found.rounds, next_cursor=found.next_cursor)
        if isinstance(request, Seeds):
            return _seeds(request.id, await services.fairness.current(player.id))
        if isinstance(request, SetClientSeed):
            try:
                state = await services.fairness.set_client_seed(player.id, request.client_seed)
            except ValueError as error:
                raise Refused(ErrorCode.INVALID_CLIENT_SEED, str(error)) from None
            return _seeds(request.id, state)
        if isinstance(request, RotateSeed):
            return _seeds(request.id, await services.fairness.rotate(player.id))
        if isinstance(request, RealityCheckAck):
            if self.clock is not None and self.clock.awaiting_ack:
                self.clock.acknowledge(now_ms())
                self._record_check(acknowledged=True)
                self._arm()
            return RealityCheckAcknowledged(id=request.id)
        raise AssertionError(f"no handler for {type(request).__name__}")

    def _round(self, request_id: RequestId, view: RoundView) -> RoundReply:
        assert self.player is not None
        if view.finished:
            self.last_round_id = view.round_id
            if self.clock is not None:
                self.clock.settled(view.stake, view.payout)
        return RoundReply(
            id=request_id,
            round_id=view.round_id,
            game=view.game,
            stake=view.stake,
            finished=view.finished,
            payout=view.payout,
            balance=view.balance,
            currency=self.player.currency,
            outcome=view.outcome,
            actions=view.actions,
            bonus_progress=view.bonus_progress,
        )

    # -- responsible gambling ------------------------------------------------------------------
    async def _start_clock(self, player: Player) -> None:
        # Rewriting the Redis copy here brings a lost one back before this session can stake.
        values = await self.services.rg.sync(player.id)
        await self.services.bonus.restore(player.id, player.currency)  # likewise the bonus's
        every, limit = values.get(limits.REALITY_CHECK), values.get(limits.SESSION)
        self.show_figures = self.services.profiles.for_country(
            player.country
        ).session_figures_in_balance
        self.clock = SessionClock(
            now_ms(),
            every * SECOND_MS if every else None,
            limit * MINUTE_MS if limit else None,
        )
        self._arm()

    def _arm(self) -> None:
        """Timers for the next reality check and the session's end (pushes need no request)."""
        for timer in self._timers:
            timer.cancel()
        self._timers = []
        clock, now, loop = self.clock, now_ms(), asyncio.get_running_loop()
        if clock is None:
            return
        if clock.next_check_ms is not None and not clock.awaiting_ack:
            delay = max(clock.next_check_ms - now, 0) / 1000
            self._timers.append(loop.call_later(delay, self._reality_due))
        if clock.limit_ms is not None:
            delay = max(clock.started_ms + clock.limit_ms - now, 0) / 1000
            self._timers.append(loop.call_later(delay, self._session_over))

    def _hold(self) -> None:
        """Refuse a new stake while a reality check waits or once the time limit is reached."""
        if self.clock is None:
            return
        showing = self.clock.awaiting_ack
        refusal = self.clock.hold(now_ms())
        if refusal is not None and not showing and self.clock.awaiting_ack:
            self._show_check()  # became due just now, before its timer fired
        if refusal is not None:
            raise refusal

    def _reality_due(self) -> None:
        if self.clock is None:
            return
        if self.clock.due(now_ms()):
            self._show_check()
        elif not self.clock.awaiting_ack:
            # The loop's timer may fire a hair before the wall clock reaches the check (its
            # clock is not the wall clock); without this the check would wait for a stake.
            self._arm()

    def _show_check(self) -> None:
        assert self.clock is not None and self.player is not None
        if self.deliver is not None:
            self.deliver(
                {
                    "type": "reality_check",
                    **self.clock.figures(now_ms()),
                    "currency": self.player.currency,
                }
            )
        self._record_check(acknowledged=False)

    def _session_over(self) -> None:
        if self.deliver is not None:
            self.deliver({"type": "forced_logout", "reason": "session_time_limit"})

    def _record_check(self, acknowledged: bool) -> None:
        if self.clock is None or self.player is None:
            return
        figures = self.clock.figures(now_ms())
        task = asyncio.get_running_loop().create_task(
            self.services.rg.record_reality_check(
                self.player.id, self.session_id, self.player.currency, figures, acknowledged
            )
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _push(self, message: dict[str, Any]) -> None:
        """A push for this session: balance pushes carry the session's figures where the
        player's profile asks for them (UK: elapsed time and net position, always)."""
        if (
            self.show_figures
            and self.clock is not None
            and message.get("type") == "balance_changed"
        ):
            message = {**message, "session": self.clock.figures(now_ms())}
        if self.deliver is not None:
            self.deliver(message)

    def _require_player(self) -> Player:
        if self.player is None:
            raise Refused(ErrorCode.NOT_AUTHENTICATED, "send hello with a session token first")
        if now_ms() >= self.session_expires_at:
            raise Refused(ErrorCode.TOKEN_EXPIRED, "session expired; log in again")
        return self.player

    async def _hello(self, request: Hello) -> Welcome:
        if self.player is not None:
            raise Refused(ErrorCode.ALREADY_AUTHENTICATED, "this connection already said hello")
        if request.version not in SUPPORTED_VERSIONS:
            raise Refused(
                ErrorCode.UNSUPPORTED_VERSION,
                f"protocol {request.version} is not supported; use one of"
                f" {sorted(SUPPORTED_VERSIONS)}",
            )
        player, expires_at = await self.services.accounts.authenticate_session(request.token)
        cash = await self.services.wallet.balance(player.id, player.currency)
        open_rounds = await self.services.wallet.hot.open_rounds(player.id)
        hub, deliver = self.hub, self.deliver
        if hub and deliver and not await hub.open_session(player.id, self.session_id, self._push):
            self.over_session_cap = True
            raise Refused(
                ErrorCode.TOO_MANY_SESSIONS,
                f"at most {hub.max_sessions} sessions at once; close one first",
                params={"count": hub.max_sessions},
            )
        self.player, self.session_expires_at = player, expires_at
        await self._start_clock(player)
        self.token_hash = token_hash(request.token)
        self.client_session = request.client_session
        return Welcome(
            id=request.id,
            player_id=player.id,
            username=player.username,
            currency=player.currency,
            balance=cash,
            server_time=now_ms(),
            open_rounds=[
                OpenRound(game, round_id) for game, round_id in sorted(open_rounds.items())
            ],
        )


def _takes_actions(game_id: str) -> bool:
    """A spin is a round of one step, answered as settled. A game of more steps (blackjack)
    starts with `play`: its spin dealt a hand, answered it as a spin that paid nothing, and
    left the hand to the round timeout, which paid it behind the player's back."""
    game = catalogue.get(game_id)
    return game is not None and not isinstance(game, SingleStepGame)


def _seeds(request_id: RequestId, state: SeedState) -> SeedsReply:
    return SeedsReply(
        id=request_id,
        server_seed_hash=state.server_seed_hash,
        client_seed=state.client_seed,
        nonce=state.nonce,
        revealed_server_seed=state.revealed_server_seed,
        revealed_seed_hash=state.revealed_seed_hash,
    )


def _error(
    request_id: RequestId | None,
    code: ErrorCode,
    message: str,
    balance: int | None = None,
    params: dict[str, int | str] | None = None,
) -> ErrorReply:
    return ErrorReply(id=request_id, code=code, message=message, balance=balance, params=params)
