"""Definitions and awards: who may claim what, and the order in which awards become active.

Owns `bonus_definitions` and `bonus_awards`. An award is born when the player opts in (by a
definition's id or by its promo code, or by accepting a provider campaign staff offered them:
server/bonus/campaign_offers.py; never without the player asking); a deposit match waits
for its qualifying deposit ('opted_in'), any other grant is 'queued' at once. At most one
wagering bonus is active: `activate` grants the oldest queued award when none is, through money
(`BonusWallet.grant`), and first notes how the last one ended, as the hot bonus hash tells it
(the scripts end a bonus inside a settle; this table follows, it never leads). Cash grants
(cashback with no wagering) never wait in the queue.

No offer reaches a player whom marketing must leave alone: `marketing_allowed` (a seam the
wiring points at responsible gambling's flag, server/rg/state.py) is asked before offers are
listed and before a claim; a player in a time-out or self-exclusion sees none and claims none.
`bonus_block` (a seam the wiring points at the fraud monitor's `block_bonuses` alerts,
server/risk/alerts.py) refuses a claim, a loyalty redemption and a cashback payment, and keeps a
queued award from being granted, while it answers a refusal; `resume` grants what waited once
the block lifts.

The withdrawal rule (`withdrawal_rule`, registered in payments' seam at start-up): a withdrawal
of cash while a bonus is being wagered is refused with BONUS_FORFEIT_REQUIRED unless the player
confirms forfeiture (`forfeit_bonus`); confirming removes the bonus money only, never cash.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from protocol.errors import ErrorCode, Refused
from server.audit import trail
from server.bonus import campaign_offers, loyalty
from server.bonus import terms as rules
from server.bonus.restore import Ended, rebuild
from server.bonus.terms import Terms
from server.money.bonus_wallet import ActiveBonus, BonusWallet, FreeSpins, Grant
from server.money.scripts import ScriptStatus
from server.money.wallet import Wallet
from server.storage.database import Database, Row, now_ms

log = logging.getLogger(__name__)

DAY_MS = 24 * 3600 * 1000
MAX_CODE = 32
MarketingCheck = Callable[[int], Awaitable[bool]]  # may this player be offered promotions?
BonusBlock = Callable[[int], Awaitable[Refused | None]]  # why the player may get no bonus now


async def _anyone(player_id: int) -> bool:
    return True  # until the wiring plugs a real check (tests of the engine alone)


async def _unblocked(player_id: int) -> Refused | None:
    return None  # until the wiring plugs the fraud monitor's block


# Who a staff action is recorded as on the audit trail when the caller names no one (the
# staff routes pass the staff member: server/staff/guard.py).
STAFF = "staff:automation"


@dataclass(frozen=True, slots=True)
class Claimant:
    """The player as a claim sees them (the accounts domain's player, reduced)."""

    id: int
    currency: str
    country: str


@dataclass(frozen=True, slots=True)
class Definition:
    id: int
    name: str
    trigger: str
    code: str | None
    currency: str
    terms: Terms
    starts_at: int
    ends_at: int
    enabled: bool

    def public(self, with_code: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id, "name": self.name, "trigger": self.trigger, "currency": self.currency,
            "starts_at": self.starts_at, "ends_at": self.ends_at, "enabled": self.enabled,
            **self.terms.public(),
        }  # fmt: skip
        if with_code:
            body["code"] = self.code
        return body

    def open_to(self, player: Claimant, at: int) -> bool:
        return (
            self.enabled
            and self.starts_at <= at < self.ends_at
            and self.currency == player.currency
            and (not self.terms.countries or player.country in self.terms.countries)
            # The UK profile's rules hold for a GB player whatever the offer's countries say.
            and (player.country != "GB" or rules.uk_refusal(self.terms) is None)
        )


def _definition(row: Row) -> Definition:
    data = json.loads(str(row[6]))
    return Definition(
        id=int(row[0]), name=str(row[1]), trigger=str(row[3]),
        code=None if row[4] is None else str(row[4]), currency=str(row[5]),
        terms=rules.parse(data), starts_at=int(row[7]), ends_at=int(row[8]),
        enabled=bool(row[9]),
    )  # fmt: skip


_DEFINITION = (
    "SELECT id, name, kind, trigger_on, code, currency, terms, starts_at, ends_at, enabled"
    " FROM bonus_definitions"
)
_AWARD = (
    "SELECT a.id, a.definition_id, a.status, a.amount, a.required, a.outcome, a.created_at,"
    " a.granted_at, a.expires_at, d.name, d.kind FROM bonus_awards a"
    " JOIN bonus_definitions d ON d.id = a.definition_id"
)


class Bonuses:
    def __init__(self, db: Database, wallet: Wallet, hot: BonusWallet) -> None:
        self.db = db
        self.wallet = wallet
        self.hot = hot
        self.marketing_allowed: MarketingCheck = _anyone
        self.bonus_block: BonusBlock = _unblocked
        # The provider domain's campaigns (server/provider/campaigns.py), plugged in at wiring.
        self.campaigns: campaign_offers.Desk | None = None

    # Staff ------------------------------------------------------------------------------------
    async def define(
        self, data: dict[str, Any], address: str = "", actor: str = STAFF
    ) -> Definition:
        """A new promotion, on the audit trail (as `actor`) in the transaction that
        stores it."""
        name = data.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 80:
            raise Refused(ErrorCode.VALIDATION_FAILED, "name is 1-80 characters", field="name")
        trigger = data.get("trigger", "code")
        if trigger not in rules.TRIGGERS:
            raise Refused(
                ErrorCode.VALIDATION_FAILED, f"trigger is one of {rules.TRIGGERS}", field="trigger"
            )
        code = data.get("code")
        if code is not None and not (
            isinstance(code, str) and 1 <= len(code) <= MAX_CODE and code.isalnum()
        ):
            raise Refused(
                ErrorCode.VALIDATION_FAILED, "code is 1-32 letters or digits", field="code"
            )
        currency = data.get("currency", "EUR")
        if not (isinstance(currency, str) and len(currency) == 3 and currency.isupper()):
            raise Refused(ErrorCode.VALIDATION_FAILED, "currency is ISO 4217", field="currency")
        terms = rules.parse(data)
        if trigger == campaign_offers.TRIGGER and not (
            terms.kind == "free_spins" and terms.provider
        ):
            raise Refused(
                ErrorCode.VALIDATION_FAILED,
                "a campaign is free rounds on a provider game",
                field="trigger",
            )
        if "GB" in terms.countries and (refusal := rules.uk_refusal(terms)) is not None:
            raise refusal
        created = now_ms()
        starts_at = data.get("starts_at", created)
        ends_at = data.get("ends_at", created + 365 * DAY_MS)
        if not (isinstance(starts_at, int) and isinstance(ends_at, int) and starts_at < ends_at):
            raise Refused(
                ErrorCode.VALIDATION_FAILED, "starts_at < ends_at, in ms", field="ends_at"
            )
        stored = json.dumps(terms.public())
        async with self.db.transaction() as tx:
            new_id = await tx.insert(
                "INSERT INTO bonus_definitions (name, kind, trigger_on, code, currency, terms,"
                " starts_at, ends_at, enabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)"
                " ON CONFLICT (code) DO NOTHING",
                (name, terms.kind, trigger, code.upper() if code else None, currency, stored,
                 starts_at, ends_at, created),
            )  # fmt: skip
            if new_id is not None:
                row = await tx.fetchone(f"{_DEFINITION} WHERE id = ?", (new_id,))
                assert row is not None
                await trail.record(
                    tx, actor, "bonus_defined", f"bonus_definition:{new_id}", "", address,
                    _definition(row).public(True),
                )  # fmt: skip
        if new_id is None:
            raise Refused(ErrorCode.VALIDATION_FAILED, "that code is taken", field="code")
        found = await self.definition(new_id)
        assert found is not None
        return found

    async def definition(self, definition_id: int) -> Definition | None:
        row = await self.db.fetchone(f"{_DEFINITION} WHERE id = ?", (definition_id,))
        return None if row is None else _definition(row)

    async def definitions(self) -> list[Definition]:
        return [_definition(row) for row in await self.db.fetchall(f"{_DEFINITION} ORDER BY id")]

    # Players ----------------------------------------------------------------------------------
    async def offers(self, player: Claimant) -> list[Definition]:
        """What the player may opt into now: open to them, not by code only, not yet claimed;
        nothing at all while marketing must leave the player alone."""
        if not await self.marketing_allowed(player.id):
            return []
        claimed = {
            int(row[0])
            for row in await self.db.fetchall(
                "SELECT definition_id FROM bonus_awards WHERE player_id = ?", (player.id,)
            )
        }
        at = now_ms()
        return [
            d
            for d in await self.definitions()
            if d.open_to(player, at)
            and d.trigger not in ("code", campaign_offers.TRIGGER)
            and d.id not in claimed
        ]

    async def claim(
        self, player: Claimant, definition_id: int | None = None, code: str | None = None
    ) -> int:
        """Opt the player into one promotion; the award id. BONUS_NOT_AVAILABLE otherwise,
        and PLAY_BLOCKED while a time-out or self-exclusion runs (no marketing then)."""
        if not await self.marketing_allowed(player.id):
            raise Refused(
                ErrorCode.PLAY_BLOCKED, "no promotions during a time-out or self-exclusion"
            )
        if (blocked := await self.bonus_block(player.id)) is not None:
            raise blocked
        if code is not None:
            row = await self.db.fetchone(f"{_DEFINITION} WHERE code = ?", (code.upper(),))
        elif definition_id is not None:
            row = await self.db.fetchone(f"{_DEFINITION} WHERE id = ?", (definition_id,))
        else:
            row = None
        found = None if row is None else _definition(row)
        if (
            found is None
            or not found.open_to(player, now_ms())
            or (found.trigger == "code" and code is None)
            or found.trigger == campaign_offers.TRIGGER  # offered to named players only
        ):
            raise Refused(ErrorCode.BONUS_NOT_AVAILABLE, "no such offer for this player")
        waits = found.terms.kind in ("deposit_match", "cashback", "loyalty")
        status = "member" if found.terms.kind == "loyalty" else "opted_in" if waits else "queued"
        amount = 0 if waits else rules.grant_amount(found.terms)
        async with self.db.transaction() as tx:
            award_id = await tx.insert(
                "INSERT INTO bonus_awards (definition_id, player_id, currency, status, amount,"
                " required, created_at, claim_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (claim_key) DO NOTHING",
                (found.id, player.id, player.currency, status, amount,
                 rules.required(found.terms, amount), now_ms(), f"{found.id}:{player.id}"),
            )  # fmt: skip
        if award_id is None:
            raise Refused(ErrorCode.BONUS_NOT_AVAILABLE, "this offer was already claimed")
        await self.activate(player.id, player.currency)
        return award_id

    async def deposited(self, player_id: int, currency: str, deposit_id: int, amount: int) -> None:
        """A deposit landed: the matches the player opted into that it qualifies for queue."""
        rows = await self.db.fetchall(
            "SELECT a.id, d.terms FROM bonus_awards a JOIN bonus_definitions d"
            " ON d.id = a.definition_id WHERE a.player_id = ? AND a.currency = ?"
            " AND a.status = 'opted_in' AND d.kind = 'deposit_match' ORDER BY a.id",
            (player_id, currency),
        )
        for award_id, stored in rows:
            terms = rules.parse(json.loads(str(stored)))
            granted = rules.grant_amount(terms, amount)
            if granted <= 0:
                continue
            async with self.db.transaction() as tx:
                await tx.execute(
                    "UPDATE bonus_awards SET status = 'queued', amount = ?, required = ?,"
                    " deposit_id = ? WHERE id = ? AND status = 'opted_in'",
                    (granted, rules.required(terms, granted, amount), deposit_id, award_id),
                )
            break  # one deposit qualifies one match
        await self.activate(player_id, currency)

    async def pay_cashback(
        self,
        definition_id: int,
        player_id: int,
        currency: str,
        since: int,
        until: int,
        address: str = "",
        actor: str = STAFF,
    ) -> int:
        """Cashback on the player's net loss in [since, until), on our games (settled rounds'
        stakes minus wins) and providers' (bets minus wins and rolled-back stakes, as the
        flusher recorded them): granted once per opted-in award; the amount paid (as cash
        when the definition has no wagering). Staff's decision is on the audit trail in the
        transaction that settles the award."""
        row = await self.db.fetchone(
            "SELECT a.id, d.terms FROM bonus_awards a JOIN bonus_definitions d"
            " ON d.id = a.definition_id WHERE a.definition_id = ? AND a.player_id = ?"
            " AND a.status = 'opted_in' AND d.kind = 'cashback'",
            (definition_id, player_id),
        )
        if row is None:
            return 0
        if (blocked := await self.bonus_block(player_id)) is not None:
            raise blocked
        terms = rules.parse(json.loads(str(row[1])))
        # A free stake (a free spin, a provider's free round: `free`) was the promotion's: no
        # loss of the player's, and its win (bonus money under wagering) no gain against one.
        net = await self.db.fetchone(
            "SELECT COALESCE(SUM(stake - payout), 0) FROM rounds WHERE player_id = ?"
            " AND currency = ? AND status = 'settled' AND free = 0 AND settled_at >= ?"
            " AND settled_at < ?",
            (player_id, currency, since, until),
        )
        provider_net = await self.db.fetchone(
            "SELECT COALESCE(SUM(CASE t.kind WHEN 'bet' THEN t.amount WHEN 'win' THEN -t.amount"
            " WHEN 'rollback' THEN -t.amount ELSE 0 END), 0) FROM provider_transactions t"
            " WHERE t.player_id = ? AND t.currency = ? AND t.created_at >= ?"
            " AND t.created_at < ? AND t.free = 0 AND NOT EXISTS (SELECT 1"
            " FROM provider_transactions b WHERE b.provider_id = t.provider_id"
            " AND b.transaction_uuid = t.reference_uuid AND b.kind = 'bet' AND b.free = 1)",
            (player_id, currency, since, until),
        )
        loss = (int(net[0]) if net else 0) + (int(provider_net[0]) if provider_net else 0)
        paid = rules.cashback(loss, terms)
        status = "queued" if paid > 0 else "ended"
        async with self.db.transaction() as tx:
            settled = await tx.execute(
                "UPDATE bonus_awards SET status = ?, amount = ?, required = ?,"
                " outcome = CASE WHEN ? = 'ended' THEN 'nothing' ELSE NULL END"
                " WHERE id = ? AND status = 'opted_in'",
                (status, paid, rules.required(terms, paid), status, int(row[0])),
            )
            if settled:
                await trail.record(
                    tx, actor, "cashback_awarded", f"player:{player_id}", "", address,
                    {"award_id": int(row[0]), "definition_id": definition_id, "amount": paid,
                     "currency": currency, "since": since, "until": until},
                )  # fmt: skip
        if paid and terms.wagering == 0:
            await self._grant(int(row[0]), player_id, currency, terms, paid, 0, to_cash=True)
        else:
            await self.activate(player_id, currency)
        return paid

    async def restore(self, player_id: int, currency: str) -> ActiveBonus | None:
        """The hot bonus, rebuilt from SQL first when Redis lost it (server/bonus/restore.py):
        called where the rules must hold before a stake (a play session's start, a provider
        launch) and before the queue is read. A hash already there is never touched."""
        hot = await self.hot.active(player_id, currency)
        if hot is not None:
            return hot
        rebuilt = await rebuild(self.db, player_id, currency)
        if isinstance(rebuilt, Ended):
            async with self.db.transaction() as tx:
                await tx.execute(
                    "UPDATE bonus_awards SET status = 'ended', outcome = ? WHERE id = ?"
                    " AND status = 'active'",
                    (rebuilt.outcome, rebuilt.award_id),
                )
            return None
        if rebuilt is None:
            return None
        await self.wallet.ensure_hot(player_id, currency)  # its bonus comes from the ledger
        if await self.hot.restore(player_id, currency, rebuilt):
            log.warning(
                "bonus hash of player %s %s rebuilt from SQL (award %s)",
                player_id, currency, rebuilt["award"],
            )  # fmt: skip
        return await self.hot.active(player_id, currency)

    async def activate(self, player_id: int, currency: str) -> ActiveBonus | None:
        """Note how the last bonus ended, then grant the oldest queued award if none is active."""
        hot = await self.restore(player_id, currency)
        # Expired with no stake since: end it now rather than at the next stake.
        if hot is not None and hot.state == "active" and hot.expires_at_ms <= now_ms():
            await self.hot.end(player_id, currency, forfeit=False, award_id=hot.award_id)
            hot = await self.hot.active(player_id, currency)
        if hot is not None and hot.state == "ended":
            async with self.db.transaction() as tx:
                await tx.execute(
                    "UPDATE bonus_awards SET status = 'ended', outcome = ? WHERE id = ?"
                    " AND status = 'active'",
                    (hot.outcome, hot.award_id),
                )
        if hot is not None and hot.state != "ended":
            return hot
        row = await self.db.fetchone(
            "SELECT a.id, a.amount, a.required, d.terms FROM bonus_awards a"
            " JOIN bonus_definitions d ON d.id = a.definition_id WHERE a.player_id = ?"
            " AND a.currency = ? AND a.status = 'queued' ORDER BY a.id LIMIT 1",
            (player_id, currency),
        )
        if row is None or await self.bonus_block(player_id) is not None:
            return hot  # a blocked award stays queued: `resume` grants it once the block lifts
        terms = rules.parse(json.loads(str(row[3])))
        await self._grant(int(row[0]), player_id, currency, terms, int(row[1]), int(row[2]))
        return await self.hot.active(player_id, currency)

    async def _grant(
        self, award_id: int, player_id: int, currency: str, terms: Terms, amount: int,
        required: int, to_cash: bool = False,
    ) -> bool:  # fmt: skip
        granted_at = now_ms()
        expires_at = granted_at + terms.valid_days * DAY_MS
        grant = Grant(
            award_id=award_id, player_id=player_id, currency=currency, amount=amount,
            to_cash=to_cash, required=required, max_stake=terms.max_stake,
            expires_at_ms=expires_at, cap=terms.max_convert, weights=terms.weights,
            free_spins=FreeSpins(terms.free_game, terms.spins, terms.spin_stake, terms.wagering)
            if terms.kind == "free_spins" else None,
        )  # fmt: skip
        reply = await self.hot.grant(grant)
        if reply.status is ScriptStatus.NO_WALLET:
            await self.wallet.ensure_hot(player_id, currency)
            reply = await self.hot.grant(grant)
        if reply.status not in (ScriptStatus.OK, ScriptStatus.ALREADY):
            return False  # another bonus is active or its money still in play: stays queued
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE bonus_awards SET status = ?, outcome = ?, granted_at = ?, expires_at = ?"
                " WHERE id = ? AND status IN ('queued', 'opted_in')",
                ("ended" if to_cash else "active", "paid" if to_cash else None, granted_at,
                 expires_at, award_id),
            )  # fmt: skip
        return True

    async def redeem(self, player: Claimant, asked: int) -> int:
        """Redeem loyalty points of the programme the player joined; the minor units granted
        (as cash without wagering, else as a queued bonus). Only whole units' points are spent."""
        row = await self.db.fetchone(
            "SELECT d.id, d.terms FROM bonus_awards a JOIN bonus_definitions d"
            " ON d.id = a.definition_id WHERE a.player_id = ? AND a.currency = ?"
            " AND a.status = 'member' AND d.kind = 'loyalty' ORDER BY a.id LIMIT 1",
            (player.id, player.currency),
        )
        if row is None:
            raise Refused(ErrorCode.BONUS_NOT_AVAILABLE, "join a loyalty programme first")
        if (blocked := await self.bonus_block(player.id)) is not None:
            raise blocked
        terms = rules.parse(json.loads(str(row[1])))
        held = await loyalty.balance(self.db, player.id, player.currency)
        value = rules.redemption(held, asked, terms.redeem_rate)
        if value <= 0:
            raise Refused(
                ErrorCode.BONUS_NOT_AVAILABLE,
                f"{asked} points redeem nothing: {held} held, {terms.redeem_rate} per unit",
            )
        spent = value * terms.redeem_rate
        async with self.db.transaction() as tx:
            taken = await tx.execute(
                "UPDATE loyalty_points SET points = points - ? WHERE player_id = ?"
                " AND currency = ? AND points >= ?",
                (spent, player.id, player.currency, spent),
            )
            if taken != 1:
                raise Refused(ErrorCode.BONUS_NOT_AVAILABLE, "not enough points")
            award_id = await tx.insert(
                "INSERT INTO bonus_awards (definition_id, player_id, currency, status, amount,"
                " required, created_at) VALUES (?, ?, ?, 'queued', ?, ?, ?)",
                (int(row[0]), player.id, player.currency, value,
                 rules.required(terms, value), now_ms()),
            )  # fmt: skip
        assert award_id is not None
        if terms.wagering == 0:
            await self._grant(award_id, player.id, player.currency, terms, value, 0, to_cash=True)
        else:
            await self.activate(player.id, player.currency)
        return value

    async def resume(self, player_id: int) -> None:
        """Grant what waited in the queue while a block held (after staff resolved it), in
        each currency the player has queued awards in."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT currency FROM bonus_awards WHERE player_id = ? AND status = 'queued'",
            (player_id,),
        )
        for (currency,) in rows:
            await self.activate(player_id, str(currency))

    async def forfeit(self, player_id: int, currency: str) -> ActiveBonus | None:
        """The player leaves the active bonus: its bonus money goes, their cash stays."""
        await self.hot.end(player_id, currency, forfeit=True)
        return await self.activate(player_id, currency)

    async def close_account(self, player_id: int, currency: str) -> int:
        """A closed account's bonuses end: awards that never started end as 'cancelled' (so
        none is granted after), and the active one is forfeited through the player's own
        forfeit path (its bonus money to the operator's bonus cost). The bonus money that
        left."""
        before = await self.wallet.hot.bonus(player_id, currency)
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE bonus_awards SET status = 'ended', outcome = 'cancelled'"
                " WHERE player_id = ? AND currency = ? AND status IN ('opted_in', 'queued')",
                (player_id, currency),
            )
        await self.forfeit(player_id, currency)
        return before - await self.wallet.hot.bonus(player_id, currency)

    async def view(self, player: Claimant) -> dict[str, Any]:
        """The player's bonus page: offers, the active bonus with progress, every award."""
        active = await self.activate(player.id, player.currency)
        rows = await self.db.fetchall(
            f"{_AWARD} WHERE a.player_id = ? ORDER BY a.id DESC LIMIT 50", (player.id,)
        )
        return {
            "bonus_balance": await self.wallet.hot.bonus(player.id, player.currency),
            "loyalty_points": await loyalty.balance(self.db, player.id, player.currency),
            "active": None
            if active is None or active.state == "ended"
            else {
                "award_id": active.award_id,
                "state": active.state,
                "wagered": active.wagered,
                "required": active.required,
                "max_stake": active.max_stake,
                "expires_at": active.expires_at_ms,
                "granted": active.granted,
                "free_spins": _free_spins(active),
            },
            "awards": [
                {
                    "id": int(r[0]),
                    "definition_id": int(r[1]),
                    "status": str(r[2]),
                    "amount": int(r[3]),
                    "required": int(r[4]),
                    "outcome": r[5],
                    "created_at": int(r[6]),
                    "granted_at": r[7],
                    "expires_at": r[8],
                    "name": str(r[9]),
                    "kind": str(r[10]),
                }
                for r in rows
            ],
            "offers": [
                *(d.public() for d in await self.offers(player)),
                *await campaign_offers.offered(self, player),
            ],
        }

    async def wagering(self, player_id: int, currency: str) -> bool:
        """True while a bonus is being wagered (what a withdrawal must confirm leaving)."""
        hot = await self.hot.active(player_id, currency)
        return hot is not None and hot.state == "active" and hot.expires_at_ms > now_ms()


def _free_spins(active: ActiveBonus) -> dict[str, Any] | None:
    if not active.free_spin_game:
        return None
    return {
        "left": active.free_spins_left,
        "game": active.free_spin_game,
        "stake": active.free_spin_stake,
    }


class WithdrawalAsk(Protocol):
    """What the withdrawal rule reads of payments' request (duck-typed: no domain import)."""

    @property
    def player_id(self) -> int: ...
    @property
    def currency(self) -> str: ...
    @property
    def forfeit_bonus(self) -> bool: ...


def withdrawal_rule(bonuses: Bonuses) -> Callable[[WithdrawalAsk], Awaitable[Refused | None]]:
    """Payments' seam rule: a withdrawal while wagering asks the player to confirm forfeiture;
    confirmed, the bonus money goes and the withdrawal of cash goes ahead."""

    async def rule(request: WithdrawalAsk) -> Refused | None:
        if not await bonuses.wagering(request.player_id, request.currency):
            return None
        if request.forfeit_bonus:
            await bonuses.forfeit(request.player_id, request.currency)
            return None
        return Refused(
            ErrorCode.BONUS_FORFEIT_REQUIRED,
            "a bonus is being wagered: confirm with forfeit_bonus to leave it and withdraw",
        )

    return rule
