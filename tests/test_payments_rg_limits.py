"""Responsible gambling's deposit limit holds for deposits through the payment gateway as it
does for sandbox ones: the same seam (server/money/deposit_rules.py), checked before the
gateway is asked to charge anything. The real sandbox gateway process, reconciled after."""

from __future__ import annotations

from clients.api import CasinoClient
from tests.conftest import unique
from tests.support.payments import Paying, balance, client, pay, paying, world

__all__ = ["client", "paying", "world"]  # the fixtures, used by name


async def test_a_gateway_deposit_over_the_24_hour_limit_is_refused_before_any_charge(
    world: Paying, client: CasinoClient
) -> None:
    await client.call("PUT", "/api/rg/limits/deposit_24h", {"value": 1_000})
    assert (await pay(client, "deposits", 600))[0] == 201
    charged = len(world.gateway.payments())
    status, body = await pay(client, "deposits", 500, unique("over-"))
    assert (status, body["error"]["code"]) == (403, "DEPOSIT_LIMIT_REACHED")
    assert len(world.gateway.payments()) == charged  # the gateway was never asked
    assert await balance(client) == 600
    assert (await pay(client, "deposits", 400))[0] == 201
    assert await balance(client) == 1_000
