"""Every refusal the server can give: one enum of stable codes and the one exception that
carries a code.

Codes are part of the public API: clients branch on them, so a code is never
renamed or reused. `DESCRIPTIONS` documents each one; the README table is
generated from it. Whatever refuses a request, in any domain, raises `Refused`;
each edge translates it once (an HTTP error body in `server/app.py`, an error
frame in `server/sessions/connection.py`, a provider status through
`server/provider/status.py`), so no domain has a refusal class of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    # Frames and messages
    BAD_FRAME = "BAD_FRAME"
    FRAME_TOO_LARGE = "FRAME_TOO_LARGE"
    UNKNOWN_TYPE = "UNKNOWN_TYPE"
    MISSING_FIELD = "MISSING_FIELD"
    INVALID_FIELD = "INVALID_FIELD"
    UNSUPPORTED_VERSION = "UNSUPPORTED_VERSION"
    # Authentication
    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
    ALREADY_AUTHENTICATED = "ALREADY_AUTHENTICATED"
    INVALID_TOKEN = "INVALID_TOKEN"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    LOGIN_LOCKED = "LOGIN_LOCKED"
    # Registration
    EMAIL_TAKEN = "EMAIL_TAKEN"
    USERNAME_TAKEN = "USERNAME_TAKEN"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    UNDERAGE = "UNDERAGE"
    REGISTRATION_LIMITED = "REGISTRATION_LIMITED"
    SELF_EXCLUDED = "SELF_EXCLUDED"
    ACCOUNT_CLOSED = "ACCOUNT_CLOSED"
    VALIDATION_FAILED = "VALIDATION_FAILED"
    # Account care: verification, reset, two-factor
    INVALID_LINK = "INVALID_LINK"
    LINK_EXPIRED = "LINK_EXPIRED"
    TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"
    TWO_FACTOR_REQUIRED = "TWO_FACTOR_REQUIRED"
    INVALID_TWO_FACTOR_CODE = "INVALID_TWO_FACTOR_CODE"
    # Games and stakes
    UNKNOWN_GAME = "UNKNOWN_GAME"
    INVALID_STAKE = "INVALID_STAKE"
    STAKE_BELOW_MIN = "STAKE_BELOW_MIN"
    STAKE_ABOVE_MAX = "STAKE_ABOVE_MAX"
    INVALID_BET = "INVALID_BET"
    UNKNOWN_ACTION = "UNKNOWN_ACTION"
    ILLEGAL_ACTION = "ILLEGAL_ACTION"
    ROUND_NOT_FINISHED = "ROUND_NOT_FINISHED"
    ROUND_IN_PROGRESS = "ROUND_IN_PROGRESS"
    ROUND_CONFLICT = "ROUND_CONFLICT"
    INVALID_CLIENT_SEED = "INVALID_CLIENT_SEED"
    # Money
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    ACCOUNT_RESTRICTED = "ACCOUNT_RESTRICTED"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    WRONG_CURRENCY = "WRONG_CURRENCY"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    SANDBOX_LIMIT_REACHED = "SANDBOX_LIMIT_REACHED"
    # Responsible gambling (server/rg)
    LOSS_LIMIT_REACHED = "LOSS_LIMIT_REACHED"
    DEPOSIT_LIMIT_REACHED = "DEPOSIT_LIMIT_REACHED"
    PLAY_BLOCKED = "PLAY_BLOCKED"
    REALITY_CHECK_PENDING = "REALITY_CHECK_PENDING"
    GAME_CYCLE_TOO_SOON = "GAME_CYCLE_TOO_SOON"
    STAKE_ABOVE_PROFILE_CAP = "STAKE_ABOVE_PROFILE_CAP"
    SESSION_TIME_LIMIT = "SESSION_TIME_LIMIT"
    RG_LIMIT_NOT_DUE = "RG_LIMIT_NOT_DUE"
    RG_ALREADY_EXCLUDED = "RG_ALREADY_EXCLUDED"
    # Bonuses
    BONUS_MAX_STAKE = "BONUS_MAX_STAKE"
    BONUS_FORFEIT_REQUIRED = "BONUS_FORFEIT_REQUIRED"
    BONUS_NOT_AVAILABLE = "BONUS_NOT_AVAILABLE"
    PROVIDER_UNAVAILABLE = "PROVIDER_UNAVAILABLE"
    # Payments
    PAYMENTS_UNAVAILABLE = "PAYMENTS_UNAVAILABLE"
    GATEWAY_UNAVAILABLE = "GATEWAY_UNAVAILABLE"
    PAYMENT_DECLINED = "PAYMENT_DECLINED"
    WITHDRAWAL_REFUSED = "WITHDRAWAL_REFUSED"
    # Anti-money-laundering
    CDD_REQUIRED = "CDD_REQUIRED"
    AML_REVIEW_REQUIRED = "AML_REVIEW_REQUIRED"
    CLOSED_LOOP_ONLY = "CLOSED_LOOP_ONLY"
    AML_CASE_CLOSED = "AML_CASE_CLOSED"
    # Fraud and risk monitoring
    RISK_REVIEW_REQUIRED = "RISK_REVIEW_REQUIRED"
    RISK_ALERT_RESOLVED = "RISK_ALERT_RESOLVED"
    BONUSES_BLOCKED = "BONUSES_BLOCKED"
    CLOSED_LOOP = "CLOSED_LOOP"
    INVALID_PAYMENT_METHOD = "INVALID_PAYMENT_METHOD"
    WEBHOOK_SIGNATURE_INVALID = "WEBHOOK_SIGNATURE_INVALID"
    CANCEL_NOT_ALLOWED = "CANCEL_NOT_ALLOWED"
    EVIDENCE_REFUSED = "EVIDENCE_REFUSED"
    # Session limits
    RATE_LIMITED = "RATE_LIMITED"
    TOO_MANY_PENDING = "TOO_MANY_PENDING"
    TOO_MANY_SESSIONS = "TOO_MANY_SESSIONS"
    TOO_MANY_CONNECTIONS = "TOO_MANY_CONNECTIONS"
    REQUEST_IN_PROGRESS = "REQUEST_IN_PROGRESS"
    # KYC documents
    UNSUPPORTED_DOCUMENT = "UNSUPPORTED_DOCUMENT"
    DOCUMENT_TOO_LARGE = "DOCUMENT_TOO_LARGE"
    DOCUMENT_QUOTA_EXCEEDED = "DOCUMENT_QUOTA_EXCEEDED"
    KYC_REVIEW_REFUSED = "KYC_REVIEW_REFUSED"
    KYC_REQUIRED = "KYC_REQUIRED"
    KYC_WEBHOOK_REFUSED = "KYC_WEBHOOK_REFUSED"
    STAFF_ONLY = "STAFF_ONLY"
    STAFF_ROLE_REFUSED = "STAFF_ROLE_REFUSED"
    FOUR_EYES_REQUIRED = "FOUR_EYES_REQUIRED"
    PROPOSAL_NOT_PENDING = "PROPOSAL_NOT_PENDING"
    WITHDRAWAL_APPROVAL_REQUIRED = "WITHDRAWAL_APPROVAL_REQUIRED"
    QUEUE_ITEM_CLAIMED = "QUEUE_ITEM_CLAIMED"
    # HTTP
    ORIGIN_NOT_ALLOWED = "ORIGIN_NOT_ALLOWED"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    HEADERS_TOO_LARGE = "HEADERS_TOO_LARGE"
    REQUEST_TIMEOUT = "REQUEST_TIMEOUT"
    SERVER_AT_CAPACITY = "SERVER_AT_CAPACITY"
    # Server side
    NOT_FOUND = "NOT_FOUND"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    SERVER_BUSY = "SERVER_BUSY"
    INTERNAL_ERROR = "INTERNAL_ERROR"


class Refused(Exception):
    """A request refused, with the stable `code` a client branches on.

    `message` is for developers reading the API and may change; `extra` holds the fields a
    code documents (`retry_after`, `field`, `balance`, `limit`, ...), sent with the code as
    they are. `params` holds the figures a client words the refusal with (amounts in minor
    units with their `currency`, `minutes`, `age`, and a `variant` naming which sentence of
    the code's entry in clients/web/messages.json applies); the edges send it as `params`.
    """

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        params: Mapping[str, int | str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params: dict[str, int | str] | None = dict(params) if params else None
        self.extra = extra


def wait_minutes(seconds: int) -> int:
    """A wait in whole minutes for people, rounded up: 61 s is "2 minutes", never "0"."""
    return max(1, -(-seconds // 60))


DESCRIPTIONS: dict[ErrorCode, str] = {
    ErrorCode.BAD_FRAME: "The frame is not valid MessagePack/JSON, or not a map.",
    ErrorCode.FRAME_TOO_LARGE: "The frame exceeds the server's maximum message size.",
    ErrorCode.UNKNOWN_TYPE: "The message `type` is not one the server knows.",
    ErrorCode.MISSING_FIELD: "A required field (named in the message) is absent.",
    ErrorCode.INVALID_FIELD: "A field has the wrong type or an out-of-range value.",
    ErrorCode.UNSUPPORTED_VERSION: "The client asked for a protocol version this server lacks.",
    ErrorCode.NOT_AUTHENTICATED: "Send `hello` with a session token before anything else.",
    ErrorCode.ALREADY_AUTHENTICATED: "This connection has already said hello.",
    ErrorCode.INVALID_TOKEN: "The session token is unknown or was revoked.",
    ErrorCode.TOKEN_EXPIRED: "The session token has expired; log in again.",
    ErrorCode.INVALID_CREDENTIALS: "Login name or password is wrong.",
    ErrorCode.LOGIN_LOCKED: "Too many failed logins; wait `retry_after` seconds, then retry.",
    ErrorCode.EMAIL_TAKEN: "Another account already uses this email address.",
    ErrorCode.USERNAME_TAKEN: "Another account already uses this username.",
    ErrorCode.WEAK_PASSWORD: "The password does not meet the strength rules.",
    ErrorCode.UNDERAGE: "The player is younger than the minimum gambling age.",
    ErrorCode.REGISTRATION_LIMITED: (
        "Too many registrations from this address; wait `retry_after` seconds, then retry."
    ),
    ErrorCode.SELF_EXCLUDED: (
        "The national self-exclusion register (GAMSTOP) says the person is self-excluded: no"
        " account, no login (`reference`: the register's id of the check)."
    ),
    ErrorCode.ACCOUNT_CLOSED: (
        "The account was closed by the operator: no login, stake or deposit; a closed account"
        " stays closed."
    ),
    ErrorCode.VALIDATION_FAILED: "A request field is malformed (the message names it).",
    ErrorCode.UNKNOWN_GAME: "No game has this id.",
    ErrorCode.INVALID_STAKE: "The stake is not a positive integer multiple of the game's step.",
    ErrorCode.STAKE_BELOW_MIN: "The stake is below the game's minimum.",
    ErrorCode.STAKE_ABOVE_MAX: "The stake is above the game's maximum.",
    ErrorCode.INVALID_BET: "A bet in the round's options is malformed or not offered by the game.",
    ErrorCode.UNKNOWN_ACTION: "The game has no action of that name.",
    ErrorCode.ILLEGAL_ACTION: "The action is not legal in the round's current state.",
    ErrorCode.ROUND_NOT_FINISHED: "The round still needs an action before it can settle.",
    ErrorCode.ROUND_IN_PROGRESS: "An unfinished round of this game must be finished first.",
    ErrorCode.ROUND_CONFLICT: "Another connection acted on the round first; resume it and retry.",
    ErrorCode.INVALID_CLIENT_SEED: "A client seed is 1-64 printable ASCII characters without ':'.",
    ErrorCode.INSUFFICIENT_FUNDS: "The balance does not cover the stake; nothing was moved.",
    ErrorCode.ACCOUNT_RESTRICTED: "The account is restricted or disabled: no new stakes.",
    ErrorCode.LOSS_LIMIT_REACHED: "The stake could take net losses past the player's loss limit.",
    ErrorCode.DEPOSIT_LIMIT_REACHED: (
        "The deposit would pass the player's deposit limit (`window`, `limit`, `remaining`)."
    ),
    ErrorCode.PLAY_BLOCKED: "The player is in a time-out or self-exclusion: no stakes, deposits.",
    ErrorCode.REALITY_CHECK_PENDING: "Acknowledge the reality check (`reality_check_ack`) first.",
    ErrorCode.GAME_CYCLE_TOO_SOON: (
        "The jurisdiction's least time between game cycles has not passed (`retry_after_ms`)."
    ),
    ErrorCode.STAKE_ABOVE_PROFILE_CAP: "The stake is above the jurisdiction's cap (`cap`).",
    ErrorCode.SESSION_TIME_LIMIT: "The player's session time limit is reached; the session ends.",
    ErrorCode.RG_LIMIT_NOT_DUE: (
        "A raised limit applies only 24 hours after it was asked for (`effective_at_ms`)."
    ),
    ErrorCode.RG_ALREADY_EXCLUDED: "An exclusion already runs past the end asked for.",
    ErrorCode.BONUS_MAX_STAKE: (
        "The stake is above the active bonus's maximum stake (`max_stake`); nothing was moved."
    ),
    ErrorCode.BONUS_FORFEIT_REQUIRED: (
        "A bonus is still being wagered: repeat the withdrawal with `forfeit_bonus: true` to"
        " leave it (its bonus money is removed; cash stays yours), or keep playing."
    ),
    ErrorCode.BONUS_NOT_AVAILABLE: (
        "No offer matches: unknown or expired promotion, wrong code, already claimed, or not"
        " offered in the player's country or currency."
    ),
    ErrorCode.INVALID_AMOUNT: "A money amount is not a positive integer in minor units.",
    ErrorCode.WRONG_CURRENCY: "The currency does not match the player's wallet.",
    ErrorCode.IDEMPOTENCY_CONFLICT: "The idempotency key was used before with other values.",
    ErrorCode.SANDBOX_LIMIT_REACHED: (
        "The sandbox deposit would take the player past the play money allowed in 24 hours"
        " (`limit`; `remaining` is what may still be deposited); nothing was credited."
    ),
    ErrorCode.INVALID_LINK: "The email link is unknown or was already used; ask for a new one.",
    ErrorCode.LINK_EXPIRED: "The email link has expired; ask for a new one.",
    ErrorCode.TOO_MANY_REQUESTS: (
        "Too many emails asked for this account or from this address; wait `retry_after` seconds."
    ),
    ErrorCode.TWO_FACTOR_REQUIRED: (
        "The account uses two-factor login: send `code` (authenticator or recovery code)."
    ),
    ErrorCode.INVALID_TWO_FACTOR_CODE: (
        "The two-factor code is wrong, already used, or outside the current time step."
    ),
    ErrorCode.PROVIDER_UNAVAILABLE: (
        "The game provider did not take the free rounds; nothing was awarded, the offer stays"
        " open and may be accepted again."
    ),
    ErrorCode.PAYMENTS_UNAVAILABLE: "No payment gateway is configured on this server.",
    ErrorCode.GATEWAY_UNAVAILABLE: (
        "The gateway gave no answer; the payment stays pending and is completed later."
    ),
    ErrorCode.PAYMENT_DECLINED: "The gateway declined the payment; a withdrawal's money is back.",
    ErrorCode.WITHDRAWAL_REFUSED: "A withdrawal rule refused the request; nothing was moved.",
    ErrorCode.CDD_REQUIRED: (
        "Linked transactions in the window reach the due diligence threshold"
        " (`linked_eur_cents`, `threshold_eur_cents`): verify address and source of funds"
        " (KYC level 2) first; nothing was moved."
    ),
    ErrorCode.AML_REVIEW_REQUIRED: (
        "Withdrawals are held while compliance reviews an AML case (`case_id`); nothing was moved."
    ),
    ErrorCode.CLOSED_LOOP_ONLY: (
        "The account was closed after due diligence failed: funds go back only to a payment"
        " method they came from (`gateways`); nothing was moved."
    ),
    ErrorCode.AML_CASE_CLOSED: "The AML case was already cleared or confirmed; nothing changed.",
    ErrorCode.RISK_REVIEW_REQUIRED: (
        "Withdrawals are held while staff review a fraud alert (`alert_id`); nothing was moved."
    ),
    ErrorCode.RISK_ALERT_RESOLVED: "The risk alert was already resolved; nothing changed.",
    ErrorCode.BONUSES_BLOCKED: (
        "Bonuses are paused while staff review a fraud alert (`alert_id`); nothing was claimed."
    ),
    ErrorCode.CLOSED_LOOP: (
        "A withdrawal goes first to the methods that deposited, up to what each deposited"
        " (`methods`: what each may still take); nothing was moved."
    ),
    ErrorCode.CANCEL_NOT_ALLOWED: (
        "Only a withdrawal still with the bank can be cancelled, where the jurisdiction allows"
        " it; nothing was changed."
    ),
    ErrorCode.EVIDENCE_REFUSED: (
        "Staff: the gateway refused the dispute's evidence (already given, or the dispute is"
        " closed); nothing was changed."
    ),
    ErrorCode.WEBHOOK_SIGNATURE_INVALID: (
        "The webhook is unsigned, signed more than 300 s from now, or matches no current secret;"
        " nothing was applied (and it is logged)."
    ),
    ErrorCode.INVALID_PAYMENT_METHOD: (
        "The payment method is unknown, not the player's, or refused by the gateway (not a test"
        " card); nothing was moved."
    ),
    ErrorCode.RATE_LIMITED: "Requests arrive faster than the connection's rate; slow down.",
    ErrorCode.TOO_MANY_PENDING: "Too many requests of this connection are still in progress.",
    ErrorCode.TOO_MANY_SESSIONS: "The player has the maximum number of open sessions.",
    ErrorCode.TOO_MANY_CONNECTIONS: "This address has the maximum number of open connections.",
    ErrorCode.REQUEST_IN_PROGRESS: "A request with this id is still being handled; ask again.",
    ErrorCode.UNSUPPORTED_DOCUMENT: "Only PDF, JPEG and PNG files are accepted, judged by content.",
    ErrorCode.DOCUMENT_TOO_LARGE: "The document exceeds the upload size limit.",
    ErrorCode.DOCUMENT_QUOTA_EXCEEDED: (
        "The player's stored KYC documents are at their count or size quota; nothing was stored."
    ),
    ErrorCode.KYC_REVIEW_REFUSED: "The review does not apply to the player's KYC status.",
    ErrorCode.KYC_REQUIRED: (
        "The action needs a higher KYC level (`required`, `level`) in the player's country;"
        " nothing was moved."
    ),
    ErrorCode.KYC_WEBHOOK_REFUSED: "A KYC vendor webhook was unsigned or forged; nothing changed.",
    ErrorCode.STAFF_ONLY: (
        "A staff route without a live staff session (or the automation key CASINO_STAFF_TOKEN)."
    ),
    ErrorCode.FOUR_EYES_REQUIRED: (
        "A proposal is approved by another staff member than the one who proposed it."
    ),
    ErrorCode.PROPOSAL_NOT_PENDING: "The proposal is not in a state this decision applies to.",
    ErrorCode.WITHDRAWAL_APPROVAL_REQUIRED: (
        "A withdrawal this large waits for two staff members' approval (`proposal_id`);"
        " withdraw the same amount again once approved. Nothing was moved."
    ),
    ErrorCode.QUEUE_ITEM_CLAIMED: (
        "Another staff member holds this queue item (`holder`); nothing changed."
    ),
    ErrorCode.STAFF_ROLE_REFUSED: (
        "The staff member's role may not call this route (`allowed` names the roles that may)."
    ),
    ErrorCode.ORIGIN_NOT_ALLOWED: "Cross-origin request from an origin not in CASINO_CORS_ORIGINS.",
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: "A JSON route's body must be sent as application/json.",
    ErrorCode.HEADERS_TOO_LARGE: "The request line and headers exceed the size or count limit.",
    ErrorCode.REQUEST_TIMEOUT: "The request's headers or body stopped arriving; it was dropped.",
    ErrorCode.SERVER_AT_CAPACITY: "The server holds its maximum of HTTP connections; retry soon.",
    ErrorCode.NOT_FOUND: "The requested resource does not exist.",
    ErrorCode.SERVICE_UNAVAILABLE: "A backing service is down; retry later. Nothing was lost.",
    ErrorCode.SERVER_BUSY: "Rounds are waiting to be stored; no stake was taken. Retry shortly.",
    ErrorCode.INTERNAL_ERROR: "An unexpected server fault; money is safe: check the balance.",
}
