"""Sandbox and live modes: what each may run, and why a live server refuses to start.

A server runs in one mode (`CASINO_MODE`), as a payment processor's keys are
test or live. **Sandbox**, the default, moves play money: the sandbox deposit
route, the sandbox payment gateway and the sandbox game provider are there,
and every HTTP response says `Casino-Mode: sandbox`. **Live** moves real money:
no sandbox route is in the route table, no sandbox component is started or
registered, and so nothing a player can call creates money. This module owns
that line and nothing else: which routes are sandbox routes, the mode header,
and the start-up refusals as pure functions of the settings (plus one fact read
from the database by the caller: whether the sandbox provider is enabled),
which `run.py serve` applies before anything starts and `run.py doctor`
reports on a deployment. It never changes anything.

Which money a gateway moves is read from its API key, as Stripe's prefixes
say it: `sk_test_` for play money, `sk_live_` for real money. Not from its
URL: a processor's test environment sits at a public https address, and a
live gateway may be reached through a proxy on this machine; the key is what
the processor issued for one environment, and a key sent to the other one is
refused there. So a live server needs an `sk_live_` key, and a sandbox server
refuses one (sandbox deposits mint play money that a live gateway would pay
out as real money).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.routing import BaseRoute, Mount, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.config import LIVE_KEY_PREFIX, Mode, Settings

HEADER = "Casino-Mode"
# Every sandbox route lives under this prefix, and only sandbox routes do; a route is also
# sandbox when its endpoint is defined in a module with a `sandbox` part in its name.
SANDBOX_PREFIX = "/api/sandbox/"
# A credential shorter than this can be guessed or was typed by hand; the embedded Redis's
# random password is 32 characters, a processor's live key far longer.
MIN_SECRET_CHARS = 24
# Values that documentation, examples and habit put in place of a secret.
KNOWN_DEFAULTS = frozenset(
    {"changeme", "change-me", "change_me", "secret", "password", "token", "default", "admin",
     "example", "test", "xxx"}
)  # fmt: skip
# Names that RFC 2606 and RFC 6761 reserve: no payment processor answers at one.
RESERVED_SUFFIXES = (".localhost", ".invalid", ".test", ".example", ".local")
RESERVED_NAMES = frozenset({"localhost", "example.com", "example.net", "example.org"})
# Keys of the sandbox self-exclusion register (clients/sandbox_register.py) start so.
SANDBOX_REGISTER_PREFIX = "register_test_"
_SANDBOX_MODULE = re.compile(r"(^|\.)sandbox[^.]*(\.|$)")


@dataclass(frozen=True, slots=True)
class StartRefusal:
    """One reason this configuration may not run in its mode: a stable name, what is wrong
    (never a secret's value) and what to do."""

    name: str
    message: str
    fix: str


# -- routes ------------------------------------------------------------------------------------
def walk(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[tuple[str, BaseRoute]]:
    """(full path, route) of every route, and of every route inside a Mount, depth first."""
    for route in routes:
        path = prefix + getattr(route, "path", "")
        yield path, route
        if isinstance(route, Mount):
            yield from walk(route.routes, path)


def is_sandbox_route(route: BaseRoute, path: str | None = None) -> bool:
    """Whether a route is sandbox: its full `path` (the route's own when not inside a Mount)
    is under SANDBOX_PREFIX, or its endpoint comes from a `sandbox` module."""
    full = getattr(route, "path", "") if path is None else path
    if isinstance(route, Mount):
        full += "/"  # a Mount's path has no trailing slash; /api/sandbox is sandbox too
    endpoint = getattr(route, "endpoint", None)
    module = getattr(endpoint, "__module__", "") or ""
    return full.startswith(SANDBOX_PREFIX) or bool(_SANDBOX_MODULE.search(module))


def routes_for(mode: Mode, routes: Iterable[BaseRoute], prefix: str = "") -> list[BaseRoute]:
    """The route table for `mode`: all of them in sandbox, none of the sandbox ones in live."""
    if mode is Mode.SANDBOX:
        return list(routes)
    kept: list[BaseRoute] = []
    for route in routes:
        path = prefix + getattr(route, "path", "")
        if is_sandbox_route(route, path):
            continue
        if isinstance(route, Mount) and isinstance(route.app, Router):
            inner = routes_for(mode, route.routes, path)
            route = Mount(route.path, routes=inner, name=route.name)
        kept.append(route)
    return kept


class ModeHeader:
    """`Casino-Mode: sandbox|live` on every HTTP response, errors included, so a client
    (and a person with curl) can tell play money from real money."""

    def __init__(self, app: ASGIApp, mode: Mode) -> None:
        self.app = app
        self.mode = str(mode)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_mode(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = self.mode
            await send(message)

        await self.app(scope, receive, send_with_mode)


# -- judgements --------------------------------------------------------------------------------
def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def weakness(secret: str) -> str | None:
    """Why a secret is not fit for real money, or None. Says nothing of its value."""
    if secret.lower() in KNOWN_DEFAULTS:
        return "is a well-known placeholder"
    if len(secret) < MIN_SECRET_CHARS:
        return f"is shorter than {MIN_SECRET_CHARS} characters"
    if len(set(secret)) < 8:
        return "repeats too few characters to be random"
    return None


def gateway_url_problem(url: str) -> str | None:
    """Why this gateway URL cannot be a real payment processor, or None."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return "is not a URL"
    if parts.scheme != "https":
        return "is not https: card and payout data would cross the network in clear"
    if is_loopback(host):
        return f"points at this machine ({host}), where only the sandbox gateway runs"
    reserved = any(host == name or host.endswith(f".{name}") for name in RESERVED_NAMES)
    if reserved or host.endswith(RESERVED_SUFFIXES):
        return f"uses the reserved name {host}, which no payment processor has"
    return None


def _secret_refusals(settings: Settings) -> list[StartRefusal]:
    found = []
    secrets = []
    if settings.payment_gateway_key.startswith(LIVE_KEY_PREFIX):  # a test key is refused anyway
        live_key = settings.payment_gateway_key.removeprefix(LIVE_KEY_PREFIX)
        secrets.append(
            ("CASINO_PAYMENT_GATEWAY_KEY", live_key, "set the live key your processor issued")
        )
    if settings.metrics_token:
        secrets.append(
            ("CASINO_METRICS_TOKEN", settings.metrics_token, "set a random token of 32+ characters")
        )
    password = urlsplit(settings.redis_url).password if settings.redis_url else None
    if password:
        secrets.append(
            ("CASINO_REDIS_URL", password, "give Redis a random password of 32+ characters")
        )
    for name, value, fix in secrets:
        if (reason := weakness(value)) is not None:
            found.append(StartRefusal("weak-secret", f"the secret in {name} {reason}", fix))
    return found


def live_refusals(settings: Settings, sandbox_provider_enabled: bool) -> list[StartRefusal]:
    found = []
    url = settings.payment_gateway_url
    if not url:
        found.append(
            StartRefusal(
                "gateway-missing",
                "no payment gateway: CASINO_PAYMENT_GATEWAY_URL is unset",
                "set CASINO_PAYMENT_GATEWAY_URL to your processor's https API address",
            )
        )
    elif (problem := gateway_url_problem(url)) is not None:
        found.append(
            StartRefusal(
                "gateway-not-real",
                f"CASINO_PAYMENT_GATEWAY_URL {problem}",
                "set CASINO_PAYMENT_GATEWAY_URL to your processor's https API address",
            )
        )
    if not settings.payment_gateway_key.startswith(LIVE_KEY_PREFIX):
        found.append(
            StartRefusal(
                "sandbox-gateway",
                "CASINO_PAYMENT_GATEWAY_KEY is a sandbox key (sk_test_...): its gateway moves"
                " play money",
                "set CASINO_PAYMENT_GATEWAY_KEY to your processor's live key (sk_live_...)",
            )
        )
    if settings.password_hash.below_owasp_minimum:
        cost = settings.password_hash
        found.append(
            StartRefusal(
                "weak-password-hashing",
                f"CASINO_PASSWORD_HASH_* ask for argon2id with {cost.memory_kib} KiB and"
                f" {cost.time_cost} pass(es): weaker than OWASP's least (19456 KiB, 2 passes)",
                "unset CASINO_PASSWORD_HASH_MEMORY_KIB and CASINO_PASSWORD_HASH_TIME_COST"
                " (64 MiB, 3 passes), or raise them",
            )
        )
    if not settings.kyc_key:
        found.append(
            StartRefusal(
                "kyc-key-missing",
                "CASINO_KYC_KEY is unset: identity documents would have no key of the"
                " operator's own to be encrypted with",
                "set CASINO_KYC_KEY to 32 random bytes, base64url (keep it in your secret store)",
            )
        )
    if settings.exclusion_register_url and settings.exclusion_register_key.startswith(
        SANDBOX_REGISTER_PREFIX
    ):
        found.append(
            StartRefusal(
                "sandbox-register",
                "CASINO_EXCLUSION_REGISTER_KEY is the sandbox register's test key: its answers"
                " are test data, so self-excluded people would get in",
                "set CASINO_EXCLUSION_REGISTER_KEY to the key the register issued you",
            )
        )
    found += _secret_refusals(settings)
    if not settings.metrics_token and not is_loopback(settings.host):
        found.append(
            StartRefusal(
                "metrics-open",
                f"/metrics on {settings.host} is readable by anyone who reaches the port",
                "set CASINO_METRICS_TOKEN (Prometheus sends it as a bearer token)",
            )
        )
    if sandbox_provider_enabled:
        found.append(
            StartRefusal(
                "sandbox-provider",
                "the sandbox game provider is enabled in the database: whoever holds its"
                " secret can post wins to real balances",
                "python3 run.py provider disable sandbox",
            )
        )
    return found


def sandbox_refusals(settings: Settings) -> list[StartRefusal]:
    if settings.payment_gateway_key.startswith(LIVE_KEY_PREFIX):
        return [
            StartRefusal(
                "live-gateway-in-sandbox",
                "CASINO_PAYMENT_GATEWAY_KEY is a live key (sk_live_...) but CASINO_MODE is"
                " sandbox: sandbox deposits mint play money that the live gateway would pay out",
                "set CASINO_MODE=live, or use your processor's test key (sk_test_...)",
            )
        ]
    return []


def refusals(settings: Settings, sandbox_provider_enabled: bool) -> list[StartRefusal]:
    """Everything that keeps this configuration from running in its mode; empty: it may."""
    if settings.mode is Mode.LIVE:
        return live_refusals(settings, sandbox_provider_enabled)
    return sandbox_refusals(settings)
