"""The seamless wallet as providers see it: launch, user info, balance, bet, win, rollback.

A launch hands the player's browser a single-use launch token; the provider's
first `user/info` presents it and gets back, in its signed reply, the session
token (`token`) every later call carries (as Evolution's `check` answers with
a new `sid`). Each call resolves the session token to a player, recalls from durable storage
whatever Redis no longer keeps about the transaction, and hands the decision to
one atomic script. Precedence, the same for every kind: a transaction id seen
before answers first (the original result, or DUPLICATE_TRANSACTION for other
terms), so a retry is never refused by a rule that changed since (an expired
token, a closed round); only a new transaction meets the rules. Token expiry and
revocation are rules for info, balance and bets, never for wins and rollbacks.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import redis.asyncio as aioredis

from games import catalogue as house_catalogue
from protocol.errors import ErrorCode, Refused
from server.money import keys
from server.money.provider_wallet import ProviderHot
from server.money.scripts import ScriptReply, ScriptStatus
from server.money.wallet import Wallet
from server.provider import campaigns, catalogue, durable, registry, rules, sandbox, sessions
from server.provider.messages import (
    BalanceRequest,
    BetRequest,
    RollbackRequest,
    UserInfoRequest,
    WinRequest,
)
from server.provider.registry import Provider
from server.provider.rules import Player, Players
from server.provider.status import Status
from server.storage.database import Database, now_ms

log = logging.getLogger(__name__)

# What each script status tells the provider (REFUSED carries the status the rules chose).
_STATUSES: dict[ScriptStatus, Status] = {
    ScriptStatus.OK: Status.OK,
    ScriptStatus.ALREADY: Status.OK,
    ScriptStatus.DUPLICATE: Status.DUPLICATE_TRANSACTION,
    ScriptStatus.ROLLED_BACK: Status.TRANSACTION_ROLLED_BACK,
    ScriptStatus.DOES_NOT_EXIST: Status.TRANSACTION_DOES_NOT_EXIST,
    ScriptStatus.BET_SETTLED: Status.BET_ALREADY_SETTLED,
    ScriptStatus.ROUND_CLOSED: Status.ROUND_CLOSED,
    ScriptStatus.INSUFFICIENT_FUNDS: Status.NOT_ENOUGH_MONEY,
    ScriptStatus.WRONG_CURRENCY: Status.WRONG_CURRENCY,
    ScriptStatus.BUSY: Status.UNKNOWN,  # back-pressure: nothing taken, the provider may retry
    ScriptStatus.PLAY_BLOCKED: Status.USER_DISABLED,  # a time-out or self-exclusion
    ScriptStatus.LOSS_LIMIT_REACHED: Status.LIMIT_REACHED,
    ScriptStatus.BONUS_MAX_STAKE: Status.LIMIT_REACHED,  # over the active bonus's max stake
    # A bet flagged free that no free round of the player's active bonus pays for: the player's
    # campaign is used up, over, or never was; nothing is taken (a paid bet is not is_free).
    ScriptStatus.NO_FREE_ROUND: Status.LIMIT_REACHED,
    # A free bet whose reward_uuid names a campaign with nothing left to play for it.
    ScriptStatus.REWARD_USED_UP: Status.REWARD_USED_UP,
}


# A launch token that opens no session: an unknown and a spent one look alike to the caller.
_NOT_EXCHANGED: dict[sessions.NotExchanged, Status] = {
    sessions.NotExchanged.UNKNOWN: Status.INVALID_TOKEN,
    sessions.NotExchanged.USED: Status.INVALID_TOKEN,
    sessions.NotExchanged.ENDED: Status.TOKEN_EXPIRED,
}


@dataclass(frozen=True, slots=True)
class Reply:
    """A status and the fields that go with it (the route adds request_uuid)."""

    status: Status
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Launch:
    provider: str
    game_code: str
    url: str
    token: str | None
    expires_at: int | None


@dataclass(frozen=True, slots=True)
class _Session:
    session: sessions.GameSession
    player: Player


class ProviderService:
    def __init__(
        self,
        db: Database,
        client: aioredis.Redis,
        wallet: Wallet,
        accounts: Players,
        sandbox_allowed: bool = True,
    ) -> None:
        self.db = db
        self.redis = client
        self.wallet = wallet
        self.accounts = accounts
        # False in live mode: the sandbox provider's secret sits in the database, and whoever
        # holds it could post wins, so its calls are refused even if someone enables it.
        self.sandbox_allowed = sandbox_allowed
        self.hot = ProviderHot(client, wallet.hot.max_backlog, wallet.hot.max_lag_ms)
        self._operator_key: tuple[str, str] | None = None

    async def prepare(self) -> None:
        """Start-up: register the sandbox provider (once per database), in sandbox mode only."""
        if self.sandbox_allowed:
            await sandbox.ensure(self.db)

    async def operator_key(self) -> tuple[str, str]:
        """(private PEM, public PEM) of our response-signing key. Made on first need rather
        than at start-up: only RSA providers use it, and making one takes a moment."""
        if self._operator_key is None:
            self._operator_key = await registry.operator_key(self.db)
        return self._operator_key

    # -- launch ---------------------------------------------------------------------------

    async def launch(self, player: Player, provider_id: str, game_code: str) -> Launch:
        if player.status != "active":
            # A restricted account's game sessions were revoked; a new one must not undo that.
            raise Refused(ErrorCode.ACCOUNT_RESTRICTED, "the account may not play")
        if provider_id == catalogue.HOUSE:
            if house_catalogue.get(game_code) is None:
                raise Refused(ErrorCode.UNKNOWN_GAME, "no such game")
            # Our own games are played over the WebSocket with the login session.
            return Launch(catalogue.HOUSE, game_code, "/ws", None, None)
        provider = await registry.get(self.db, provider_id)
        game = await catalogue.get(self.db, provider_id, game_code)
        if provider is None or game is None or not self._allowed(provider):
            raise Refused(ErrorCode.UNKNOWN_GAME, "no such game")
        # The URL carries a launch token only: the session token never reaches a browser.
        launched = await sessions.launch(
            self.db, provider.id, player.id, game.game_code, player.currency
        )
        query = urlencode(
            {
                "token": launched.token,
                "game_code": game.game_code,
                "user": str(player.id),
                "currency": player.currency,
            }
        )
        return Launch(
            provider.id, game.game_code, f"{provider.launch_url}?{query}", launched.token,
            launched.expires_at,
        )  # fmt: skip

    # -- session calls --------------------------------------------------------------------

    async def _session(
        self, provider: Provider, token: str, user: str | None, check_expiry: bool
    ) -> _Session | Status:
        if not self._allowed(provider):
            return Status.INVALID_PARTNER
        session = await sessions.resolve(self.db, provider.id, token)
        if session is None or (user is not None and user != str(session.player_id)):
            return Status.INVALID_TOKEN
        return await self._player_of(session, check_expiry)

    async def _player_of(
        self, session: sessions.GameSession, check_expiry: bool
    ) -> _Session | Status:
        if check_expiry and session.expired(now_ms()):
            return Status.TOKEN_EXPIRED
        player = await self.accounts.player(session.player_id)
        if player is None:
            return Status.INVALID_TOKEN
        return _Session(session, player)

    async def user_info(self, provider: Provider, req: UserInfoRequest) -> Reply:
        """The player behind a session token, or behind a launch token, which this exchanges
        (once) for a new session token: `token` in the reply is the one to use from now on."""
        token = req.token
        found = await self._session(provider, token, req.user, check_expiry=True)
        if found is Status.INVALID_TOKEN:
            opened = await sessions.exchange(
                self.db, provider.id, token, req.user, provider.session_ttl_s
            )
            if isinstance(opened, sessions.NotExchanged):
                if opened is sessions.NotExchanged.USED:
                    log.warning(
                        "provider %s presented a launch token exchanged before (a retried"
                        " user/info, or a launch URL replayed): refused",
                        provider.id,
                    )
                return Reply(_NOT_EXCHANGED[opened], {"user": req.user})
            token = opened.token
            found = await self._player_of(opened.session, check_expiry=True)
        if isinstance(found, Status):
            return Reply(found, {"user": req.user})
        player, currency = found.player, found.session.currency
        return Reply(
            Status.OK,
            {
                "user": str(player.id),
                "currency": currency,
                "balance": await self.wallet.balance(player.id, currency),
                "country": player.country,
                "game_code": found.session.game_code,
                "token": token,
            },
        )

    async def balance(self, provider: Provider, req: BalanceRequest) -> Reply:
        found = await self._session(provider, req.token, req.user, check_expiry=True)
        if isinstance(found, Status):
            return Reply(found, {"user": req.user})
        if req.game_code is not None and req.game_code != found.session.game_code:
            return Reply(Status.INVALID_GAME, {"user": req.user})
        currency = found.session.currency
        balance = await self.wallet.balance(found.player.id, currency)
        return Reply(Status.OK, {"user": req.user, "currency": currency, "balance": balance})

    # -- money ----------------------------------------------------------------------------

    async def bet(self, provider: Provider, req: BetRequest) -> Reply:
        base = {"user": req.user, "transaction_uuid": req.transaction_uuid}
        found = await self._session(provider, req.token, req.user, check_expiry=False)
        if isinstance(found, Status):
            return Reply(found, base)
        pid, currency = found.player.id, found.session.currency
        if not await self.hot.claim(provider.id, req.transaction_uuid, pid):
            return Reply(Status.DUPLICATE_TRANSACTION, base)
        if recalled := await self._recall(provider.id, pid, req.transaction_uuid, None, req.round):
            return Reply(recalled, base)
        refusal = await self._bet_refusal(provider, found, req)
        reward = await self._reward(provider, found, req)
        if isinstance(reward, Status):
            refusal, reward = refusal or reward, None
        # A free bet naming no reward may not play a campaign's rounds (the script checks the
        # active bonus against these, atomically with taking the round).
        guarded = (
            await campaigns.open_awards(self.db, provider.id, pid, req.game_code)
            if req.is_free and req.reward_uuid is None
            else []
        )
        # A bonus's wagering counts a provider game by its first category (or by its code).
        listed = await catalogue.get(self.db, provider.id, req.game_code)
        weight_class = listed.categories[0] if listed and listed.categories else ""
        outcome = await self._with_wallet(
            pid, currency,
            lambda: self.hot.bet(
                provider.id, req.transaction_uuid, pid, currency, req.currency, req.amount,
                req.round, req.game_code, req.round_closed, refusal.value if refusal else "",
                weight_class, req.is_free, reward, req.reward_uuid, guarded,
            ),
        )  # fmt: skip
        return self._reply(outcome, base, currency)

    async def _reward(
        self, provider: Provider, found: _Session, req: BetRequest
    ) -> int | Status | None:
        """The bonus award a free bet's reward_uuid plays a round of (the script checks it is
        the active bonus with rounds left), a refusal, or None for a bet naming no reward (a
        paid bet's reward_uuid means nothing; a free one without it is matched by game and
        stake, but never to a campaign's rounds: `campaigns.open_awards`). Like every refusal,
        one the script applies only to a new transaction id."""
        if not req.is_free or req.amount <= 0 or req.reward_uuid is None:
            return None
        named = await campaigns.reward(self.db, provider.id, req.reward_uuid)
        if named is None:
            return Status.UNKNOWN_REWARD
        if named.player_id != found.player.id:
            return Status.REWARD_OF_ANOTHER_USER
        return named.award_id

    async def _bet_refusal(
        self, provider: Provider, found: _Session, req: BetRequest
    ) -> Status | None:
        """Why a new bet may not be taken, or None. The script applies it only to a new id."""
        session = found.session
        if session.expired(now_ms()):
            return Status.TOKEN_EXPIRED
        game = await catalogue.get(self.db, provider.id, req.game_code)
        if game is None or req.game_code != session.game_code:
            return Status.INVALID_GAME
        if req.currency != session.currency:
            return Status.WRONG_CURRENCY
        attempt = rules.BetAttempt(
            found.player, game, req.amount, req.currency, req.is_free, req.round
        )
        return await rules.refuse_bet(attempt)

    async def win(self, provider: Provider, req: WinRequest) -> Reply:
        base = {"user": req.user, "transaction_uuid": req.transaction_uuid}
        found = await self._session(provider, req.token, req.user, check_expiry=False)
        if isinstance(found, Status):
            return Reply(found, base)
        pid, currency = found.player.id, found.session.currency
        if req.reference_transaction_uuid == req.transaction_uuid:
            return Reply(Status.WRONG_SYNTAX, base)  # a transaction cannot reference itself
        if not await self.hot.claim(provider.id, req.transaction_uuid, pid):
            return Reply(Status.DUPLICATE_TRANSACTION, base)
        if recalled := await self._recall(
            provider.id, pid, req.transaction_uuid, req.reference_transaction_uuid, req.round
        ):
            return Reply(recalled, base)
        outcome = await self._with_wallet(
            pid, currency,
            lambda: self.hot.win(
                provider.id, req.transaction_uuid, pid, currency, req.currency, req.amount,
                req.round, req.game_code, req.reference_transaction_uuid, req.round_closed,
            ),
        )  # fmt: skip
        return self._reply(outcome, base, currency)

    async def rollback(self, provider: Provider, req: RollbackRequest) -> Reply:
        base = {"user": req.user, "transaction_uuid": req.transaction_uuid}
        found = await self._session(provider, req.token, req.user, check_expiry=False)
        if isinstance(found, Status):
            return Reply(found, base)
        pid, currency = found.player.id, found.session.currency
        if req.reference_transaction_uuid == req.transaction_uuid:
            return Reply(Status.WRONG_SYNTAX, base)
        if not await self.hot.claim(provider.id, req.transaction_uuid, pid):
            return Reply(Status.DUPLICATE_TRANSACTION, base)
        # The referenced bet id is claimed too: a rollback that overtakes its bet leaves a
        # tombstone under this player, and another player's bet id is none of ours to void.
        if not await self.hot.claim(provider.id, req.reference_transaction_uuid, pid):
            return Reply(Status.TRANSACTION_DOES_NOT_EXIST, base)
        if recalled := await self._recall(
            provider.id, pid, req.transaction_uuid, req.reference_transaction_uuid, req.round
        ):
            return Reply(recalled, base)
        outcome = await self._with_wallet(
            pid, currency,
            lambda: self.hot.rollback(
                provider.id, req.transaction_uuid, pid, currency, req.round, req.game_code,
                req.reference_transaction_uuid, req.round_closed,
            ),
        )  # fmt: skip
        return self._reply(outcome, base, currency)

    # -- shared steps ---------------------------------------------------------------------

    def _allowed(self, provider: Provider) -> bool:
        return self.sandbox_allowed or provider.id != sandbox.SANDBOX_ID

    async def _recall(
        self, provider_id: str, player_id: int, tx_uuid: str, ref_uuid: str | None, round_id: str
    ) -> Status | None:
        """Copy back into Redis what it forgot and the durable tables remember, so the script
        judges a late request as it judged the early ones: the transaction itself, or for a
        new one its round and the bet it references. A refusal when the durable record puts
        the transaction (DUPLICATE) or the referenced bet (DOES_NOT_EXIST) under another
        player; None to go on."""
        tx_key = keys.provider_tx(player_id, provider_id, tx_uuid)
        round_key = keys.provider_round(player_id, provider_id, round_id)
        ref_key = keys.provider_tx(player_id, provider_id, ref_uuid) if ref_uuid else None
        missing = await self.hot.missing(tx_key, round_key, *([ref_key] if ref_key else []))
        if not missing[0]:
            return None  # Redis has the record: it alone decides a repeated transaction
        stored = await durable.transaction(self.db, provider_id, tx_uuid)
        if stored is not None:
            if stored.player_id != player_id:
                return Status.DUPLICATE_TRANSACTION
            await self.hot.restore(tx_key, stored.fields)
            return None
        if missing[1]:
            state = await durable.round_state(self.db, provider_id, player_id, round_id)
            if state is not None:
                await self.hot.restore(round_key, state)
        if ref_uuid and ref_key and missing[2]:
            stored = await durable.transaction(self.db, provider_id, ref_uuid)
            if stored is not None and stored.player_id != player_id:
                return Status.TRANSACTION_DOES_NOT_EXIST
            if stored is not None:
                await self.hot.restore(ref_key, stored.fields)
        return None

    async def _with_wallet(
        self, player_id: int, currency: str, run: Callable[[], Awaitable[ScriptReply]]
    ) -> ScriptReply:
        """Run a script; a wallet missing from Redis is rebuilt from the ledger, once."""
        outcome = await run()
        if outcome.status is ScriptStatus.NO_WALLET:
            await self.wallet.ensure_hot(player_id, currency)
            outcome = await run()
        return outcome

    def _reply(self, outcome: ScriptReply, base: dict[str, Any], currency: str) -> Reply:
        status = _provider_status(outcome)
        if status is Status.UNKNOWN:
            log.error("provider script answered %s %s", outcome.status, outcome.values)
        fields = dict(base)
        balance = outcome.optional_integer("cash")
        if balance is not None:
            fields.update(currency=currency, balance=balance)
        return Reply(status, fields)


def _provider_status(reply: ScriptReply) -> Status:
    """The provider status for a script's reply; a refusal the script passed through from
    the rules is a status by value."""
    if reply.status is ScriptStatus.REFUSED:
        try:
            return Status(reply.text("reason"))
        except ValueError:
            return Status.UNKNOWN
    return _STATUSES.get(reply.status, Status.UNKNOWN)
