"""The ASGI application: routes of every domain, and the services' start-up and shutdown.

Start-up order matters: the database is migrated, then whatever the rounds
stream still holds is flushed and durable deposits missing from Redis are
applied, and only then are connections accepted. The route table depends on
the mode (server/mode.py): a live server has no sandbox route at all, so a
sandbox path answers NOT_FOUND like any path that does not exist.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketClose

from protocol.errors import ErrorCode, Refused
from server import background, gc_policy, health, wiring
from server.accounts import closed as account_closed
from server.accounts import facts as account_facts
from server.accounts import names as account_names
from server.accounts import passwords
from server.accounts import routes as account_routes
from server.accounts.care import Care
from server.accounts.care import routes as care_routes
from server.accounts.lockout import Lockout, MailLimit, RegistrationLimit
from server.accounts.my_sessions import MySessions
from server.accounts.notices import Notices
from server.accounts.profile import Profile
from server.accounts.recovery import Recovery
from server.accounts.secret_box import SecretBox, load_key
from server.accounts.service import Accounts
from server.accounts.two_factor import TwoFactor
from server.accounts.withdrawal_rule import NewMethodSecondFactor, VerifiedEmailRule
from server.aml import routes as aml_routes
from server.api_docs import routes as api_docs_routes
from server.bonus import routes as bonus_routes
from server.bonus.service import Bonuses, withdrawal_rule
from server.child_process import start_side_by_side
from server.config import Mode, Settings
from server.context import Services
from server.cors import CorsPolicy
from server.events import outbox
from server.http_limits import BodyLimits
from server.kyc import routes as kyc_routes
from server.kyc.vendor import VendorClient as KycVendor
from server.mail import sandbox_routes as mail_sandbox_routes
from server.mail.smtp import Mailer
from server.mode import ModeHeader, routes_for
from server.money import deposit_rules, key_migration, stake_rules
from server.money import routes as wallet_routes
from server.money import sandbox_routes as wallet_sandbox_routes
from server.money.adjustments import Adjustments
from server.money.bonus_wallet import BonusWallet
from server.money.closures import ClosedAccounts
from server.money.hot import HotWallet
from server.money.journal import flusher_process
from server.money.journal.flusher import Flusher
from server.money.journal.flusher_process import FlusherProcess
from server.money.wallet import Wallet
from server.observability import logging as json_logging
from server.observability import metrics, readiness
from server.observability.middleware import RequestContext
from server.payments import routes as payment_routes
from server.payments import runtime as payments_runtime
from server.payments.rules import WITHDRAWAL_RULES
from server.payments.staff import routes as payment_staff_routes
from server.provider import routes as provider_routes
from server.provider import rules as provider_rules
from server.provider import sessions as provider_sessions
from server.provider.campaigns import CampaignDesk
from server.provider.service import ProviderService
from server.reports import recall_routes
from server.reports import routes as report_routes
from server.rg import profiles
from server.rg import routes as rg_routes
from server.rg.profiles import Chooser
from server.rg.register import RegisterGate
from server.rg.rules import ProfileRules
from server.rg.state import ResponsibleGambling
from server.risk import alerts as risk_alerts
from server.risk import routes as risk_routes
from server.risk.process import MonitorProcess as RiskProcess
from server.rounds import routes as round_routes
from server.rounds import sweeper
from server.rounds.fairness import Fairness
from server.rounds.play import Rounds
from server.security_headers import SecurityHeaders
from server.sessions import endpoint
from server.sessions import hub as hub_module
from server.sessions.hub import Hub
from server.staff import (
    audit_head,
    audit_routes,
    claims_routes,
    four_eyes_routes,
    kyc_documents,
    players_routes,
)
from server.staff import routes as staff_routes
from server.staff.accounts import StaffAccounts
from server.staff.closure import Closures
from server.staff.four_eyes import FourEyes
from server.storage import redis_client
from server.storage.database import Database
from server.web import error_response, refused_response

log = logging.getLogger(__name__)

# Event-stream consumers that write SQL per money event run in the flusher's child process,
# off the core that serves bets: stakes to loyalty points (group `loyalty`) and money events
# to the reporting store (group `reports`). Each is one member of its group per server.
CHILD_CONSUMERS = ("server.bonus.loyalty:LoyaltyEarner", "server.reports.feeder:Feeder")

WEB_CLIENT_DIR = Path(__file__).resolve().parent.parent / "clients" / "web"
BACKOFFICE_DIR = Path(__file__).resolve().parent.parent / "clients" / "backoffice"
# The browser client loads only its own files and talks only to this origin; the headers
# every response carries (nosniff, DENY, no-referrer) come from server/security_headers.py.
WEB_CLIENT_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self';"
        " connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self';"
        " frame-ancestors 'none'"
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-cache",
}


class WebClient:
    """The browser demo client's static files at `/`, with the headers above.

    Mounted after every other route; a WebSocket to any other path is closed, and a request
    with another method than GET or HEAD is for an endpoint: 405 when some route has its
    path, otherwise NOT_FOUND (a POST to a live server's sandbox path included).
    """

    def __init__(self, directory: Path) -> None:
        self.files = StaticFiles(directory=directory, html=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await WebSocketClose()(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD"):
            known = any(
                route.matches(scope)[0] is Match.PARTIAL
                for route in scope["app"].routes
                if not isinstance(route, Mount)
            )
            raise HTTPException(405 if known else 404)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(WEB_CLIENT_HEADERS)
            await send(message)

        await self.files(scope, receive, send_with_headers)


class CasinoApp(Starlette):
    """Starlette with the HTTP edge policies outermost: the mode header, security headers and
    the CORS policy wrap even the 500 reply Starlette's own error middleware writes, which
    any middleware passed to Starlette would sit inside of."""

    def __init__(
        self,
        *args: Any,
        cors_origins: tuple[str, ...] = (),
        mode: Mode = Mode.SANDBOX,
        **kwargs: Any,
    ) -> None:
        self.cors_origins = cors_origins
        self.mode = mode
        super().__init__(*args, **kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        stack = SecurityHeaders(CorsPolicy(super().build_middleware_stack(), self.cors_origins))
        return ModeHeader(stack, self.mode)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The play socket skips the HTTP middleware and the router: none of them acts on a
        # WebSocket, yet each would keep a coroutine frame alive for the socket's whole life
        # (about 6 KB of an idle session's memory). Its route stays listed for the rest.
        if scope["type"] == "websocket" and scope["path"] == endpoint.PATH:
            scope["app"] = self
            await endpoint.play_socket(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


async def open_services(settings: Settings) -> Services:
    if not settings.redis_url:
        raise RuntimeError("CASINO_REDIS_URL is not set (run.py serve starts a private Redis)")
    client = redis_client.connect(settings.redis_url)
    db = Database(settings.database)
    await db.open()
    hot = HotWallet(
        client,
        settings.reservation_ttl_s * 1000,
        settings.max_stream_backlog,
        settings.max_stream_lag_ms,
    )
    wallet = Wallet(db, hot)
    fairness = Fairness(db, hot)
    lockout = Lockout(
        client,
        settings.login_max_failures,
        settings.login_max_failures_per_address,
        settings.login_lock_s,
    )
    registrations = RegistrationLimit(
        client, settings.registrations_per_address, settings.registration_window_s
    )
    accounts = Accounts(
        db, wallet, settings.session_ttl_s, lockout=lockout, registrations=registrations
    )
    # Whatever ends a player's access (logout, password change, restriction) ends their
    # provider game sessions in the same transaction.
    accounts.on_access_ended(provider_sessions.revoke_provider_sessions)
    # The national self-exclusion register is asked before every registration and login.
    accounts.on_access_check(RegisterGate.from_settings(db, settings))
    await account_names.report(db)  # accounts whose names clashed before 0011, if any
    care = _care(settings, db, client, accounts)
    # Responsible gambling plugs its rules into money's seams (rg never imported by money).
    rg = ResponsibleGambling(db, client, settings.reality_check_min_s)
    chooser = Chooser(profiles.named(settings.default_profile), settings.test_profile_countries)
    deposit_rules.plug("closed", account_closed.refuse_deposit)  # a closed account: none
    # KYC's level first: an unverified player is told to verify before any limit speaks.
    deposit_rules.plug("kyc", wiring.kyc_deposit_rule)
    deposit_rules.plug("rg", rg.refuse_deposit)
    profile_rules = ProfileRules(
        client, chooser, functools.partial(account_facts.country_and_birth, db)
    )
    stake_rules.plug("rg_profile", profile_rules)
    provider_rules.plug("rg_profile", wiring.profile_on_provider_slots(profile_rules))
    bonuses = Bonuses(db, wallet, BonusWallet(client))
    bonuses.marketing_allowed = rg.marketing_allowed  # no offers in a time-out or exclusion
    bonuses.bonus_block = risk_alerts.bonus_rule(db)  # a fraud alert's `block_bonuses`
    wallet.on_deposit.append(bonuses.deposited)  # a deposit match opted into waits for this
    provider = ProviderService(
        db, client, wallet, accounts, sandbox_allowed=settings.mode is Mode.SANDBOX
    )
    bonuses.campaigns = CampaignDesk(db, provider.operator_key)  # provider free-bet campaigns
    return Services(
        settings=settings,
        redis=client,
        db=db,
        wallet=wallet,
        accounts=accounts,
        flusher=Flusher(
            client,
            db,
            settings.flush_batch,
            settings.flush_block_ms,
            writers=flusher_process.WRITERS,  # the same kinds as the child's flusher
        ),
        fairness=fairness,
        play=Rounds(wallet, fairness, settings.round_timeout_s * 1000),
        provider=provider,
        backlog_keys=wiring.backlog_keys(),
        bonus=bonuses,
        care=care,
        rg=rg,
        profiles=chooser,
    )


def _care(settings: Settings, db: Database, client: aioredis.Redis, accounts: Accounts) -> Care:
    """Account care, and its seams: the second factor and the new-device mail at login,
    the password-changed mail, and the verified-email rule before a withdrawal."""
    mailer = Mailer(settings.smtp_url, settings.mail_from)
    notices = Notices(
        db, mailer, settings.public_url, settings.email_verification_ttl_s,
        settings.password_reset_ttl_s,
    )  # fmt: skip
    limit = MailLimit(
        client, settings.account_mails_per_hour, settings.account_mails_per_address, 3600
    )
    recovery = Recovery(
        db, accounts, notices, limit, settings.email_verification_ttl_s,
        settings.password_reset_ttl_s,
    )  # fmt: skip
    two_factor = TwoFactor(db, SecretBox(load_key(settings.totp_key, settings.data_dir)))
    accounts.second_factor = two_factor.check
    accounts.new_device = notices.new_device
    accounts.password_changed = notices.password_changed
    return Care(
        mailer=mailer, notices=notices, recovery=recovery, two_factor=two_factor,
        profile=Profile(db, accounts), sessions=MySessions(db, accounts),
    )  # fmt: skip


def _staff(settings: Settings, services: Services) -> StaffAccounts:
    """Staff accounts: their own lock-out counters, the players' sealing key for TOTP."""
    lockout = Lockout(
        services.redis, settings.login_max_failures, settings.login_max_failures_per_address,
        settings.login_lock_s,
    )  # fmt: skip
    box = SecretBox(load_key(settings.totp_key, settings.data_dir))
    return StaffAccounts(services.db, box, lockout, settings.staff_session_ttl_s)


async def close_services(services: Services) -> None:
    if services.care is not None:
        await services.care.mailer.drain()  # mails already promised go out before we stop
    await services.wallet.hot.aclose()
    await services.redis.aclose()
    await services.db.close()


def routes(served_mode: Mode = Mode.SANDBOX) -> list[BaseRoute]:
    """Every route of the app in `served_mode`, in matching order; a test reads them without
    building the app."""
    every = [
        *health.routes,
        *readiness.routes,
        *metrics.routes,
        *account_routes.routes,
        *care_routes.routes,
        *mail_sandbox_routes.routes,
        *kyc_routes.routes,
        *kyc_documents.routes,
        *aml_routes.routes,
        *wallet_routes.routes,
        *bonus_routes.routes,
        *wallet_sandbox_routes.routes,
        *round_routes.routes,
        *provider_routes.routes,
        *payment_routes.routes,
        *payment_staff_routes.routes,
        *staff_routes.routes,
        *four_eyes_routes.routes,
        *players_routes.routes,
        *claims_routes.routes,
        *audit_routes.routes,
        *rg_routes.routes,
        *risk_routes.routes,
        *report_routes.routes,
        *recall_routes.routes,
        *api_docs_routes.routes,
        *endpoint.routes,
        # The staff web app: static files under the player client's CSP (WebClient's headers).
        Mount("/backoffice", app=WebClient(BACKOFFICE_DIR)),
        Mount("/", app=WebClient(WEB_CLIENT_DIR)),  # last: every path not routed above
    ]
    return routes_for(served_mode, every)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    passwords.configure(settings.password_hash)
    # Here as well as in run.py serve: a --workers process starts with no logging set up.
    json_logging.install(settings.log_level, settings.log_levels)
    served = routes(settings.mode)
    json_logging.static_files_at_debug(
        path.split("/", 2)[1] for route in served if (path := getattr(route, "path", "")).strip("/")
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        services = await open_services(settings)
        # Before anything reads a money key: an older data directory's keys get their names.
        await key_migration.migrate(services.redis)
        flushed = await services.flusher.drain()
        if flushed:
            log.info("flushed %d rounds left in the stream", flushed)
        await services.wallet.recover_credits()
        payments = payments_runtime.build(settings, services.db, services.wallet, services.redis)
        app.state.payments = payments
        app.state.closures = Closures(
            services.db, services.redis, services.accounts, services.bonus,
            ClosedAccounts(services.wallet), None if payments is None else payments.payments,
        )  # fmt: skip
        if payments is not None:
            payments.start()  # recovery: at once for what a crash left pending, then periodically
        await services.provider.prepare()
        kyc_vendor = (
            KycVendor(settings.kyc_vendor_url, settings.kyc_vendor_key)
            if settings.kyc_vendor_url
            else None
        )
        app.state.kyc_vendor = kyc_vendor  # None: uploads wait in the staff review queue
        app.state.services = services
        app.state.staff = _staff(settings, services)
        # AML after KYC on every withdrawal; sanctions screening of every registration.
        aml = wiring.aml(settings, services)
        # Four eyes: manual adjustments, and withdrawals above the threshold wait for staff.
        four_eyes = FourEyes(
            services.db, Adjustments(services.wallet), settings.withdrawal_approval_above
        )
        app.state.four_eyes = four_eyes
        # One list per process, however many apps a process builds (tests build several).
        WITHDRAWAL_RULES[:] = [
            VerifiedEmailRule(services.db, settings.verified_email_for_withdrawal),
            *wiring.withdrawal_rules(services, aml),
            risk_alerts.withdrawal_rule(services.db),  # a fraud alert's hold
            # A withdrawal while wagering asks the player to confirm forfeiture: once every
            # rule that refuses outright has let it through.
            withdrawal_rule(services.bonus),
        ]
        if services.care is not None:  # it spends the player's two-factor code
            WITHDRAWAL_RULES.append(NewMethodSecondFactor(services.care.two_factor))
        # Last of all: a withdrawal that passes it uses its staff approval up.
        WITHDRAWAL_RULES.append(four_eyes.hold_withdrawal)
        services.accounts.on_profile_set(aml.screen)
        app.state.aml = aml
        # Fraud rules on the event stream, in a child process of this one (no CPU here per
        # bet); a hit that restricts an account comes back here, to accounts' set_status.
        risk = RiskProcess(
            settings, f"{socket.gethostname()}-{os.getpid()}", services.accounts.set_status,
            services.redis,
        )  # fmt: skip
        app.state.risk = risk
        hub = Hub(
            services.redis,
            settings.max_sessions_per_player,
            settings.max_connections_per_ip,
        )
        app.state.hub = hub
        hub_module.ACTIVE.append(hub)
        # Under this process's consumer name: its drains here see what the child holds.
        flusher = FlusherProcess(settings, services.flusher.consumer, CHILD_CONSUMERS)
        app.state.flusher = flusher
        tasks = [
            asyncio.create_task(hub.run(), name="push-hub"),
            asyncio.create_task(sweeper.run(services.play), name="sweeper"),
            asyncio.create_task(metrics.apply_deferred_forever(), name="deferred-metrics"),
            # Committed outbox rows to the event streams (a crash re-sends, never drops).
            asyncio.create_task(
                outbox.Relay(services.db, services.redis).run(), name="event-relay"
            ),
            # The audit chain's head to the log, which pins the trail's length (truncation).
            asyncio.create_task(
                audit_head.publish_forever(services.db, settings.audit_head_s), name="audit-head"
            ),
        ]
        try:
            # Start-up fails here if either child never reports ready.
            await start_side_by_side(flusher, risk)
            gc_policy.freeze_start_up()
            yield
        finally:
            hub_module.ACTIVE.remove(hub)
            await hub.drain()  # a no-op when the server already drained it
            await background.stop_all(tasks)
            # Side by side: each may wait out its child's stop, and a worker's shutdown has a
            # bound (server/serving.py) after which it is killed.
            await asyncio.gather(risk.stop(), flusher.stop())
            with contextlib.suppress(Exception):
                await services.flusher.drain()  # leave nothing in the stream that we could write
            if payments is not None:
                await payments.stop()
            if kyc_vendor is not None:
                await kyc_vendor.close()
            await close_services(services)

    return CasinoApp(
        routes=served,
        lifespan=lifespan,
        cors_origins=settings.cors_origins,
        mode=settings.mode,
        middleware=[
            Middleware(RequestContext),
            Middleware(
                BodyLimits,
                upload_limit=settings.kyc_max_document_bytes,
                body_timeout_s=float(settings.http_body_timeout_s),
            ),
        ],
        exception_handlers={
            Refused: _refused,
            HTTPException: _http_error,
            RedisError: _unavailable,
            Exception: _internal_error,
        },
    )


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    return refused_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response(ErrorCode.NOT_FOUND, "no such endpoint")
    response = error_response(ErrorCode.VALIDATION_FAILED, str(exc.detail))
    response.status_code = exc.status_code
    return response


async def _unavailable(request: Request, exc: Exception) -> Response:
    metrics.record_backend_error("http", exc)
    log.warning("redis unavailable for %s: %s", request.url.path, exc)
    return error_response(ErrorCode.SERVICE_UNAVAILABLE, "a backing service is unavailable")


async def _internal_error(request: Request, exc: Exception) -> Response:
    metrics.record_backend_error("http", exc)
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return error_response(ErrorCode.INTERNAL_ERROR, "internal error")
