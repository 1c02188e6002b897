"""The sandbox deposit: play money credited through the real ledger, from nowhere.

Sandbox mode only: a live server's route table leaves this module out (its
name and its `/api/sandbox/` path both mark it; see server/mode.py), so in live
mode the path answers NOT_FOUND and no player can create money. It is bounded
twice: CASINO_MAX_DEPOSIT per request and CASINO_SANDBOX_DAILY_DEPOSIT_LIMIT
per player over any 24 hours, the second checked atomically with the
deposit's durable write (`Wallet.deposit`), so a demo server left on a network
cannot mint unlimited balances.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from protocol.errors import ErrorCode, Refused
from server.api_docs.parts import BACKEND_ERRORS, obj, operation, reply
from server.context import Services
from server.money.wallet import SANDBOX, DepositConflict, DepositLimitReached
from server.observability import log_context, metrics
from server.web import current_player, json_body, json_response

MAX_KEY_LENGTH = 128


async def sandbox_deposit(request: Request) -> Response:
    services: Services = request.app.state.services
    settings = services.settings
    player = await current_player(request)
    data = await json_body(request)
    amount = data.get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise Refused(ErrorCode.INVALID_AMOUNT, "amount must be a positive integer in minor units")
    if amount > settings.max_deposit:
        raise Refused(
            ErrorCode.INVALID_AMOUNT,
            f"a deposit is at most {settings.max_deposit}",
            params={
                "variant": "deposit_max",
                "maximum": settings.max_deposit,
                "currency": player.currency,
            },
        )
    currency = data.get("currency", player.currency)
    if currency != player.currency:
        raise Refused(
            ErrorCode.WRONG_CURRENCY,
            f"this wallet holds {player.currency}",
            params={"currency": player.currency},
        )
    key = request.headers.get("idempotency-key") or data.get("idempotency_key")
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise Refused(
            ErrorCode.VALIDATION_FAILED,
            f"an Idempotency-Key header (1-{MAX_KEY_LENGTH} characters) is required",
        )
    log_context.bind(player_id=player.id, transaction_id=f"deposit-key:{key}")
    try:
        deposit = await services.wallet.deposit(
            player.id,
            player.currency,
            amount,
            key,
            gateway=SANDBOX,
            daily_limit=settings.sandbox_daily_deposit_limit,
        )
    except DepositConflict as error:
        metrics.record_payment("deposit", SANDBOX, player.currency, amount, "refused")
        raise Refused(ErrorCode.IDEMPOTENCY_CONFLICT, str(error)) from None
    except DepositLimitReached as reached:
        metrics.record_payment("deposit", SANDBOX, player.currency, amount, "refused")
        raise Refused(
            ErrorCode.SANDBOX_LIMIT_REACHED,
            str(reached),
            limit=reached.limit,
            remaining=reached.remaining,
            params={
                "limit": reached.limit,
                "remaining": reached.remaining,
                "currency": player.currency,
            },
        ) from None
    state = "replayed" if deposit.replayed else "completed"
    metrics.record_payment("deposit", SANDBOX, deposit.currency, deposit.amount, state)
    return json_response(
        {
            "deposit_id": deposit.deposit_id,
            "gateway": SANDBOX,
            "amount": deposit.amount,
            "currency": deposit.currency,
            "balance": deposit.balance,
            "replayed": deposit.replayed,
            "limit_prompt": await services.rg.limit_prompt(
                player.id, services.profiles.for_country(player.country)
            ),
        },
        200 if deposit.replayed else 201,
    )


routes = [Route("/api/sandbox/deposits", sandbox_deposit, methods=["POST"])]


_BALANCE = {"type": "integer", "minimum": 0, "description": "minor units"}
_CURRENCY = {"type": "string", "pattern": "^[A-Z]{3}$"}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/sandbox/deposits": {
        "post": operation(
            "sandbox_deposit",
            "Credit test money through the real ledger (no gateway); sandbox mode only",
            tag="Wallet",
            auth=True,
            description="Idempotent by key: the same key and amount again answers 200 with"
            " `replayed: true`; the same key with other terms is IDEMPOTENCY_CONFLICT. The"
            " largest deposit is CASINO_MAX_DEPOSIT (default 100000000); a player's deposits"
            " in any 24 hours are limited to CASINO_SANDBOX_DAILY_DEPOSIT_LIMIT (default"
            " 1000000), beyond which SANDBOX_LIMIT_REACHED. A live server (CASINO_MODE=live)"
            " has no such route.",
            parameters=[
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
                }
            ],
            body=obj(
                {
                    "amount": {"type": "integer", "minimum": 1, "maximum": 100_000_000},
                    "currency": _CURRENCY,
                },
                required=["amount"],
            ),
            responses={
                status: reply(
                    meaning,
                    obj(
                        {
                            "deposit_id": {"type": "integer", "minimum": 1},
                            "gateway": {"const": "sandbox"},
                            "amount": {"type": "integer", "minimum": 1},
                            "currency": _CURRENCY,
                            "balance": _BALANCE,
                            "replayed": {"type": "boolean"},
                            "limit_prompt": {"type": "boolean"},
                        },
                        ["deposit_id", "gateway", "amount", "currency", "balance", "replayed"],
                    ),
                )
                for status, meaning in (("201", "credited"), ("200", "replayed: credited before"))
            },
            errors=[
                ErrorCode.INVALID_AMOUNT,
                ErrorCode.WRONG_CURRENCY,
                ErrorCode.VALIDATION_FAILED,
                ErrorCode.IDEMPOTENCY_CONFLICT,
                ErrorCode.SANDBOX_LIMIT_REACHED,
                ErrorCode.KYC_REQUIRED,
                ErrorCode.DEPOSIT_LIMIT_REACHED,
                ErrorCode.PLAY_BLOCKED,
                *BACKEND_ERRORS,
            ],
        )
    },
}
