"""The HTTP edge's settings: trusted proxies and the HTTP limits, with their documented defaults
and the values they refuse."""

from __future__ import annotations

import pytest
from starlette.routing import Route

from server.app import routes
from server.config import ConfigError, Settings
from server.http_limits import PROVIDER_PREFIX, UPLOAD_PATH
from server.provider import routes as provider_routes


# -- the settings -------------------------------------------------------------------------------
def test_no_proxy_is_trusted_by_default() -> None:
    assert Settings.from_env({}).trusted_proxies == ()


def test_trusted_proxies_are_addresses_or_networks() -> None:
    settings = Settings.from_env({"CASINO_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8,::1"})
    assert settings.trusted_proxies == ("127.0.0.1/32", "10.0.0.0/8", "::1/128")


@pytest.mark.parametrize("value", ["*", "proxy.internal", "10.0.0.1/8", "127.0.0.1:8080"])
def test_a_trusted_proxy_that_is_no_address_or_network_is_refused(value: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"CASINO_TRUSTED_PROXIES": value})
    assert str(refused.value) == (
        f"CASINO_TRUSTED_PROXIES must list IP addresses or networks like 10.0.0.0/8, got {value!r}"
    )


@pytest.mark.parametrize("value", ["0.0.0.0/0", "::/0"])
def test_a_trusted_proxy_network_holding_every_address_is_refused(value: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"CASINO_TRUSTED_PROXIES": f"10.0.0.0/8,{value}"})
    assert (
        str(refused.value) == f"CASINO_TRUSTED_PROXIES must not trust every address, got {value!r}"
    )


def test_the_http_limits_have_their_documented_defaults() -> None:
    settings = Settings.from_env({})
    assert (
        settings.max_http_connections,
        settings.http_max_header_bytes,
        settings.http_max_headers,
        settings.http_header_timeout_s,
        settings.http_body_timeout_s,
        settings.http_keep_alive_s,
    ) == (1000, 16384, 100, 10, 10, 5)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CASINO_HTTP_MAX_HEADER_BYTES", "512", "must be at least 1024, got 512"),
        ("CASINO_HTTP_MAX_HEADERS", "4", "must be at least 8, got 4"),
        ("CASINO_MAX_HTTP_CONNECTIONS", "0", "must be at least 1, got 0"),
        ("CASINO_HTTP_BODY_TIMEOUT_SECONDS", "soon", "must be an integer, got 'soon'"),
    ],
)
def test_an_http_limit_out_of_range_is_refused(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({name: value})
    assert str(refused.value) == f"{name} {message}"


# -- the body classes ---------------------------------------------------------------------------
def test_the_body_classes_name_the_routes_they_mean() -> None:
    """server/http_limits.py classes a request by its path: the paths must stay the routes'."""
    served = {
        (r.path, method) for r in routes() if isinstance(r, Route) for method in r.methods or ()
    }
    assert (UPLOAD_PATH, "POST") in served
    provider_class = {(path, method) for path, method in served if path.startswith(PROVIDER_PREFIX)}
    provider_api = {
        (r.path, m) for r in provider_routes.routes if isinstance(r, Route) for m in r.methods or ()
    }
    assert ("/provider/transaction/bet", "POST") in provider_class
    assert provider_class <= provider_api  # nothing else is given the provider's rules
