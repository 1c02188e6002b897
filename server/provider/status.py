"""The status codes of the provider wallet API: one table, the only place they are defined.

Names follow Hub88's seamless-wallet statuses, which providers already handle;
those whose description starts "(ours)" are our additions. Every reply is HTTP 200 with
one of these in `status`: a provider branches on the status, never on the HTTP
code. The README and the OpenAPI document are checked against this table.
"""

from __future__ import annotations

from enum import StrEnum

from protocol.errors import ErrorCode


class Status(StrEnum):
    OK = "RS_OK"
    UNKNOWN = "RS_ERROR_UNKNOWN"
    INVALID_PARTNER = "RS_ERROR_INVALID_PARTNER"
    INVALID_SIGNATURE = "RS_ERROR_INVALID_SIGNATURE"
    WRONG_SYNTAX = "RS_ERROR_WRONG_SYNTAX"
    WRONG_TYPES = "RS_ERROR_WRONG_TYPES"
    INVALID_TOKEN = "RS_ERROR_INVALID_TOKEN"  # noqa: S105 (a status name)
    TOKEN_EXPIRED = "RS_ERROR_TOKEN_EXPIRED"  # noqa: S105
    INVALID_GAME = "RS_ERROR_INVALID_GAME"
    WRONG_CURRENCY = "RS_ERROR_WRONG_CURRENCY"
    USER_DISABLED = "RS_ERROR_USER_DISABLED"
    LIMIT_REACHED = "RS_ERROR_LIMIT_REACHED"
    NOT_ENOUGH_MONEY = "RS_ERROR_NOT_ENOUGH_MONEY"
    DUPLICATE_TRANSACTION = "RS_ERROR_DUPLICATE_TRANSACTION"
    TRANSACTION_DOES_NOT_EXIST = "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"
    TRANSACTION_ROLLED_BACK = "RS_ERROR_TRANSACTION_ROLLED_BACK"
    BET_ALREADY_SETTLED = "RS_ERROR_BET_ALREADY_SETTLED"
    ROUND_CLOSED = "RS_ERROR_ROUND_CLOSED"
    UNKNOWN_REWARD = "RS_ERROR_UNKNOWN_REWARD"
    REWARD_OF_ANOTHER_USER = "RS_ERROR_REWARD_OF_ANOTHER_USER"
    REWARD_USED_UP = "RS_ERROR_REWARD_USED_UP"


DESCRIPTIONS: dict[Status, str] = {
    Status.OK: "Accepted; for a repeated transaction_uuid, the original result (nothing moved).",
    Status.UNKNOWN: "An unexpected fault on our side. Treat like a timeout: retry or roll back.",
    Status.INVALID_PARTNER: "The provider is disabled.",
    Status.INVALID_SIGNATURE: "Unknown provider, bad signature, or a timestamp outside the"
    " replay window. Checked before anything else; nothing was read or moved.",
    Status.WRONG_SYNTAX: "The body is not a JSON object, misses a required field, or is"
    " larger than 16 KiB (refused unread).",
    Status.WRONG_TYPES: "A field has the wrong type, length or range, or text anywhere in"
    " the body (`meta` and ignored fields included) holds a NUL character (`\\u0000`)."
    " Nothing moved.",
    Status.INVALID_TOKEN: "The token is unknown, belongs to another user, or is a launch"
    " token already exchanged (or presented anywhere but user/info).",
    Status.TOKEN_EXPIRED: "The session token has expired or was revoked (the player logged"
    " out, changed the password, or the account was restricted), or the launch token"
    " expired before its exchange. Checked on info, balance and bets; never on wins and"
    " rollbacks.",
    Status.INVALID_GAME: "The game_code is not the game this session was launched for.",
    Status.WRONG_CURRENCY: "The currency is not the currency of the session's wallet.",
    Status.USER_DISABLED: "The player's account is disabled; no new bets.",
    Status.LIMIT_REACHED: "A limit refuses the bet (the game's maximum stake; later:"
    " responsible-gambling and bonus limits).",
    Status.NOT_ENOUGH_MONEY: "The balance does not cover the bet; `balance` is the current one.",
    Status.DUPLICATE_TRANSACTION: "This transaction_uuid was used before with a different"
    " kind, amount, currency, round, user, game or reference.",
    Status.TRANSACTION_DOES_NOT_EXIST: "The bet a win or rollback references is unknown"
    " (for this user and round).",
    Status.TRANSACTION_ROLLED_BACK: "(ours) The bet was rolled back: a late bet with a"
    " rolled-back id, or a win for a rolled-back bet.",
    Status.BET_ALREADY_SETTLED: "(ours) A rollback of a bet that already has a win.",
    Status.ROUND_CLOSED: "The round was closed (round_closed: true); no more bets or wins in it.",
    Status.UNKNOWN_REWARD: "(ours) A free bet's reward_uuid names no campaign this provider"
    " awarded to a player (or one the player has not accepted yet). Nothing moved.",
    Status.REWARD_OF_ANOTHER_USER: "(ours) A free bet's reward_uuid names a campaign awarded"
    " to another player than the session's. Nothing moved.",
    Status.REWARD_USED_UP: "(ours) A free bet's campaign has no round left to play: all"
    " played, or its bonus ended (completed, expired, forfeited) or is not active yet."
    " Nothing moved.",
}

# How a refusal of the server's own rules (a `protocol.errors.Refused`, e.g. from the stake
# rules every stake meets) reads in this API's vocabulary: the one place the two meet. A code
# not listed is a limit (`LIMIT_REACHED`), as the rules still to come (responsible gambling,
# self-exclusion, bonus max-bet) are.
FOR_ERROR_CODE: dict[ErrorCode, Status] = {
    ErrorCode.ACCOUNT_RESTRICTED: Status.USER_DISABLED,
    ErrorCode.PLAY_BLOCKED: Status.USER_DISABLED,  # a time-out or self-exclusion
}


def for_refusal(code: ErrorCode) -> Status:
    return FOR_ERROR_CODE.get(code, Status.LIMIT_REACHED)
