"""HTTP plumbing shared by every domain's routes: JSON bodies, error replies, bearer auth."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from protocol.errors import ErrorCode
from server.accounts.service import AccountError, Player
from server.context import Services

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
    ErrorCode.INVALID_CREDENTIALS: 401,
    ErrorCode.INVALID_TOKEN: 401,
    ErrorCode.TOKEN_EXPIRED: 401,
    ErrorCode.NOT_AUTHENTICATED: 401,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.LOGIN_LOCKED: 429,
    ErrorCode.UNSUPPORTED_DOCUMENT: 415,
    ErrorCode.DOCUMENT_TOO_LARGE: 413,
    ErrorCode.KYC_REVIEW_REFUSED: 409,
    ErrorCode.BAD_FRAME: 400,
    ErrorCode.FRAME_TOO_LARGE: 413,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
    ErrorCode.INTERNAL_ERROR: 500,
}


class ApiError(Exception):
    def __init__(self, code: ErrorCode, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra


def json_response(data: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(data), status, media_type="application/json")


def error_response(code: ErrorCode, message: str, **extra: Any) -> Response:
    return json_response(
        {"error": {"code": code, "message": message, **extra}}, _STATUS.get(code, 400)
    )


async def json_body(request: Request) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise ApiError(ErrorCode.FRAME_TOO_LARGE, "request body too large")
    try:
        data = msgspec.json.decode(body)
    except msgspec.DecodeError:
        raise ApiError(ErrorCode.BAD_FRAME, "request body must be JSON") from None
    if not isinstance(data, dict):
        raise ApiError(ErrorCode.BAD_FRAME, "request body must be a JSON object")
    return data


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(ErrorCode.NOT_AUTHENTICATED, "send Authorization: Bearer <session token>")
    return token.strip()


async def current_player(request: Request) -> Player:
    services: Services = request.app.state.services
    try:
        return await services.accounts.authenticate(bearer_token(request))
    except AccountError as error:
        raise ApiError(error.code, error.message) from None
