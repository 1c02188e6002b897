"""The OpenAPI 3.1 document of the provider API, served at `GET /provider/openapi.json`.

Request schemas are generated from the msgspec Structs the server decodes with,
and the status enum from the status table, so the document cannot drift from
the code. Built once per process.
"""

from __future__ import annotations

import functools
from typing import Any

import msgspec

from protocol.errors import ErrorCode
from server.api_docs.parts import BACKEND_ERRORS, obj, operation, query_limit, reply
from server.provider.messages import (
    BalanceRequest,
    BetRequest,
    RollbackRequest,
    UserInfoRequest,
    WinRequest,
)
from server.provider.sessions import LAUNCH_TTL_S
from server.provider.signatures import (
    PROVIDER_HEADER,
    REPLY_DOMAIN,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
)
from server.provider.status import DESCRIPTIONS, Status

VERSION = "1.0.0"


class WalletReply(msgspec.Struct, omit_defaults=True):
    """Every wallet call's reply (HTTP 200 whatever the status)."""

    status: Status
    request_uuid: str | None
    user: str | None = None
    currency: str | None = None
    balance: int | None = None  # minor units; sent with RS_OK and RS_ERROR_NOT_ENOUGH_MONEY
    transaction_uuid: str | None = None  # bet, win and rollback
    country: str | None = None  # user/info
    game_code: str | None = None  # user/info
    token: str | None = None  # user/info: the session token every later call must carry


class LaunchRequest(msgspec.Struct):
    game_code: str
    provider: str = "house"


class LaunchReply(msgspec.Struct):
    provider: str
    game_code: str
    url: str
    token: str | None  # a provider game's single-use launch token (also in `url`)
    expires_at: int | None  # when the launch token expires, unexchanged (ms since the epoch)


_NULLABLE_INT = {"type": ["integer", "null"]}
_CATALOGUE_ENTRY = obj(
    {
        "id": {"type": "string"},
        "game_code": {"type": "string"},
        "provider": {"type": "string"},
        "name": {"type": "string"},
        "categories": {"type": "array", "items": {"type": "string"}},
        "rtp": {"type": ["string", "null"]},
        "min_stake": _NULLABLE_INT,
        "max_stake": _NULLABLE_INT,
        "stake_step": {"type": "integer", "minimum": 1},
        "volatility": {"type": ["string", "null"]},
    },
    ["id", "game_code", "provider", "name", "categories", "rtp", "min_stake", "max_stake"],
)
_PROVIDER_ROUND = obj(
    {
        "provider": {"type": "string"},
        "round": {"type": "string"},
        "game_code": {"type": "string"},
        "currency": {"type": "string"},
        "status": {"type": "string"},
        "bet_total": {"type": "integer"},
        "win_total": {"type": "integer"},
        "refund_total": {"type": "integer"},
        "opened_at": {"type": "integer"},
        "closed_at": _NULLABLE_INT,
    },
    ["provider", "round", "game_code", "currency", "status", "bet_total", "win_total"],
)
# What the launch route accepts (it reads at most 64 characters of each).
_LAUNCH_BODY = obj(
    {
        "game_code": {"type": "string", "minLength": 1, "maxLength": 64},
        "provider": {"type": "string", "minLength": 1, "maxLength": 64, "default": "house"},
    },
    ["game_code"],
)


_WALLET_CALLS: tuple[tuple[str, type[msgspec.Struct], str], ...] = (
    ("/provider/user/info", UserInfoRequest,
     "The player behind a token: user id, currency, balance, country, and `token`, the"
     " session token every later call must carry. The first call of a game presents the"
     f" launch token from the launch URL: it is exchanged once, within {LAUNCH_TTL_S} s of"
     " the launch, for a new session token (a second exchange: RS_ERROR_INVALID_TOKEN; too"
     " late: RS_ERROR_TOKEN_EXPIRED). Later calls may present the session token, which must"
     " not be expired or revoked."),
    ("/provider/user/balance", BalanceRequest,
     "The player's current balance. The token must not be expired."),
    ("/provider/transaction/bet", BetRequest,
     "Debit a bet. Checks, in order: a transaction_uuid seen before (original result or"
     " DUPLICATE_TRANSACTION), token expiry, game, currency, user status, limits, the round"
     " (ROUND_CLOSED), funds (NOT_ENOUGH_MONEY with the balance)."),
    ("/provider/transaction/win", WinRequest,
     "Credit a win for the bet named by reference_transaction_uuid (amount may be 0 to close"
     " the round). Token expiry is not checked. round_closed: true closes the round."),
    ("/provider/transaction/rollback", RollbackRequest,
     "Return the stake of the bet named by reference_transaction_uuid. Unknown bet: RS_OK,"
     " nothing moved, and the id is refused for a later bet. A bet with a win: refused."
     " Token expiry is not checked."),
)  # fmt: skip


def _signed_headers() -> list[dict[str, Any]]:
    return [
        {"name": PROVIDER_HEADER, "in": "header", "required": True,
         "schema": {"type": "string"}, "description": "Your provider id."},
        {"name": TIMESTAMP_HEADER, "in": "header", "required": True,
         "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
         "description": "Unix time in seconds; refused outside your replay window."},
        {"name": SIGNATURE_HEADER, "in": "header", "required": True,
         "schema": {"type": "string"},
         "description": "base64 of HMAC-SHA256 (shared secret) or RSA-SHA256 PKCS#1 v1.5"
         " (your private key) over the bytes `<X-Timestamp>.<raw body>`."},
    ]  # fmt: skip


def _status_table() -> str:
    rows = "\n".join(f"| `{status}` | {DESCRIPTIONS[status]} |" for status in Status)
    return "| status | meaning |\n|---|---|\n" + rows


def _json(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


@functools.cache
def document() -> dict[str, Any]:
    structs = [call[1] for call in _WALLET_CALLS] + [WalletReply, LaunchRequest, LaunchReply]
    _, components = msgspec.json.schema_components(
        structs, ref_template="#/components/schemas/{name}"
    )
    paths: dict[str, Any] = {}
    for path, struct, summary in _WALLET_CALLS:
        paths[path] = {
            "post": {
                "summary": summary.split(".")[0],
                "description": summary,
                "operationId": path.removeprefix("/provider/").replace("/", "_"),
                "tags": ["Wallet API"],
                "parameters": _signed_headers(),
                "requestBody": {"required": True, "content": _json(struct.__name__)},
                "responses": {
                    "200": {
                        "description": "Signed like the request (X-Timestamp, X-Signature) but"
                        f" over `{REPLY_DOMAIN.decode()}<X-Timestamp>.<raw body>`: the prefix"
                        " keeps a reply from ever verifying as a request.",
                        "headers": {
                            TIMESTAMP_HEADER: {"schema": {"type": "string"}},
                            SIGNATURE_HEADER: {"schema": {"type": "string"}},
                        },
                        "content": _json("WalletReply"),
                    }
                },
            }
        }
    paths["/games"] = {
        "get": operation(
            "games",
            "The game catalogue: our games and providers' games",
            tag="Games",
            responses={
                "200": reply(
                    "games with provider, RTP, stakes, categories",
                    obj({"games": {"type": "array", "items": _CATALOGUE_ENTRY}}, ["games"]),
                )
            },
            errors=BACKEND_ERRORS,
        )
    }
    paths["/api/games/launch"] = {
        "post": operation(
            "launch",
            "Launch a game for the logged-in player",
            tag="Games",
            description="For a provider game, creates a launch token bound to player, game"
            " and currency and returns the provider's launch URL carrying it. The token is good"
            f" for one exchange, within {LAUNCH_TTL_S} s, by the provider's server (its first"
            " user/info) for the session token it then uses; that one never reaches the"
            " browser. A player whose account is not active may not launch.",
            auth=True,
            body=_LAUNCH_BODY,
            responses={"201": {"description": "launched", "content": _json("LaunchReply")}},
            errors=[
                ErrorCode.VALIDATION_FAILED,
                ErrorCode.UNKNOWN_GAME,
                ErrorCode.ACCOUNT_RESTRICTED,
                *BACKEND_ERRORS,
            ],
        )
    }
    paths["/api/provider/rounds"] = {
        "get": operation(
            "provider_rounds",
            "The logged-in player's provider rounds",
            tag="Games",
            auth=True,
            parameters=[query_limit()],
            responses={
                "200": reply(
                    "rounds with bet, win and refund totals",
                    obj({"rounds": {"type": "array", "items": _PROVIDER_ROUND}}, ["rounds"]),
                )
            },
            errors=[ErrorCode.VALIDATION_FAILED, *BACKEND_ERRORS],
        )
    }
    paths["/provider/public-key"] = {
        "get": {
            "summary": "Our RSA public key (PEM): verifies replies to RSA-signing providers",
            "operationId": "public_key",
            "tags": ["Wallet API"],
            "responses": {"200": {"description": "PEM", "content": {"text/plain": {}}}},
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "casino-server provider API",
            "version": VERSION,
            "description": "Seamless wallet for game providers, with Hub88's semantics and"
            " field names. Amounts are integers in minor units of the currency. Every reply is"
            " HTTP 200 with a `status`:\n\n" + _status_table(),
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "x-status-codes": {str(status): DESCRIPTIONS[status] for status in Status},
    }
