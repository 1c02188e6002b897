"""The OpenAPI description of account care's routes (`routes.py` serves them)."""

from __future__ import annotations

from typing import Any

from protocol.errors import ErrorCode
from server.accounts.rules import MAX_PASSWORD
from server.api_docs.parts import BACKEND_ERRORS, obj, operation, reply

TAG = "Accounts"
_TOKEN = {"type": "string", "minLength": 1, "maxLength": 128}
_PASSWORD = {"type": "string", "minLength": 1, "maxLength": MAX_PASSWORD}
_CODE = {"type": "string", "minLength": 1, "maxLength": 32}
_LINK_ERRORS = [ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_LINK, ErrorCode.LINK_EXPIRED]
_PROFILE = obj(
    {
        "username": {"type": "string"},
        "email": {"type": "string"},
        "email_verified": {"type": "boolean"},
        "language": {"type": "string"},
        "postal_address": {"type": "string"},
        "date_of_birth": {"type": "string"},
        "country": {"type": "string"},
        "two_factor": {"type": "boolean"},
        "languages": {"type": "array", "items": {"type": "string"}},
    },
    required=["username", "email", "email_verified", "language", "postal_address", "two_factor"],
)
_ENDED = obj({"sessions_ended": {"type": "integer", "minimum": 0}}, required=["sessions_ended"])
_SESSION = obj(
    {
        "id": {"type": "string"},
        "current": {"type": "boolean"},
        "device": {"type": "string"},
        "device_id": {"type": "string"},
        "address": {"type": "string"},
        "created_at": {"type": "integer"},
        "last_seen_at": {"type": "integer"},
        "expires_at": {"type": "integer"},
    },
    required=["id", "current", "device", "address", "last_seen_at"],
)
_ENABLED = obj({"enabled": {"type": "boolean"}}, required=["enabled"])


def _op(op_id: str, summary: str, **kwargs: Any) -> dict[str, Any]:
    errors = [*kwargs.pop("errors", []), *BACKEND_ERRORS]
    return operation(op_id, summary, tag=TAG, errors=errors, **kwargs)


OPENAPI_PATHS: dict[str, Any] = {
    "/api/email-verifications": {
        "post": _op(
            "verify_email",
            "Follow an email verification link: its token marks the address verified",
            body=obj({"token": _TOKEN}, required=["token"]),
            responses={"200": reply("verified", obj({"email_verified": {"type": "boolean"}}))},
            errors=_LINK_ERRORS,
        )
    },
    "/api/password-resets": {
        "post": _op(
            "request_password_reset",
            "Ask for a password reset link by email or username",
            description="The same status and body whether or not an account matches, after at"
            " least the same time. Limited per account and per address"
            " (CASINO_ACCOUNT_MAILS_PER_HOUR, CASINO_ACCOUNT_MAILS_PER_ADDRESS).",
            body=obj(
                {"login": {"type": "string", "minLength": 1, "maxLength": 320}}, required=["login"]
            ),
            responses={"202": reply("accepted", obj({"status": {"type": "string"}}))},
            errors=[ErrorCode.VALIDATION_FAILED, ErrorCode.TOO_MANY_REQUESTS],
        )
    },
    "/api/password-resets/confirm": {
        "post": _op(
            "confirm_password_reset",
            "Set a new password with a reset link's token; every session of the player ends",
            body=obj(
                {"token": _TOKEN, "new_password": _PASSWORD}, required=["token", "new_password"]
            ),
            responses={"200": reply("password set", _ENDED)},
            errors=[*_LINK_ERRORS, ErrorCode.WEAK_PASSWORD],
        )
    },
    "/api/me/email-verification": {
        "post": _op(
            "resend_email_verification",
            "Send the email verification link again (limited per hour)",
            auth=True,
            responses={"202": reply("sent", obj({"sent": {"type": "boolean"}}))},
            errors=[ErrorCode.VALIDATION_FAILED, ErrorCode.TOO_MANY_REQUESTS],
        )
    },
    "/api/me/profile": {
        "get": _op(
            "profile",
            "The player's profile",
            auth=True,
            responses={"200": reply("the profile", _PROFILE)},
        ),
        "post": _op(
            "update_profile",
            "Change language or postal address (name and date of birth change only via KYC)",
            auth=True,
            body=obj(
                {
                    "language": {"type": "string", "enum": ["en", "de"]},
                    "postal_address": {"type": "string", "maxLength": 500},
                }
            ),
            responses={"200": reply("the profile", _PROFILE)},
            errors=[ErrorCode.VALIDATION_FAILED],
        ),
    },
    "/api/me/email": {
        "post": _op(
            "change_email",
            "Change the email address (password required); it is unverified until its link",
            auth=True,
            body=obj(
                {"email": {"type": "string", "maxLength": 320}, "password": _PASSWORD},
                required=["email", "password"],
            ),
            responses={"200": reply("the profile", _PROFILE)},
            errors=[
                ErrorCode.VALIDATION_FAILED,
                ErrorCode.INVALID_CREDENTIALS,
                ErrorCode.EMAIL_TAKEN,
                ErrorCode.LOGIN_LOCKED,
            ],
        )
    },
    "/api/me/sessions": {
        "get": _op(
            "my_sessions",
            "The player's live login sessions: device, address, last seen",
            auth=True,
            responses={
                "200": reply(
                    "the sessions", obj({"sessions": {"type": "array", "items": _SESSION}})
                )
            },
        ),
        "delete": _op(
            "end_other_sessions",
            "End every session of the player but this one",
            auth=True,
            responses={"200": reply("ended", _ENDED)},
        ),
    },
    "/api/me/sessions/{session_id}": {
        "delete": _op(
            "end_session",
            "End one other session of the player",
            auth=True,
            parameters=[
                {
                    "name": "session_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
                }
            ],
            responses={"200": reply("ended", _ENDED)},
            errors=[ErrorCode.NOT_FOUND, ErrorCode.VALIDATION_FAILED],
        )
    },
    "/api/me/two-factor": {
        "get": _op(
            "two_factor",
            "Whether two-factor login is on",
            auth=True,
            responses={"200": reply("state", _ENABLED)},
        )
    },
    "/api/me/two-factor/setup": {
        "post": _op(
            "two_factor_setup",
            "Start two-factor set-up: a new TOTP secret, not in use until enabled",
            auth=True,
            responses={
                "200": reply(
                    "the secret", obj({"secret": {"type": "string"}, "uri": {"type": "string"}})
                )
            },
            errors=[ErrorCode.VALIDATION_FAILED],
        )
    },
    "/api/me/two-factor/enable": {
        "post": _op(
            "two_factor_enable",
            "Turn two-factor login on with a code from the app; the recovery codes, once",
            auth=True,
            body=obj({"code": _CODE}, required=["code"]),
            responses={
                "200": reply(
                    "on",
                    obj(
                        {
                            "enabled": {"type": "boolean"},
                            "recovery_codes": {"type": "array", "items": {"type": "string"}},
                        }
                    ),
                )
            },
            errors=[ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_TWO_FACTOR_CODE],
        )
    },
    "/api/me/two-factor/disable": {
        "post": _op(
            "two_factor_disable",
            "Turn two-factor login off (password and a code or recovery code)",
            auth=True,
            body=obj({"password": _PASSWORD, "code": _CODE}, required=["password", "code"]),
            responses={"200": reply("off", _ENABLED)},
            errors=[
                ErrorCode.VALIDATION_FAILED,
                ErrorCode.INVALID_CREDENTIALS,
                ErrorCode.INVALID_TWO_FACTOR_CODE,
            ],
        )
    },
}
