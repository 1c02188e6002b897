"""Every kind of event the server emits, typed and versioned, and their one encoding.

An event reports one state change that already happened (or happens in the
same transaction or script as this record of it). Each kind is a frozen
msgspec Struct tagged by `kind` and carrying its `version`; the pair picks
the class that decodes it, so a consumer meets an unknown kind or version as
`UnknownEvent` (by name) and never as a half-read dict. The `id` is stable
for the change it reports: an event relayed twice carries the same id, and
consumers dedupe by it (delivery is at least once). Changing the fields of a
kind means a new class with the next version beside the old one, never an
edit of the old one: events already in a stream keep decoding.

The encoding is JSON (msgspec): the outbox keeps it as text in SQL, the
stream as one field, and a Lua script can write the same shape
(`server/events/lua/_emit_event.lua`). Amounts are integers in minor units.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

# Only what the event needs: no secret (password, token, document bytes) is ever one of its
# fields, so any consumer (reports, analytics, logs) may keep events as they come.


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="kind"):
    id: str  # stable for the change reported: the key consumers dedupe by
    player_id: int
    at_ms: int  # when the change was made, ms since the epoch
    version: int = 1  # a later version of a kind is a new class with its own default


class Registered(Event, frozen=True, kw_only=True, tag="registered"):
    country: str
    currency: str
    address: str


class LoggedIn(Event, frozen=True, kw_only=True, tag="login"):
    """A login attempt on an existing account: ok, failed (wrong password) or locked
    (refused by the lockout before the password was checked)."""

    address: str
    user_agent: str
    outcome: Literal["ok", "failed", "locked"]


class LoggedInV2(Event, frozen=True, kw_only=True, tag="login"):
    """A login attempt, with the device id the client sent (`ua:HASH` of the user agent when
    it sent none): what fraud rules link devices and accounts by."""

    version: int = 2
    address: str
    user_agent: str
    outcome: Literal["ok", "failed", "locked"]
    device_id: str


class Deposited(Event, frozen=True, kw_only=True, tag="deposit"):
    deposit_id: int
    amount: int
    currency: str
    gateway: str


class Withdrawal(Event, frozen=True, kw_only=True, tag="withdrawal"):
    """A withdrawal requested, then resolved once: completed, declined or refused."""

    payment_id: int
    amount: int
    currency: str
    gateway: str
    status: Literal["requested", "completed", "declined", "refused"]


class KycChanged(Event, frozen=True, kw_only=True, tag="kyc"):
    previous: str
    status: str


class KycChangedV2(Event, frozen=True, kw_only=True, tag="kyc"):
    """A KYC decision that changed a player's status or level: who decided (`actor`:
    vendor, staff:NAME, auto:RULE, player for an upload), and a rejection's type and reason."""

    version: int = 2
    previous: str
    status: str
    previous_level: int
    level: int
    actor: str
    reject_type: str
    reason: str


class StatusChanged(Event, frozen=True, kw_only=True, tag="restriction"):
    """An account's status set by the back office or a rule: active, restricted, disabled."""

    status: str
    reason: str


class AmlCaseOpened(Event, frozen=True, kw_only=True, tag="aml_case_opened"):
    """An AML rule or a sanctions hit opened a case; `action` applies until staff close it."""

    case_id: int
    rule: str
    action: str
    reason: str


class AmlCaseClosed(Event, frozen=True, kw_only=True, tag="aml_case_closed"):
    """Staff closed an AML case: cleared (its action lifts) or confirmed (account closed)."""

    case_id: int
    rule: str
    outcome: Literal["cleared", "confirmed"]
    reason: str


class RegisterChecked(Event, frozen=True, kw_only=True, tag="register_check"):
    """The national self-exclusion register's answer that mattered, at registration or login:
    excluded (refused), previously excluded (let in), or no answer (refused in live mode).
    `player_id` 0: refused at registration, before any account. `reference` is the
    register's id of the check ("" without an answer); the person's details stay out."""

    stage: Literal["registration", "login"]
    answer: Literal["excluded", "previously_excluded", "unavailable"]
    reference: str
    address: str


class LimitChanged(Event, frozen=True, kw_only=True, tag="limit"):
    """A responsible-gambling limit set or changed (emitted once limits exist)."""

    limit: str
    amount: int | None
    currency: str


class TimedOut(Event, frozen=True, kw_only=True, tag="time_out"):
    """A player took a time-out (24 hours to 6 weeks): no play, deposits or marketing until."""

    until_ms: int


class SelfExcluded(Event, frozen=True, kw_only=True, tag="self_excluded"):
    """A player excluded themselves (at least 6 months, no early undo) until `until_ms`."""

    until_ms: int


class RealityCheck(Event, frozen=True, kw_only=True, tag="reality_check"):
    """A reality check shown to the player (`acknowledged` False) or acknowledged (True)."""

    elapsed_ms: int
    net: int  # wins minus stakes in the session, minor units of `currency`
    currency: str
    acknowledged: bool


# Money's events: each is appended by the Lua script that moves the money, in the same
# atomic step (server/money/lua/). `balance` is the player's cash after the movement: what a
# client shows, and what the balance push carries (server/events/push.py).


class StakeTaken(Event, frozen=True, kw_only=True, tag="stake"):
    """A stake held for one of our rounds: at its start, or more of it for a step (double,
    split, insurance). The round's result follows as `RoundSettled`."""

    round_id: str
    game: str
    currency: str
    amount: int
    balance: int


class RoundSettled(Event, frozen=True, kw_only=True, tag="round_settled"):
    """One of our rounds resolved: settled with its win, or voided (its stake returned whole:
    `voided`, `win` 0)."""

    round_id: str
    game: str
    currency: str
    stake: int
    win: int
    balance: int
    voided: bool = False


class ProviderMovement(Event, frozen=True, kw_only=True, tag="provider"):
    """A provider's bet, win or rollback applied to the wallet."""

    provider_id: str
    transaction_id: str
    round_id: str
    game: str
    action: Literal["bet", "win", "rollback"]
    amount: int
    currency: str
    balance: int


class RoundSettledV2(RoundSettled, frozen=True, kw_only=True, tag="round_settled"):
    """A round resolved, saying whether its stake was the promotion's (`free`: one of a
    bonus's free spins), which earns no loyalty points and is no loss for cashback. A subclass,
    so a consumer written for version 1 reads it as one."""

    version: int = 2
    free: bool


class ProviderMovementV2(ProviderMovement, frozen=True, kw_only=True, tag="provider"):
    """A provider's bet, win or rollback, saying whether the bet it belongs to was a free
    round (`free`: flagged is_free and paid by the promotion), which earns no loyalty points
    and is no loss for cashback. A subclass, so a version 1 consumer reads it as one."""

    version: int = 2
    free: bool


class RoundBets(Event, frozen=True, kw_only=True, tag="round_bets"):
    """The bets of one settled table round (roulette, baccarat, blackjack): what the fraud
    rules read for hedged play and minimal-risk play while clearing a bonus. The flusher
    emits it from the round's journal entry once the round is durable, never the bet's own
    script, so the bet's hot path pays nothing for it. `options` are the game's options as
    the round was dealt with them (roulette: `{"bets": [...]}`); `stake_bonus` is the part of
    `stake` that was bonus money (cash is spent first). `at_ms` is when the round settled."""

    round_id: str
    game: str
    currency: str
    stake: int
    stake_bonus: int
    options: dict[str, Any] | None = None


class DepositCredited(Event, frozen=True, kw_only=True, tag="deposit_credited"):
    """A deposit already durable in the ledger (`Deposited`) reached the spendable balance."""

    transfer: str  # the ledger transfer's idempotency key
    amount: int
    currency: str
    balance: int


class BalanceAdjusted(Event, frozen=True, kw_only=True, tag="balance_adjusted"):
    """A manual adjustment of the player's cash, approved by a second staff member (four
    eyes: server/staff/four_eyes.py), moved in the wallet."""

    adjustment_id: int
    amount: int  # signed: a credit is positive, a debit negative
    currency: str
    balance: int


class WithdrawalFunds(Event, frozen=True, kw_only=True, tag="withdrawal_funds"):
    """A withdrawal's money moved in the wallet: cash locked, the locked funds paid out, or
    returned to cash after a decline."""

    payment_id: int
    action: Literal["locked", "paid", "returned"]
    amount: int
    currency: str
    balance: int


class RiskAlerted(Event, frozen=True, kw_only=True, tag="risk_alert"):
    """A fraud rule fired on the player (server/risk/): the alert, and the action it applied
    (flag, hold_withdrawals, restrict, lock) until staff resolve it."""

    alert_id: int
    rule: str
    severity: str
    action: str


class EmailVerified(Event, frozen=True, kw_only=True, tag="email_verified"):
    """The player followed the verification link sent to their current address."""


class PasswordReset(Event, frozen=True, kw_only=True, tag="password_reset"):
    """The password was set through an emailed reset link; every session of the player ended."""

    sessions_ended: int


class TwoFactorChanged(Event, frozen=True, kw_only=True, tag="two_factor"):
    """Two-factor login turned on or off, or a single-use recovery code spent."""

    change: Literal["enabled", "disabled", "recovery_code_used"]


class ProfileChanged(Event, frozen=True, kw_only=True, tag="profile"):
    """The player changed their own details: only the names of the fields, never values."""

    fields: list[str]


class ProfileChangedV2(Event, frozen=True, kw_only=True, tag="profile"):
    """Version 2: also, when the postal address changed, digests of it (SHA-256 of the
    normalised address, and of its first line: server/accounts/profile.py), never the text,
    so the fraud monitor can link accounts that share an address or a household."""

    version: int = 2
    fields: list[str]
    address_digest: str = ""  # "" when the address did not change or was cleared
    street_digest: str = ""


class PaymentMethodSaved(Event, frozen=True, kw_only=True, tag="payment_method"):
    """A payment method was saved for the player: its type, the label the player sees, and
    the gateway's fingerprint of the instrument (the same card, e-wallet account or IBAN
    gives the same fingerprint whoever saves it; "" when the gateway gives none)."""

    method_id: int
    type: str
    label: str
    fingerprint: str


class SessionEnded(Event, frozen=True, kw_only=True, tag="session_ended"):
    """The player ended one of their own login sessions (one, or all but the current)."""

    sessions_ended: int
    reason: str


class BonusGranted(Event, frozen=True, kw_only=True, tag="bonus_granted"):
    """A bonus award's money reached the wallet: as bonus money under wagering, or as cash."""

    award: int
    amount: int
    to: Literal["bonus", "cash"]
    currency: str
    balance: int  # cash after


class BonusEnded(Event, frozen=True, kw_only=True, tag="bonus_ended"):
    """The active bonus ended (or bonus money that came back after it ended followed it):
    converted to cash (`to_cash`, the rest over a cap to the operator's bonus cost), expired,
    forfeited by the player, or spent (nothing left to move)."""

    award: int
    outcome: Literal["converted", "expired", "forfeited", "spent"]
    to_cash: int
    to_cost: int
    currency: str
    balance: int  # cash after


class BonusWagered(Event, frozen=True, kw_only=True, tag="bonus_wagered"):
    """A stake counted towards the active bonus's wagering (`counted` > 0), or a voided round's
    or rolled-back bet's count taken back (`counted` < 0). Amounts in hundredths of a minor
    unit, as the scripts count them (a 10 % weight counts exactly): `wagered` after, of
    `required`. Appended by the script that counted it (server/money/lua/_bonus.lua)."""

    award: int
    counted: int
    wagered: int
    required: int
    currency: str


class Chargeback(Event, frozen=True, kw_only=True, tag="chargeback"):
    """A lost dispute took a deposit back: `taken` left the player's cash, the rest of
    `amount` became the player's debt."""

    dispute_id: int
    amount: int
    taken: int
    currency: str
    balance: int


class DebtRepaid(Event, frozen=True, kw_only=True, tag="debt_repaid"):
    """A deposit first repaid (part of) the player's chargeback debt: `amount` went from the
    deposit to the debt account, `owed` is what is still owed after it."""

    deposit_id: int
    amount: int
    currency: str
    owed: int


class ProviderSessionsRevoked(Event, frozen=True, kw_only=True, tag="provider_sessions_revoked"):
    """Staff ended every live provider game session of the player (`revoked` of them): the
    provider's next call with one of their tokens is refused."""

    revoked: int
    by: str  # the staff actor, as on the audit trail
    reason: str


class AccountClosed(Event, frozen=True, kw_only=True, tag="account_closed"):
    """Staff closed the account for good: its access ended, its bonus money forfeited, its
    cash paid out (`payout`: a withdrawal to the last deposit method, `payable` to the
    operator's closed-accounts liability, or `none` when there was no cash); `locked` is
    what pending withdrawals still held, left to finish."""

    currency: str
    cash: int  # what left the cash balance
    bonus_forfeited: int
    locked: int
    payout: Literal["withdrawal", "payable", "none"]
    payment_id: int | None
    by: str
    reason: str


KINDS: tuple[type[Event], ...] = (
    Registered,
    LoggedIn,
    LoggedInV2,
    Deposited,
    DebtRepaid,
    Withdrawal,
    KycChanged,
    KycChangedV2,
    StatusChanged,
    AmlCaseOpened,
    AmlCaseClosed,
    RegisterChecked,
    LimitChanged,
    TimedOut,
    SelfExcluded,
    RealityCheck,
    StakeTaken,
    RoundSettled,
    RoundSettledV2,
    ProviderMovement,
    ProviderMovementV2,
    RoundBets,
    DepositCredited,
    BalanceAdjusted,
    WithdrawalFunds,
    EmailVerified,
    PasswordReset,
    TwoFactorChanged,
    ProfileChanged,
    ProfileChangedV2,
    PaymentMethodSaved,
    SessionEnded,
    BonusGranted,
    BonusEnded,
    BonusWagered,
    Chargeback,
    RiskAlerted,
    ProviderSessionsRevoked,
    AccountClosed,
)


def _kind(cls: type[Event]) -> str:
    tag = cls.__struct_config__.tag
    assert isinstance(tag, str), cls
    return tag


def _version(cls: type[Event]) -> int:
    default = next(f.default for f in msgspec.structs.fields(cls) if f.name == "version")
    assert isinstance(default, int), cls
    return default


# (kind, version) -> the class that decodes it; a second version of a kind is added here.
DECODERS: dict[tuple[str, int], type[Event]] = {(_kind(cls), _version(cls)): cls for cls in KINDS}


class UnknownEvent(ValueError):
    """An event this code cannot read: a kind it does not know, or a version of a known kind
    newer (or older) than any it has a class for. Nothing is guessed from the fields."""

    def __init__(self, kind: str, version: int) -> None:
        known = sorted({k for k, _ in DECODERS})
        if kind in known:
            versions = sorted(v for k, v in DECODERS if k == kind)
            detail = f"version {version} of event {kind!r} is unknown (known: {versions})"
        else:
            detail = f"event kind {kind!r} is unknown (known: {', '.join(known)})"
        super().__init__(detail)
        self.kind = kind
        self.version = version


class MalformedEvent(ValueError):
    """Bytes that are not an event at all, or an event whose fields do not fit its class."""


class _Header(msgspec.Struct):
    kind: str
    version: int = 1


_encoder = msgspec.json.Encoder()
_header = msgspec.json.Decoder(_Header)
_decoders = {key: msgspec.json.Decoder(cls) for key, cls in DECODERS.items()}


def kind_of(event: Event) -> str:
    return _kind(type(event))


def encode(event: Event) -> bytes:
    if DECODERS.get((kind_of(event), event.version)) is not type(event):
        raise UnknownEvent(kind_of(event), event.version)
    return _encoder.encode(event)


def decode(data: bytes | str) -> Event:
    """The event `data` encodes; UnknownEvent or MalformedEvent when it cannot be read."""
    try:
        header = _header.decode(data)
    except msgspec.DecodeError as error:
        raise MalformedEvent(f"not an event: {error}") from None
    decoder = _decoders.get((header.kind, header.version))
    if decoder is None:
        raise UnknownEvent(header.kind, header.version)
    try:
        return decoder.decode(data)
    except msgspec.DecodeError as error:
        raise MalformedEvent(f"event {header.kind!r} v{header.version}: {error}") from None
