"""The ASGI application: routes of every domain, and the services' start-up and shutdown.

Start-up order matters: the database is migrated, then whatever the rounds
stream still holds is flushed and durable deposits missing from Redis are
applied, and only then are connections accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from protocol.errors import ErrorCode
from server import health
from server.accounts import routes as account_routes
from server.accounts.service import Accounts
from server.config import Settings
from server.context import Services
from server.fairness.service import Fairness
from server.rounds import routes as round_routes
from server.rounds import sweeper
from server.rounds.flusher import Flusher
from server.rounds.play import Play
from server.sessions import endpoint
from server.storage import redis_client
from server.storage.database import Database
from server.wallet import routes as wallet_routes
from server.wallet.hot import HotWallet
from server.wallet.service import Wallet
from server.web import ApiError, error_response

log = logging.getLogger(__name__)


async def open_services(settings: Settings) -> Services:
    if not settings.redis_url:
        raise RuntimeError("CASINO_REDIS_URL is not set (run.py serve starts a private Redis)")
    client = redis_client.connect(settings.redis_url)
    db = Database(settings.database_path)
    await db.open()
    hot = HotWallet(client, settings.reservation_ttl_s * 1000)
    wallet = Wallet(db, hot)
    fairness = Fairness(db, hot)
    return Services(
        settings=settings,
        redis=client,
        db=db,
        wallet=wallet,
        accounts=Accounts(db, wallet, settings.session_ttl_s),
        flusher=Flusher(client, db, settings.flush_batch, settings.flush_block_ms),
        fairness=fairness,
        play=Play(wallet, fairness, settings.round_timeout_s * 1000),
    )


async def close_services(services: Services) -> None:
    await services.redis.aclose()
    await services.db.close()


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        services = await open_services(settings)
        flushed = await services.flusher.drain()
        if flushed:
            log.info("flushed %d rounds left in the stream", flushed)
        await services.wallet.recover_credits()
        app.state.services = services
        tasks = [
            asyncio.create_task(services.flusher.run(), name="flusher"),
            asyncio.create_task(sweeper.run(services.play), name="sweeper"),
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            with contextlib.suppress(Exception):
                await services.flusher.drain()  # leave nothing in the stream that we could write
            await close_services(services)

    return Starlette(
        routes=[
            *health.routes,
            *account_routes.routes,
            *wallet_routes.routes,
            *round_routes.routes,
            *endpoint.routes,
        ],
        lifespan=lifespan,
        exception_handlers={
            ApiError: _api_error,
            HTTPException: _http_error,
            RedisError: _unavailable,
            Exception: _internal_error,
        },
    )


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.code, exc.message, **exc.extra)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response(ErrorCode.NOT_FOUND, "no such endpoint")
    response = error_response(ErrorCode.VALIDATION_FAILED, str(exc.detail))
    response.status_code = exc.status_code
    return response


async def _unavailable(request: Request, exc: Exception) -> Response:
    log.warning("redis unavailable for %s: %s", request.url.path, exc)
    return error_response(ErrorCode.SERVICE_UNAVAILABLE, "a backing service is unavailable")


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return error_response(ErrorCode.INTERNAL_ERROR, "internal error")
