"""HTTP plumbing shared by every domain's routes: JSON bodies, error replies, bearer auth,
and the client address a request or socket is accounted under."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from protocol.errors import ErrorCode, Refused
from server.accounts.service import Player
from server.context import Services
from server.storage.text import NO_NUL, NUL_ESCAPE, holds_nul

# A JSON route's largest body; enforced while it arrives, before the route runs
# (server/http_limits.py).
MAX_BODY_BYTES = 64 * 1024

_STATUS: dict[ErrorCode, int] = {
    ErrorCode.VALIDATION_FAILED: 422,
    ErrorCode.WEAK_PASSWORD: 422,
    ErrorCode.UNDERAGE: 422,
    ErrorCode.INVALID_AMOUNT: 422,
    ErrorCode.WRONG_CURRENCY: 422,
    ErrorCode.EMAIL_TAKEN: 409,
    ErrorCode.USERNAME_TAKEN: 409,
    ErrorCode.IDEMPOTENCY_CONFLICT: 409,
    ErrorCode.SANDBOX_LIMIT_REACHED: 403,
    ErrorCode.DEPOSIT_LIMIT_REACHED: 403,
    ErrorCode.PLAY_BLOCKED: 403,
    ErrorCode.RG_LIMIT_NOT_DUE: 409,
    ErrorCode.RG_ALREADY_EXCLUDED: 409,
    ErrorCode.INSUFFICIENT_FUNDS: 409,
    ErrorCode.WITHDRAWAL_REFUSED: 409,
    ErrorCode.BONUS_FORFEIT_REQUIRED: 409,
    ErrorCode.BONUS_NOT_AVAILABLE: 409,
    ErrorCode.CLOSED_LOOP: 409,
    ErrorCode.INVALID_PAYMENT_METHOD: 422,
    ErrorCode.WEBHOOK_SIGNATURE_INVALID: 400,
    ErrorCode.CANCEL_NOT_ALLOWED: 409,
    ErrorCode.EVIDENCE_REFUSED: 409,
    ErrorCode.INVALID_CREDENTIALS: 401,
    ErrorCode.INVALID_TOKEN: 401,
    ErrorCode.TOKEN_EXPIRED: 401,
    ErrorCode.NOT_AUTHENTICATED: 401,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.LOGIN_LOCKED: 429,
    ErrorCode.REGISTRATION_LIMITED: 429,
    ErrorCode.TOO_MANY_REQUESTS: 429,
    ErrorCode.INVALID_LINK: 410,
    ErrorCode.LINK_EXPIRED: 410,
    ErrorCode.TWO_FACTOR_REQUIRED: 401,
    ErrorCode.INVALID_TWO_FACTOR_CODE: 401,
    ErrorCode.SELF_EXCLUDED: 403,
    ErrorCode.ACCOUNT_CLOSED: 403,
    ErrorCode.UNSUPPORTED_DOCUMENT: 415,
    ErrorCode.DOCUMENT_TOO_LARGE: 413,
    ErrorCode.DOCUMENT_QUOTA_EXCEEDED: 403,
    ErrorCode.KYC_REVIEW_REFUSED: 409,
    ErrorCode.CDD_REQUIRED: 409,
    ErrorCode.AML_REVIEW_REQUIRED: 409,
    ErrorCode.CLOSED_LOOP_ONLY: 409,
    ErrorCode.AML_CASE_CLOSED: 409,
    ErrorCode.RISK_REVIEW_REQUIRED: 409,
    ErrorCode.RISK_ALERT_RESOLVED: 409,
    ErrorCode.BONUSES_BLOCKED: 409,
    ErrorCode.KYC_REQUIRED: 403,
    ErrorCode.KYC_WEBHOOK_REFUSED: 401,
    ErrorCode.STAFF_ONLY: 401,
    ErrorCode.STAFF_ROLE_REFUSED: 403,
    ErrorCode.FOUR_EYES_REQUIRED: 409,
    ErrorCode.PROPOSAL_NOT_PENDING: 409,
    ErrorCode.QUEUE_ITEM_CLAIMED: 409,
    ErrorCode.WITHDRAWAL_APPROVAL_REQUIRED: 409,
    ErrorCode.BAD_FRAME: 400,
    ErrorCode.FRAME_TOO_LARGE: 413,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.HEADERS_TOO_LARGE: 431,
    ErrorCode.REQUEST_TIMEOUT: 408,
    ErrorCode.SERVER_AT_CAPACITY: 503,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
    ErrorCode.PAYMENTS_UNAVAILABLE: 503,
    ErrorCode.PROVIDER_UNAVAILABLE: 503,
    ErrorCode.INTERNAL_ERROR: 500,
}


def json_response(data: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(data), status, media_type="application/json")


def status_of(code: ErrorCode) -> int:
    return _STATUS.get(code, 400)


def error_body(code: ErrorCode, message: str, **extra: Any) -> bytes:
    return msgspec.json.encode({"error": {"code": code, "message": message, **extra}})


def error_response(code: ErrorCode, message: str, **extra: Any) -> Response:
    """`extra` goes into the error object as it is; a refusal's figures come as `params`
    (only when it has some, so a body without figures is as it always was)."""
    response = Response(
        error_body(code, message, **extra), status_of(code), media_type="application/json"
    )
    retry_after = extra.get("retry_after")
    if isinstance(retry_after, int):  # the body says when; the header says it to HTTP tools
        response.headers["Retry-After"] = str(retry_after)
    return response


def refused_response(refused: Refused) -> Response:
    """The HTTP reply to any refusal: the code's status, and the code, message, extra fields
    and, when it has figures, `params` in the body."""
    if refused.params:
        return error_response(refused.code, refused.message, **refused.extra, params=refused.params)
    return error_response(refused.code, refused.message, **refused.extra)


async def json_body(request: Request) -> dict[str, Any]:
    # Its size and Content-Type were checked before the route ran (server/http_limits.py).
    body = await request.body()
    try:
        data = msgspec.json.decode(body)
    except msgspec.DecodeError:
        raise Refused(ErrorCode.BAD_FRAME, "request body must be JSON") from None
    if not isinstance(data, dict):
        raise Refused(ErrorCode.BAD_FRAME, "request body must be a JSON object")
    if NUL_ESCAPE in body and holds_nul(data):  # the store cannot keep a NUL
        raise Refused(ErrorCode.VALIDATION_FAILED, NO_NUL)
    return data


MAX_ID = 2**63 - 1  # ids are SQL BIGINTs


def path_id(request: Request, name: str) -> int:
    """The id in the path parameter `name` (routed as `{name}`, not `{name:int}`, so that a
    negative or malformed id is refused with a code instead of matching no route)."""
    text = str(request.path_params[name])
    if not text.isdigit() or not 0 < int(text) <= MAX_ID:
        raise Refused(ErrorCode.VALIDATION_FAILED, f"{name} is an id", field=name)
    return int(text)


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Refused(ErrorCode.NOT_AUTHENTICATED, "send Authorization: Bearer <session token>")
    return token.strip()


async def current_player(request: Request) -> Player:
    services: Services = request.app.state.services
    return await services.accounts.authenticate(bearer_token(request))


def client_address(scope: Scope) -> str:
    """The address a request or socket is accounted under: login lock-outs, registration
    limits and the per-address socket cap all ask this (uvicorn's access log reads the same).

    It is the TCP peer, unless the peer is one of CASINO_TRUSTED_PROXIES: only then does
    uvicorn's proxy layer run (`run.py serve` enables it for exactly those), and it has put
    the right-most X-Forwarded-For entry that is not itself a trusted proxy in `client`.
    """
    client = scope.get("client")
    return str(client[0]) if client else "unknown"
